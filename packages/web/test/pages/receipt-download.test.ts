/**
 * Issue 12, part 3 ("receipts both parties keep"), on the owner's pages: each vendor's section of
 * Connections links every receipt with that vendor as one file — the owner API's
 * `/owner/receipts/export?vendorId=`, byte for byte the JWS the vendor fetches — refusals included;
 * behind the page session like every page.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, linkHref, pageClient } from '../support/page-client.js'

afterEach(disposePageClients)

const LABEL = 'Download every receipt with this vendor'
const REDIRECT = 'https://fjord.example/cb'

/** A vendor whose request for a "never for" purpose is refused: a receipt of the refusal. */
async function refusedVendor(p: Awaited<ReturnType<typeof pageClient>>) {
  const policy = await p.app.request('/owner/purpose-policy', {
    method: 'PUT',
    headers: { 'content-type': 'application/json', cookie: p.cookie, 'x-csrf-token': p.csrf },
    body: JSON.stringify({ neverFor: ['dpv:Marketing'] }),
  })
  expect(policy.status).toBe(200)
  const reg = await p.app.request('/oauth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Fjord Outdoor', redirect_uris: [REDIRECT] }),
  })
  const { client_id, client_secret } = (await reg.json()) as {
    client_id: string
    client_secret: string
  }
  const par = await p.app.request('/oauth/par', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      response_type: 'code',
      redirect_uri: REDIRECT,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([
        {
          type: 'custos_fields',
          fields: ['email'],
          actions: ['read'],
          purpose: 'Offers',
          purposes: ['dpv:Marketing'],
        },
      ]),
    }).toString(),
  })
  expect(((await par.json()) as { error: string }).error).toBe('access_denied')
  return client_id
}

describe('downloading a vendor’s receipts from Connections', () => {
  it('links the file in the vendor’s section; it is the owner API’s export, the refusal in it', async () => {
    const p = await pageClient()
    const vendorId = await refusedVendor(p)
    const href = linkHref((await p.get('/connections')).html, LABEL)
    expect(href).toBe(`/connections/vendors/${vendorId}/receipts`)

    const file = await p.get(href as string)
    expect(file.status).toBe(200)
    expect(file.headers.get('content-disposition')).toMatch(
      new RegExp(
        `^attachment; filename="custos-receipts-${vendorId}-\\d{4}-\\d{2}-\\d{2}\\.json"$`,
      ),
    )
    expect(file.headers.get('x-content-type-options')).toBe('nosniff')
    const body = JSON.parse(file.html) as {
      format: string
      count: number
      verify_with: { keys: { kty: string }[] }
      receipts: { event: string; refusal?: string; receipt: string; consent_record: string }[]
    }
    expect(body).toMatchObject({
      format: 'custos-receipts',
      version: 1,
      vendor_id: vendorId,
      count: 1,
    })
    expect(body.receipts[0]).toMatchObject({ event: 'refused', refusal: 'ERR_PURPOSE_REFUSED' })
    expect(body.verify_with.keys[0]?.kty).toBe('OKP')
    const api = await p.app.request(`/owner/receipts/export?vendorId=${vendorId}`, {
      headers: { cookie: p.cookie },
    })
    const fromApi = (await api.json()) as typeof body
    expect(fromApi.receipts.map((r) => [r.receipt, r.consent_record])).toEqual(
      body.receipts.map((r) => [r.receipt, r.consent_record]),
    )
  })

  it('gives nothing without the owner’s session, and an unknown vendor is not found', async () => {
    const p = await pageClient()
    const vendorId = await refusedVendor(p)
    const res = await p.get(`/connections/vendors/${vendorId}/receipts`, { anonymous: true })
    expect(res.status).not.toBe(200)
    expect(res.html).not.toContain('custos-receipts')
    const unknown = await p.get('/connections/vendors/ven_nosuchvendor000000/receipts')
    expect(unknown.status).toBe(303)
    expect(unknown.headers.get('location')).toBe('/connections?error=ERR_NOT_FOUND')
  })
})
