/**
 * RFC 7009 revocation and RFC 7662 introspection (SECURITY.md promise 15): revoking a refresh
 * token kills its family; unknown tokens get the same 200; introspection is `active: false` for
 * anything not live — unknown, expired, revoked, of a revoked or expired grant, of another client.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  FORM,
  ISSUER,
  type OAuthFixture,
  type TokenResponse,
  disposeFixtures,
  form,
  oauthFixture,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

async function tokensFor(
  f: OAuthFixture,
  client: Awaited<ReturnType<OAuthFixture['register']>>,
  params: Record<string, string> = {},
): Promise<TokenResponse> {
  const { code, verifier } = await f.code(client, params)
  const res = await f.exchange(client, code, verifier)
  if (res.status !== 200) throw new Error(`exchange: ${res.status}`)
  return (await res.json()) as TokenResponse
}

describe('introspection (RFC 7662)', () => {
  it('describes a live token: client, approved scope and details, exp, iat, token type, issuer — never cached', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const tokens = await tokensFor(f, client)
    const res = await f.post('/oauth/introspect', client, { token: tokens.access_token })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    const now = Math.floor(f.now().getTime() / 1000)
    expect(body).toMatchObject({
      active: true,
      client_id: client.id,
      scope: 'read:email read:prefs.sizes.*',
      token_type: 'Bearer',
      iss: ISSUER,
      iat: now,
    })
    expect(body.exp).toBe(now + 600)
    expect(body.authorization_details).toEqual([
      expect.objectContaining({ type: 'custos_fields', fields: ['email', 'prefs.sizes.*'] }),
    ])
    expect(body).not.toHaveProperty('cnf')
    // A refresh token introspects too (with the hint or without).
    expect(await f.introspect(client, tokens.refresh_token)).toMatchObject({
      active: true,
      client_id: client.id,
    })
    const hinted = await f.post('/oauth/introspect', client, {
      token: tokens.refresh_token,
      token_type_hint: 'refresh_token',
    })
    expect(await hinted.json()).toMatchObject({ active: true })
  })

  it('is inactive — and says nothing more — for unknown, expired, another client’s, revoked-grant and expired-grant tokens', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const other = await f.register({ client_name: 'Other Shop' })
    expect(await f.introspect(client, 'never-issued')).toEqual({ active: false })

    const mine = await tokensFor(f, client)
    expect(await f.introspect(other, mine.access_token)).toEqual({ active: false })
    expect(await f.introspect(other, mine.refresh_token)).toEqual({ active: false })

    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    await f.tv.vault.grants.revoke(grant!.id)
    expect(await f.introspect(client, mine.access_token)).toEqual({ active: false })
    expect(await f.introspect(client, mine.refresh_token)).toEqual({ active: false })

    const details = JSON.stringify([
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: 'An hour',
        duration_seconds: 3600,
      },
    ])
    const short = await tokensFor(f, client, { authorization_details: details })
    expect(await f.introspect(client, short.refresh_token)).toMatchObject({ active: true })
    f.advance(601) // the access token's ten minutes are over
    expect(await f.introspect(client, short.access_token)).toEqual({ active: false })
    expect(await f.introspect(client, short.refresh_token)).toMatchObject({ active: true })
    f.advance(3000) // and now the grant's hour
    expect(await f.introspect(client, short.refresh_token)).toEqual({ active: false })
  })

  it('a token never outlives its grant: exp is the earlier of the two', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const details = JSON.stringify([
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: 'Briefly',
        duration_seconds: 120,
      },
    ])
    const tokens = await tokensFor(f, client, { authorization_details: details })
    const body = await f.introspect(client, tokens.access_token)
    expect(body.exp).toBe(Math.floor(f.now().getTime() / 1000) + 120)
  })

  it('requires client authentication and a token; tokens in the query string are refused', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const tokens = await tokensFor(f, client)
    const anonymous = await f.app.request('/oauth/introspect', {
      method: 'POST',
      headers: FORM,
      body: form({ token: tokens.access_token }),
    })
    expect(anonymous.status).toBe(401)
    expect(await anonymous.text()).not.toContain('active')
    const missing = await f.post('/oauth/introspect', client, {})
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_request')
    const auth = await client.auth()
    const inQuery = await f.app.request(`/oauth/introspect?token=${tokens.access_token}`, {
      method: 'POST',
      headers: { ...FORM, ...auth.headers },
      body: '',
    })
    expect(inQuery.status).toBe(400)
    expect(((await inQuery.json()) as { error: string }).error).toBe('invalid_request')
  })
})

describe('revocation (RFC 7009)', () => {
  it('revoking an access token ends it; revoking a refresh token ends its whole family', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const tokens = await tokensFor(f, client)
    const res = await f.post('/oauth/revoke', client, {
      token: tokens.access_token,
      token_type_hint: 'access_token',
    })
    expect(res.status).toBe(200)
    expect(await f.introspect(client, tokens.access_token)).toEqual({ active: false })
    // The refresh token is untouched by revoking an access token, and still rotates.
    const next = (await (await f.refresh(client, tokens.refresh_token)).json()) as TokenResponse
    expect((await f.post('/oauth/revoke', client, { token: next.refresh_token })).status).toBe(200)
    expect(await f.introspect(client, next.access_token)).toEqual({ active: false })
    expect(await f.introspect(client, next.refresh_token)).toEqual({ active: false })
    expect((await f.refresh(client, next.refresh_token)).status).toBe(400)
  })

  it('promise 15: answers 200 for unknown tokens and for another client’s token, which stays live', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const other = await f.register({ client_name: 'Other Shop' })
    expect((await f.post('/oauth/revoke', client, { token: 'never-issued' })).status).toBe(200)
    expect(
      (
        await f.post('/oauth/revoke', client, {
          token: 'x'.repeat(4000),
          token_type_hint: 'unknown_hint',
        })
      ).status,
    ).toBe(200)
    const mine = await tokensFor(f, client)
    const res = await f.post('/oauth/revoke', other, { token: mine.refresh_token })
    expect(res.status).toBe(200)
    expect(await f.introspect(client, mine.access_token)).toMatchObject({ active: true })
  })

  it('requires client authentication and a form body', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const tokens = await tokensFor(f, client)
    const anonymous = await f.app.request('/oauth/revoke', {
      method: 'POST',
      headers: FORM,
      body: form({ token: tokens.access_token }),
    })
    expect(anonymous.status).toBe(401)
    const auth = await client.auth()
    const asJson = await f.app.request('/oauth/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth.headers },
      body: JSON.stringify({ token: tokens.access_token }),
    })
    expect(asJson.status).toBe(400)
    expect(await f.introspect(client, tokens.access_token)).toMatchObject({ active: true })
  })
})
