/**
 * The token endpoint (RFC 6749 §3.2, §4.1.3, §6) with PKCE (RFC 7636), rotating refresh tokens
 * (RFC 9700 §4.14.2) and DPoP (RFC 9449 §5, §10). Each negative test is named after the
 * SECURITY.md promise (14–17) it proves.
 */
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { type AppContext, createAppContext } from '../src/app-context.js'
import { parseConfig } from '../src/config.js'
import type { ApiTables } from '../src/db/api-schema.js'
import {
  FORM,
  ISSUER,
  REDIRECT,
  TOKEN_URL,
  type TokenResponse,
  disposeFixtures,
  dpopKey,
  form,
  oauthFixture,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

const json = async (res: Response) => (await res.json()) as Record<string, unknown>
const errorOf = async (res: Response) => ({ status: res.status, error: (await json(res)).error })

describe('authorization_code grant', () => {
  it('exchanges a code for tokens that say what was approved (narrowed), never cached', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(
      client,
      { scope: 'read:email read:prefs.sizes.* read:purchases append:purchases' },
      {
        par: true,
        choices: () => [
          ['field', 'prefs.sizes.*'],
          ['purchases', 'read'],
          ['decision', 'approve'],
        ],
      },
    )
    const res = await f.exchange(client, code, verifier)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('pragma')).toBe('no-cache')
    const body = (await res.json()) as TokenResponse
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'read:prefs.sizes.* read:purchases',
    })
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(body.authorization_details).toEqual([
      expect.objectContaining({
        type: 'custos_fields',
        fields: ['prefs.sizes.*'],
        purchases: { made_with_vendor: true },
        actions: ['read'],
        purpose: 'Requested by Fjord Outdoor',
      }),
    ])
    // Only keyed hashes are stored: neither the code nor a token appears in the database.
    const rows = JSON.stringify([
      ...(await f.tv.handle.db
        .selectFrom('oauth_tokens' as never)
        .selectAll()
        .execute()),
      ...(await f.tv.handle.db
        .selectFrom('oauth_codes' as never)
        .selectAll()
        .execute()),
    ])
    for (const secret of [code, body.access_token, body.refresh_token])
      expect(rows).not.toContain(secret)
  })

  it('promise 16: PKCE is enforced — a wrong or missing code_verifier is invalid_grant', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const wrong = await f.code(client)
    expect(await errorOf(await f.exchange(client, wrong.code, 'x'.repeat(43)))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
    const missing = await f.code(client)
    expect(
      await errorOf(
        await f.post('/oauth/token', client, {
          grant_type: 'authorization_code',
          code: missing.code,
          redirect_uri: REDIRECT,
        }),
      ),
    ).toEqual({ status: 400, error: 'invalid_grant' })
    // The verifier is checked exactly: one character changed is enough to fail.
    const near = await f.code(client)
    const flipped = `${near.verifier.slice(0, -1)}${near.verifier.endsWith('A') ? 'B' : 'A'}`
    expect(await errorOf(await f.exchange(client, near.code, flipped))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
  })

  it('promise 16: a code_verifier for a code issued without a challenge is refused', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const base = {
      vault: f.tv.vault,
      db: f.tv.handle.db as unknown as Kysely<ApiTables>,
      config: parseConfig({ issuer: ISSUER }),
      now: f.now,
    }
    const ctx: AppContext = createAppContext(base)
    const grant = await f.tv.vault.grants.create({
      vendorId: client.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'x',
      durationSeconds: 3600,
    })
    const code = await ctx.stores.codes.issue({
      clientId: client.id,
      grantId: grant.id,
      redirectUri: REDIRECT,
      codeChallenge: '',
      dpopJkt: null,
    })
    expect(await errorOf(await f.exchange(client, code, 'v'.repeat(43)))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
  })

  it('promise 16: codes are single-use, and a reused code revokes every token issued from it', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client)
    const tokens = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
    expect(await f.introspect(client, tokens.access_token)).toMatchObject({ active: true })
    const rotated = (await (await f.refresh(client, tokens.refresh_token)).json()) as TokenResponse

    expect(await errorOf(await f.exchange(client, code, verifier))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
    for (const token of [tokens.access_token, rotated.access_token, rotated.refresh_token])
      expect(await f.introspect(client, token)).toEqual({ active: false })
    expect(await errorOf(await f.refresh(client, rotated.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
  })

  it('promise 16: a code works only for its client, and only until it expires', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const thief = await f.register({ client_name: 'Thief' })
    const stolen = await f.code(client)
    expect(await errorOf(await f.exchange(thief, stolen.code, stolen.verifier))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
    // The thief's attempt did not burn the code for its client.
    expect((await f.exchange(client, stolen.code, stolen.verifier)).status).toBe(200)
    const late = await f.code(client)
    f.advance(61)
    expect(await errorOf(await f.exchange(client, late.code, late.verifier))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
  })

  it('promise 16: redirect URIs match exactly — the token request must repeat the one of the authorization request', async () => {
    const f = await oauthFixture()
    const client = await f.register({ redirect_uris: [REDIRECT, 'https://fjord.example/other'] })
    for (const redirect of [
      'https://fjord.example/other',
      `${REDIRECT}/`,
      'https://FJORD.example/cb',
    ]) {
      const { code, verifier } = await f.code(client)
      expect([
        redirect,
        await errorOf(await f.exchange(client, code, verifier, { redirect_uri: redirect })),
      ]).toEqual([redirect, { status: 400, error: 'invalid_grant' }])
    }
    const omitted = await f.code(client)
    expect(
      await errorOf(
        await f.post('/oauth/token', client, {
          grant_type: 'authorization_code',
          code: omitted.code,
          code_verifier: omitted.verifier,
        }),
      ),
    ).toEqual({ status: 400, error: 'invalid_grant' })
  })

  it('when the authorization request had no redirect_uri (one registered), the token request may omit it', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client, { redirect_uri: undefined })
    const res = await f.post('/oauth/token', client, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
    })
    expect(res.status).toBe(200)
  })

  it('a grant revoked between consent and exchange yields no tokens', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client)
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    await f.tv.vault.grants.revoke(grant!.id)
    expect(await errorOf(await f.exchange(client, code, verifier))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
  })
})

