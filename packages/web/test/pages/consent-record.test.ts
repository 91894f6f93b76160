/**
 * Issue 12, part 3 on the owner's pages: Connections offers a grant's receipt as an ISO/IEC TS
 * 27560 consent record (W3C DPV profile) beside the Kantara receipt, and the download is a JWS
 * that verifies against the vault's published key.
 */
import { createPublicKey, verify } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ISSUER,
  connectedVendor,
  disposePageClients,
  linkHref,
  pageClient,
} from '../support/page-client.js'

afterEach(disposePageClients)

describe('the ISO/IEC TS 27560 consent record on Connections', () => {
  it('links the download beside the receipt, and the download verifies against /.well-known/jwks.json', async () => {
    const p = await pageClient()
    const vendor = await connectedVendor(p)
    const page = await p.get('/connections')
    expect(linkHref(page.html, 'Download consent receipt')).toBe(
      `/connections/grants/${vendor.grant.id}/receipt`,
    )
    const href = linkHref(page.html, 'Download ISO/IEC TS 27560 consent record')
    expect(href).toBe(`/connections/grants/${vendor.grant.id}/consent-record`)

    const res = await p.app.request(href as string, { headers: { cookie: p.cookie } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/jwt')
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="consent-record-${vendor.grant.id}.jwt"`,
    )
    // Verified with node:crypto (web has no JOSE library): RFC 7515 §5.2 over the JWK Set's key.
    const jws = await res.text()
    const [header, body, signature] = jws.split('.') as [string, string, string]
    const protectedHeader = JSON.parse(Buffer.from(header, 'base64url').toString()) as {
      alg: string
      typ: string
      kid: string
    }
    const { keys } = (await (await p.app.request('/.well-known/jwks.json')).json()) as {
      keys: (Record<string, string> & { kid: string })[]
    }
    const jwk = keys.find((k) => k.kid === protectedHeader.kid)
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'consent-record+jwt' })
    expect(jwk).toBeDefined()
    const key = createPublicKey({ key: jwk as never, format: 'jwk' })
    const input = Buffer.from(`${header}.${body}`)
    const sig = Buffer.from(signature, 'base64url')
    expect(verify(null, input, key, sig)).toBe(true)
    // …and a changed payload does not verify.
    expect(verify(null, Buffer.from(`${header}.${body}x`), key, sig)).toBe(false)
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>
    expect(payload.iss).toBe(ISSUER)
    expect(payload).toMatchObject({
      jti: `${vendor.grant.id}.1`,
      '@type': 'dpv:ConsentReceipt',
      'dpv:hasRecordOfActivity': {
        '@type': 'dpv:ConsentRecord',
        'dpv:hasConsentStatus': [{ '@type': 'dpv:ConsentGiven' }],
      },
    })
  })

  it('sends a visitor who is not signed in to sign in, and an unknown grant back to Connections', async () => {
    const p = await pageClient()
    const vendor = await connectedVendor(p)
    const path = `/connections/grants/${vendor.grant.id}/consent-record`
    const anonymous = await p.app.request(path)
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe(`/signin?next=${encodeURIComponent(path)}`)
    const unknown = await p.app.request('/connections/grants/nope/consent-record', {
      headers: { cookie: p.cookie },
    })
    expect(unknown.status).toBe(303)
    expect(unknown.headers.get('location')).toBe('/connections?error=ERR_NOT_FOUND')
  })
})
