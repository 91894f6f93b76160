/**
 * Issue 10 — what vendors using outside OAuth libraries (oauth4webapi, openid-client) ran into:
 * DPoP keys that change across a restart (RFC 9449 §5), either secret method for a secret client
 * and `invalid_client` saying which rule failed, `expires_in` beyond the grant, `insufficient_scope`
 * without `scope=` (RFC 6750 §3), no-credential errors (§3.1), metadata fields (RFC 8414, RFC 9728),
 * optional `client_name` (RFC 7591 §2), public clients and native-app redirects (RFC 8252 §7.1,
 * §7.3), and one spelling of `made_with_vendor`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  ISSUER,
  REDIRECT,
  TOKEN_URL,
  type TokenResponse,
  basic,
  disposeFixtures,
  dpopKey,
  oauthFixture,
  pkce,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

async function oauthError(
  res: Response,
): Promise<{ status: number; error: string; description: string }> {
  const body = (await res.json()) as { error: string; error_description: string }
  return { status: res.status, error: body.error, description: body.error_description }
}

describe('DPoP and refresh (RFC 9449 §5)', () => {
  it('a confidential client that restarts with a new DPoP key refreshes with it, and the new access token is bound to the new key', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const before = await dpopKey(f.now)
    const { code, verifier } = await f.code(client)
    const first = (await (
      await f.exchange(client, code, verifier, {}, { dpop: await before.proof('POST', TOKEN_URL) })
    ).json()) as TokenResponse

    const after = await dpopKey(f.now) // the vendor restarted: the old private key is gone
    const res = await f.refresh(client, first.refresh_token, {
      dpop: await after.proof('POST', TOKEN_URL),
    })
    expect(res.status).toBe(200)
    const second = (await res.json()) as TokenResponse
    expect(second.token_type).toBe('DPoP')
    expect(await f.introspect(client, second.access_token)).toMatchObject({
      active: true,
      cnf: { jkt: after.jkt },
    })
    const read = (proof: string) =>
      f.app.request('/v1/profile', {
        headers: { authorization: `DPoP ${second.access_token}`, dpop: proof },
      })
    expect(
      (
        await read(
          await after.proof('GET', `${ISSUER}/v1/profile`, { ath: await ath(second.access_token) }),
        )
      ).status,
    ).toBe(200)
    expect(
      (
        await read(
          await before.proof('GET', `${ISSUER}/v1/profile`, {
            ath: await ath(second.access_token),
          }),
        )
      ).status,
    ).toBe(401)
    // A DPoP family is never downgraded to Bearer: a refresh without any proof is refused.
    expect(await oauthError(await f.refresh(client, second.refresh_token))).toMatchObject({
      status: 400,
      error: 'invalid_dpop_proof',
    })
  })
})

async function ath(token: string): Promise<string> {
  const { createHash } = await import('node:crypto')
  return createHash('sha256').update(token).digest('base64url')
}

describe('public clients (token_endpoint_auth_method none)', () => {
  it('register without a secret, must use DPoP, keep their refresh token bound to their key, and may not introspect', async () => {
    const f = await oauthFixture()
    const res = await f.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: ['com.fjord.app:/cb'],
        token_endpoint_auth_method: 'none',
      }),
    })
    expect(res.status).toBe(201)
    const registered = (await res.json()) as Record<string, unknown>
    expect(registered).not.toHaveProperty('client_secret')
    expect(registered).toMatchObject({
      token_endpoint_auth_method: 'none',
      dpop_bound_access_tokens: true,
      client_name: 'com.fjord.app',
    })
    const id = registered.client_id as string
    const app = {
      id,
      async auth() {
        return { headers: {}, form: { client_id: id } }
      },
    }

    const key = await dpopKey(f.now)
    const { code, verifier } = await f.code(app, { redirect_uri: 'com.fjord.app:/cb' })
    const exchange = (headers: Record<string, string>) =>
      f.post(
        '/oauth/token',
        app,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'com.fjord.app:/cb',
          code_verifier: verifier,
        },
        headers,
      )
    expect(await oauthError(await exchange({}))).toMatchObject({
      status: 400,
      error: 'invalid_request',
    })
    const tokens = (await (
      await exchange({ dpop: await key.proof('POST', TOKEN_URL) })
    ).json()) as TokenResponse
    expect(tokens.token_type).toBe('DPoP')

    const other = await dpopKey(f.now)
    expect(
      await oauthError(
        await f.refresh(app, tokens.refresh_token, { dpop: await other.proof('POST', TOKEN_URL) }),
      ),
    ).toMatchObject({ status: 400, error: 'invalid_dpop_proof' })
    expect(
      (await f.refresh(app, tokens.refresh_token, { dpop: await key.proof('POST', TOKEN_URL) }))
        .status,
    ).toBe(200)
    expect(
      await oauthError(await f.post('/oauth/introspect', app, { token: tokens.access_token })),
    ).toMatchObject({ status: 401, error: 'invalid_client' })
  })
})

describe('client authentication (RFC 6749 §2.3.1)', () => {
  it('a secret client may send its secret either way: Basic (the RFC 7591 default) or in the body (openid-client)', async () => {
    const f = await oauthFixture()
    const byDefault = await f.register()
    const post = await f.register({ token_endpoint_auth_method: 'client_secret_post' })
    const probe = (headers: Record<string, string>, form: Record<string, string>) =>
      f.app.request('/oauth/introspect', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ token: 'unknown', ...form }).toString(),
      })
    expect(
      (await probe({}, { client_id: byDefault.id, client_secret: byDefault.secret as string }))
        .status,
    ).toBe(200)
    expect((await probe({ authorization: basic(post.id, post.secret as string) }, {})).status).toBe(
      200,
    )
  })

  it('every invalid_client names the rule that failed, never the secret', async () => {
    const f = await oauthFixture()
    const secretClient = await f.register()
    const keyClient = await f.registerKeyClient()
    const call = (headers: Record<string, string>, form: Record<string, string>) =>
      f.app.request('/oauth/introspect', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ token: 'unknown', ...form }).toString(),
      })
    const described = async (res: Response) => {
      const e = await oauthError(res)
      expect([e.status, e.error]).toEqual([401, 'invalid_client'])
      expect(e.description).not.toContain(secretClient.secret as string)
      return e.description
    }
    const assertion = (claims: Record<string, unknown>) => keyClient.sign(claims)
    const jwtForm = async (claims: Record<string, unknown>) => ({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(claims),
    })

    expect(
      await described(await call({ authorization: basic('ven_unknown', 'whatever') }, {})),
    ).toMatch(/unknown client/)
    expect(
      await described(await call({ authorization: basic(secretClient.id, 'wrong') }, {})),
    ).toMatch(/secret is wrong/)
    expect(
      await described(await call({ authorization: basic(keyClient.id, 'a-secret') }, {})),
    ).toMatch(/another authentication method/)
    expect(
      await described(await call({}, await jwtForm({ aud: 'https://elsewhere.example' }))),
    ).toMatch(/audience/)
    const past = Math.floor(f.now().getTime() / 1000) - 600
    expect(await described(await call({}, await jwtForm({ iat: past - 60, exp: past })))).toMatch(
      /expired/,
    )
    const once = await jwtForm({})
    expect((await call({}, once)).status).toBe(200)
    expect(await described(await call({}, once))).toMatch(/already used/)
    expect(await described(await call({}, {}))).toMatch(/no client credentials/)
  })
})

describe('token lifetimes', () => {
  it('expires_in never exceeds the grant’s remaining life, on the code exchange and on refresh', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const details = JSON.stringify([
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: 'A minute',
        duration_seconds: 60,
      },
    ])
    const { code, verifier } = await f.code(client, {
      scope: undefined,
      authorization_details: details,
    })
    const tokens = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
    expect(tokens.expires_in).toBeGreaterThan(55)
    expect(tokens.expires_in).toBeLessThanOrEqual(60)
    const introspected = await f.introspect(client, tokens.access_token)
    expect(introspected.exp).toBeLessThanOrEqual(Math.floor(f.now().getTime() / 1000) + 60)
    f.advance(40)
    const refreshed = (await (
      await f.refresh(client, tokens.refresh_token)
    ).json()) as TokenResponse
    expect(refreshed.expires_in).toBeLessThanOrEqual(20)
  })
})

describe('resource errors (RFC 6750 §3)', () => {
  it('insufficient_scope names the scope the request needs; no credentials: no error code in challenge or body', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client) // read:email read:prefs.sizes.*: no purchases
    const { access_token } = (await (
      await f.exchange(client, code, verifier)
    ).json()) as TokenResponse
    const auth = { authorization: `Bearer ${access_token}` }
    const read = await f.app.request('/v1/purchases', { headers: auth })
    expect(read.status).toBe(403)
    expect(read.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="custos", error="insufficient_scope", .*scope="read:purchases"/,
    )
    const append = await f.app.request('/v1/purchases', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        seller: 'Fjord Outdoor',
        orderDate: '2026-03-14',
        currency: 'EUR',
        total: 1,
        items: [],
      }),
    })
    expect(append.status).toBe(403)
    expect(append.headers.get('www-authenticate')).toMatch(/scope="append:purchases"/)

    const bare = await f.app.request('/v1/profile')
    expect(bare.status).toBe(401)
    expect(bare.headers.get('www-authenticate')).not.toMatch(/error=/)
    expect(await bare.json()).not.toHaveProperty('error')
  })
})

describe('metadata', () => {
  it('RFC 8414 names the documentation; RFC 9728 lists the scopes', async () => {
    const f = await oauthFixture()
    const as = (await (
      await f.app.request('/.well-known/oauth-authorization-server')
    ).json()) as Record<string, unknown>
    expect(as.service_documentation).toBe(`${ISSUER}/docs`)
    expect(as.token_endpoint_auth_methods_supported).toContain('none')
    expect(as.introspection_endpoint_auth_methods_supported).not.toContain('none')
    const rs = (await (
      await f.app.request('/.well-known/oauth-protected-resource')
    ).json()) as Record<string, unknown>
    expect(rs.scopes_supported).toEqual(as.scopes_supported)
    expect(rs.scopes_supported).toEqual(
      expect.arrayContaining(['read:email', 'read:purchases', 'append:purchases']),
    )
  })
})

describe('registration (RFC 7591) and native-app redirects (RFC 8252)', () => {
  const register = (f: Awaited<ReturnType<typeof oauthFixture>>, body: Record<string, unknown>) =>
    f.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('client_name is optional: the owner sees the redirect URI’s host', async () => {
    const f = await oauthFixture()
    const res = await register(f, { redirect_uris: [REDIRECT] })
    expect(res.status).toBe(201)
    const body = (await res.json()) as { client_id: string; client_name: string }
    expect(body.client_name).toBe('fjord.example')
    expect((await f.tv.vault.vendors.get(body.client_id)).name).toBe('fjord.example')
  })

  it('accepts private-use schemes named after a domain, and still refuses other schemes, whitespace and unserialized forms', async () => {
    const f = await oauthFixture()
    expect((await register(f, { redirect_uris: ['com.example.app:/cb'] })).status).toBe(201)
    for (const uri of [
      'javascript:alert(1)',
      'custom:/cb',
      'com.example.app:/c b',
      'COM.example.app:/cb',
      'data:text/html,x',
      'file:///etc/passwd',
    ]) {
      const res = await register(f, { redirect_uris: [uri] })
      expect([uri, res.status, ((await res.json()) as { error: string }).error]).toEqual([
        uri,
        400,
        'invalid_redirect_uri',
      ])
    }
  })

  it('the consent page lets the decision redirect to a private-use scheme (CSP form-action) and names it', async () => {
    const f = await oauthFixture()
    const client = await f.register({ redirect_uris: ['com.fjord.app:/cb'] })
    const owner = await f.signIn()
    const page = await f.authorize(
      {
        client_id: client.id,
        response_type: 'code',
        scope: 'read:email',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      },
      owner,
    )
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain(
      "form-action 'self' com.fjord.app:;",
    )
    expect(await page.text()).not.toContain('sent back to null')
  })

  it('a loopback IP redirect URI matches on any port at authorization time (RFC 8252 §7.3), and only there', async () => {
    const f = await oauthFixture()
    const client = await f.register({
      redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]:8080/callback'],
    })
    for (const given of ['http://127.0.0.1:51234/callback', 'http://[::1]:49152/callback']) {
      const { code, verifier, back } = await f.code(client, { redirect_uri: given })
      expect(`${back.origin}${back.pathname}`).toBe(given)
      expect(
        (
          await f.post('/oauth/token', client, {
            grant_type: 'authorization_code',
            code,
            redirect_uri: given,
            code_verifier: verifier,
          })
        ).status,
      ).toBe(200)
    }
    const { challenge } = pkce()
    for (const wrong of [
      'http://127.0.0.1:51234/other',
      'http://localhost:51234/callback',
      'http://127.0.0.2:51234/callback',
      'https://127.0.0.1:51234/callback',
      'http://127.0.0.1:51234/callback?x=1',
    ]) {
      const res = await f.authorize({
        client_id: client.id,
        response_type: 'code',
        redirect_uri: wrong,
        scope: 'read:email',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })
      expect([wrong, res.status, res.headers.get('location')]).toEqual([wrong, 400, null])
    }
  })
})

describe('made_with_vendor: one spelling wherever vendors look', () => {
  it('authorization details answer made_with_vendor, and accept it and the older madeWithVendor', async () => {
    for (const purchases of [{ made_with_vendor: true }, { madeWithVendor: true }]) {
      const f = await oauthFixture()
      const client = await f.register()
      const details = JSON.stringify([
        {
          type: 'custos_fields',
          fields: ['email'],
          purchases,
          actions: ['read'],
          purpose: 'Order history',
        },
      ])
      const { code, verifier } = await f.code(client, {
        scope: undefined,
        authorization_details: details,
      })
      const tokens = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
      expect(tokens.authorization_details[0]?.purchases).toEqual({ made_with_vendor: true })
      expect((await f.introspect(client, tokens.access_token)).authorization_details).toEqual(
        tokens.authorization_details,
      )
      const grant = (await (
        await f.app.request('/v1/grant', {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        })
      ).json()) as { purchases: unknown }
      expect(grant.purchases).toEqual({ made_with_vendor: true })
    }
  })
})
