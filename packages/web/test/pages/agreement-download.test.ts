/**
 * Issue 12, part 1 ("the agreement record … is exportable"), on the owner's pages: where her
 * agreements are shown — Connections, Settings → Your terms — a link downloads every agreement
 * record as one file, the same file as the owner API's `/owner/agreements/export`, signed copies
 * identical to the vendor's; behind the page session like every page.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, linkHref, pageClient } from '../support/page-client.js'

afterEach(disposePageClients)

const LABEL = 'Download all your agreement records'
const REDIRECT = 'https://fjord.example/cb'

/** A vendor that declines the owner's terms at its pushed request: refused, and recorded. */
async function declinedRecord(p: Awaited<ReturnType<typeof pageClient>>): Promise<void> {
  await p.submit('/settings/terms', { 'rank.SD-BASE': '1' }) // no asking after a decline
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
          purpose: 'Order updates',
          myterms: { answer_id: 'answer-0001', proffered: 'SD-BASE', answer: 'decline' },
        },
      ]),
    }).toString(),
  })
  expect(((await par.json()) as { error: string }).error).toBe('access_denied')
}

describe('downloading the agreement records from the pages', () => {
  it('links the file from Connections and Your terms; it is the owner API’s export', async () => {
    const p = await pageClient()
    expect(linkHref((await p.get('/connections')).html, LABEL)).toBeUndefined() // none yet
    await declinedRecord(p)
    const connections = await p.get('/connections')
    const href = linkHref(connections.html, LABEL)
    expect(href).toBe('/connections/agreements')
    expect(linkHref((await p.get('/settings')).html, LABEL)).toBe(href)

    const file = await p.get(href as string)
    expect(file.status).toBe(200)
    expect(file.headers.get('content-disposition')).toMatch(
      /^attachment; filename="custos-agreements-\d{4}-\d{2}-\d{2}\.json"$/,
    )
    expect(file.headers.get('x-content-type-options')).toBe('nosniff')
    const body = JSON.parse(file.html) as {
      format: string
      count: number
      agreements: { jws: string; record: { status: string; answer: string } }[]
    }
    expect(body).toMatchObject({ format: 'custos-agreements', version: 1, count: 1 })
    expect(body.agreements[0]?.record).toMatchObject({ status: 'refused', answer: 'decline' })
    const api = await p.app.request('/owner/agreements/export', { headers: { cookie: p.cookie } })
    const fromApi = (await api.json()) as typeof body
    expect(fromApi.agreements.map((a) => a.jws)).toEqual(body.agreements.map((a) => a.jws))
  })

  it('gives nothing without the owner’s session', async () => {
    const p = await pageClient()
    await declinedRecord(p)
    const res = await p.get('/connections/agreements', { anonymous: true })
    expect(res.status).not.toBe(200)
    expect(res.html).not.toContain('custos-agreements')
  })
})
