/**
 * Issue 12, part 5: PDPP's `https://pdpp.dev/data-access` authorization detail is read as the
 * Custos grant it means — profile fields, purchases since a date, a DPV purpose (or PDPP's own
 * purpose code mapped to one), the vendor's words — and what does not map is refused with
 * `invalid_authorization_details` naming the member, never echoing its value.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ISSUER, REDIRECT, disposeFixtures, oauthFixture, pkce } from './support/oauth-fixture.js'

const DPV = 'https://w3id.org/dpv#'
afterEach(disposeFixtures)

const pdpp = (extra: Record<string, unknown> = {}) =>
  JSON.stringify([
    {
      type: 'https://pdpp.dev/data-access',
      source: { id: ISSUER, kind: 'vault' },
      purpose_code: `${DPV}CustomerOrderManagement`,
      purpose_description: 'Your orders, in one place',
      access_mode: 'continuous',
      streams: [
        { name: 'profile', fields: ['email', 'prefs.sizes.*'] },
        { name: 'purchases', time_range: { since: '2025-01-01', until: '2026-01-01' } },
      ],
      ...extra,
    },
  ])

const request = (details: string) => ({
  response_type: 'code',
  redirect_uri: REDIRECT,
  code_challenge: pkce().challenge,
  code_challenge_method: 'S256',
  authorization_details: details,
})

describe('a PDPP data-access request', () => {
  it('becomes the grant it means: fields, purchases since a date, the DPV purpose and the vendor’s words', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client, {
      scope: undefined,
      authorization_details: pdpp(),
    })
    expect((await f.exchange(client, code, verifier)).status).toBe(200)
    const [grant] = await f.tv.vault.grants.list()
    expect(grant).toMatchObject({
      fields: ['email', 'prefs.sizes.*'],
      purchases: { madeWithVendor: true, since: '2025-01-01', until: '2026-01-01' },
      actions: ['read'],
      purpose: 'Your orders, in one place',
      purposes: [`${DPV}CustomerOrderManagement`],
    })
  })

  it('maps PDPP’s own purpose code to DPV, and the owner’s "never for" applies to it', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const owner = await f.signIn()
    await f.app.request('/owner/purpose-policy', {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        cookie: owner.cookie,
        'x-csrf-token': owner.csrf,
      },
      body: JSON.stringify({ neverFor: ['dpv:Personalisation'] }),
    })
    const res = await f.post(
      '/oauth/par',
      client,
      request(pdpp({ purpose_code: 'https://pdpp.dev/purpose/personalization' })),
    )
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; error_description: string }
    expect(body).toMatchObject({ error: 'access_denied' })
    expect(body.error_description).toContain(`${DPV}Personalisation`)
  })

  it.each([
    ['another source', { source: { id: 'https://elsewhere.example' } }, 'source.id'],
    ['a retention promise', { retention: { max_duration: 'P30D' } }, 'retention'],
    [
      'an unknown purpose code',
      { purpose_code: 'https://pdpp.dev/purpose/zzz-secret' },
      'purpose_code',
    ],
    ['a stream it has no meaning for', { streams: [{ name: 'sleep-secret' }] }, 'streams.0.name'],
    ['profile without fields', { streams: [{ name: 'profile' }] }, 'streams.0.fields'],
    [
      'an unknown field',
      { streams: [{ name: 'profile', fields: ['email', 'shoe-secret'] }] },
      'streams.0.fields.1',
    ],
    [
      'a data window that ends before it starts',
      {
        streams: [{ name: 'purchases', time_range: { since: '2026-02-01', until: '2026-01-01' } }],
      },
      'streams.0.time_range',
    ],
    ['a missing access mode', { access_mode: undefined }, 'access_mode'],
  ])('refuses %s, naming the member and never the value', async (_what, change, member) => {
    const f = await oauthFixture()
    const client = await f.register()
    const res = await f.post('/oauth/par', client, request(pdpp(change)))
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; error_description: string }
    expect(body.error).toBe('invalid_authorization_details')
    expect(body.error_description).toContain(member)
    expect(body.error_description).not.toMatch(/secret|elsewhere/)
    expect((await f.tv.vault.grants.list()).length).toBe(0)
  })
})