describe('refresh_token grant', () => {
  it('promise 14: refresh tokens rotate, and reusing an old one revokes the whole family', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client)
    const first = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
    const res = await f.refresh(client, first.refresh_token)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const second = (await res.json()) as TokenResponse
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(second.access_token).not.toBe(first.access_token)
    expect(second.scope).toBe(first.scope)

    expect(await errorOf(await f.refresh(client, first.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
    for (const token of [first.access_token, second.access_token, second.refresh_token])
      expect(await f.introspect(client, token)).toEqual({ active: false })
    expect(await errorOf(await f.refresh(client, second.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
  })

  it('promise 15: a revoked or expired grant cannot be refreshed; access tokens are short-lived', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const first = await f.code(client)
    const revoked = (await (
      await f.exchange(client, first.code, first.verifier)
    ).json()) as TokenResponse
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    await f.tv.vault.grants.revoke(grant!.id)
    expect(await errorOf(await f.refresh(client, revoked.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })

    const details = JSON.stringify([
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: 'Short',
        duration_seconds: 3600,
      },
    ])
    const short = await f.code(client, { authorization_details: details })
    const tokens = (await (
      await f.exchange(client, short.code, short.verifier)
    ).json()) as TokenResponse
    f.advance(601)
    expect(await f.introspect(client, tokens.access_token)).toEqual({ active: false })
    expect((await f.refresh(client, tokens.refresh_token)).status).toBe(200)
    f.advance(3600) // past the grant's hour
    expect(await errorOf(await f.refresh(client, tokens.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
  })

  it('a refresh token of another client is invalid_grant and stays usable by its own client', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const other = await f.register({ client_name: 'Other' })
    const { code, verifier } = await f.code(client)
    const tokens = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
    expect(await errorOf(await f.refresh(other, tokens.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
    expect((await f.refresh(client, tokens.refresh_token)).status).toBe(200)
  })

  it('a scope beyond the grant is invalid_scope (RFC 6749 §6)', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client)
    const tokens = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
    expect(
      await errorOf(
        await f.post('/oauth/token', client, {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          scope: 'read:telephone',
        }),
      ),
    ).toEqual({ status: 400, error: 'invalid_scope' })
    expect(
      (
        await f.post('/oauth/token', client, {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          scope: 'read:email',
        })
      ).status,
    ).toBe(200)
  })
})

describe('the token endpoint refuses what RFC 6749 does not allow', () => {
  it('promise 17: tokens and codes are never accepted in a query string', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client)
    const auth = await client.auth()
    const query = form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    })
    const res = await f.app.request(`/oauth/token?${query}`, {
      method: 'POST',
      headers: { ...FORM, ...auth.headers },
      body: '',
    })
    expect(await errorOf(res)).toEqual({ status: 400, error: 'invalid_request' })
    // The code was not consumed by the refused request.
    expect((await f.exchange(client, code, verifier)).status).toBe(200)
  })

  it('form-urlencoded only; repeated parameters, unknown grant types and missing parameters are refused, always no-store', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const auth = await client.auth()
    const cases: [RequestInit, string][] = [
      [
        {
          headers: { 'content-type': 'application/json', ...auth.headers },
          body: JSON.stringify({ grant_type: 'authorization_code' }),
        },
        'invalid_request',
      ],
      [{ headers: { ...auth.headers }, body: 'grant_type=refresh_token' }, 'invalid_request'],
      [
        {
          headers: { ...FORM, ...auth.headers },
          body: 'grant_type=refresh_token&grant_type=authorization_code',
        },
        'invalid_request',
      ],
      [
        {
          headers: { ...FORM, ...auth.headers },
          body: 'grant_type=password&username=a&password=b',
        },
        'unsupported_grant_type',
      ],
      [
        { headers: { ...FORM, ...auth.headers }, body: 'grant_type=client_credentials' },
        'unsupported_grant_type',
      ],
      [{ headers: { ...FORM, ...auth.headers }, body: '' }, 'invalid_request'],
      [
        { headers: { ...FORM, ...auth.headers }, body: 'grant_type=authorization_code' },
        'invalid_request',
      ],
    ]
    for (const [init, error] of cases) {
      const res = await f.app.request('/oauth/token', { method: 'POST', ...init })
      expect([init.body, res.status, (await json(res)).error]).toEqual([init.body, 400, error])
      expect(res.headers.get('cache-control')).toBe('no-store')
    }
  })

  it('a client registered without refresh_token may not use it', async () => {
    const f = await oauthFixture()
    const client = await f.register({ grant_types: ['authorization_code'] })
    const { code, verifier } = await f.code(client)
    const body = await json(await f.exchange(client, code, verifier))
    expect(body).not.toHaveProperty('refresh_token')
    expect(await errorOf(await f.refresh(client, 'x'.repeat(43)))).toEqual({
      status: 400,
      error: 'unauthorized_client',
    })
  })
})

describe('DPoP at the token endpoint (RFC 9449)', () => {
  it('binds the tokens to the proof key (token_type DPoP, cnf.jkt); a refresh needs a proof, of any key for a confidential client (RFC 9449 §5)', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const key = await dpopKey(f.now)
    const { code, verifier } = await f.code(client)
    const res = await f.exchange(
      client,
      code,
      verifier,
      {},
      { dpop: await key.proof('POST', TOKEN_URL) },
    )
    expect(res.status).toBe(200)
    const tokens = (await res.json()) as TokenResponse
    expect(tokens.token_type).toBe('DPoP')
    expect(await f.introspect(client, tokens.access_token)).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: key.jkt },
    })

    const other = await dpopKey(f.now)
    expect(await errorOf(await f.refresh(client, tokens.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_dpop_proof',
    })
    const refreshed = await f.refresh(client, tokens.refresh_token, {
      dpop: await key.proof('POST', TOKEN_URL),
    })
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as TokenResponse
    expect(next.token_type).toBe('DPoP')
    // Issue 10: a confidential client's refresh token is not bound to the key (client
    // authentication binds it): a proof of another key refreshes, and binds the new access token to it.
    const rebound = await f.refresh(client, next.refresh_token, {
      dpop: await other.proof('POST', TOKEN_URL),
    })
    expect(rebound.status).toBe(200)
    expect(
      await f.introspect(client, ((await rebound.json()) as TokenResponse).access_token),
    ).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: other.jkt } })
  })

  it('refuses invalid proofs: wrong htu or htm, stale iat, a replayed jti, two proofs', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const key = await dpopKey(f.now)
    const replayed = await key.proof('POST', TOKEN_URL)
    const proofs = [
      await key.proof('POST', `${ISSUER}/oauth/par`),
      await key.proof('GET', TOKEN_URL),
      await key.proof('POST', TOKEN_URL, { iat: Math.floor(f.now().getTime() / 1000) - 600 }),
      `${replayed}, ${replayed}`,
      'not.a.jwt',
    ]
    for (const proof of proofs) {
      const { code, verifier } = await f.code(client)
      expect(await errorOf(await f.exchange(client, code, verifier, {}, { dpop: proof }))).toEqual({
        status: 400,
        error: 'invalid_dpop_proof',
      })
    }
    const first = await f.code(client)
    expect(
      (await f.exchange(client, first.code, first.verifier, {}, { dpop: replayed })).status,
    ).toBe(200)
    const second = await f.code(client)
    expect(
      await errorOf(await f.exchange(client, second.code, second.verifier, {}, { dpop: replayed })),
    ).toEqual({ status: 400, error: 'invalid_dpop_proof' })
  })

  it('a client registered with dpop_bound_access_tokens must send a proof', async () => {
    const f = await oauthFixture()
    const client = await f.register({ dpop_bound_access_tokens: true })
    const key = await dpopKey(f.now)
    const bare = await f.code(client)
    expect(await errorOf(await f.exchange(client, bare.code, bare.verifier))).toEqual({
      status: 400,
      error: 'invalid_request',
    })
    const proven = await f.code(client)
    expect(
      (
        await f.exchange(
          client,
          proven.code,
          proven.verifier,
          {},
          { dpop: await key.proof('POST', TOKEN_URL) },
        )
      ).status,
    ).toBe(200)
  })

  it('dpop_jkt in the authorization request (§10), or a proof sent with PAR (§10.1), binds the code to that key', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const key = await dpopKey(f.now)
    const other = await dpopKey(f.now)
    const viaParam = await f.code(client, { dpop_jkt: key.jkt })
    expect(await errorOf(await f.exchange(client, viaParam.code, viaParam.verifier))).toEqual({
      status: 400,
      error: 'invalid_dpop_proof',
    })
    const viaParam2 = await f.code(client, { dpop_jkt: key.jkt })
    expect(
      await errorOf(
        await f.exchange(
          client,
          viaParam2.code,
          viaParam2.verifier,
          {},
          { dpop: await other.proof('POST', TOKEN_URL) },
        ),
      ),
    ).toEqual({ status: 400, error: 'invalid_dpop_proof' })
    const viaPar = await f.code(
      client,
      {},
      { par: true, headers: { dpop: await key.proof('POST', `${ISSUER}/oauth/par`) } },
    )
    expect(
      await errorOf(
        await f.exchange(
          client,
          viaPar.code,
          viaPar.verifier,
          {},
          { dpop: await other.proof('POST', TOKEN_URL) },
        ),
      ),
    ).toEqual({ status: 400, error: 'invalid_dpop_proof' })
    const good = await f.code(client, { dpop_jkt: key.jkt })
    const res = await f.exchange(
      client,
      good.code,
      good.verifier,
      {},
      { dpop: await key.proof('POST', TOKEN_URL) },
    )
    expect(res.status).toBe(200)
    expect(((await res.json()) as TokenResponse).token_type).toBe('DPoP')
  })
})
