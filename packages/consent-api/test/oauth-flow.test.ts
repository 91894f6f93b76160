/**
 * The authorization flow end to end, in-process, as a vendor and the owner drive it: register →
 * PAR → the consent page → the owner signs in with the page's form → approves a subset → code →
 * token → refresh → reuse (the family dies) → revoke → introspect. Then fuzzing: random forms and
 * query strings at every endpoint never yield a 5xx (SECURITY.md promise 22).
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE } from '@custos/vault/testing'
import {
  FORM,
  ISSUER,
  PROFILE,
  REDIRECT,
  type TokenResponse,
  basic,
  disposeFixtures,
  form,
  oauthFixture,
  pkce,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

/** The value of a form control on a server-rendered page. */
const control = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]

describe('the whole flow, as a vendor and the owner', () => {
  it('register → PAR → consent page → sign in → approve a subset → code → token → refresh → reuse → revoke → introspect', async () => {
    const f = await oauthFixture()

    // The vendor discovers and registers (RFC 8414, RFC 7591).
    const meta = (await (
      await f.app.request('/.well-known/oauth-authorization-server')
    ).json()) as Record<string, unknown>
    expect(meta).toMatchObject({
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      pushed_authorization_request_endpoint: `${ISSUER}/oauth/par`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      authorization_response_iss_parameter_supported: true,
      code_challenge_methods_supported: ['S256'],
    })
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining([
        'read:email',
        'read:prefs.sizes.*',
        'read:purchases',
        'append:purchases',
      ]),
    )
    const client = await f.register()
    const secret = client.secret as string

    // PAR (RFC 9126) with PKCE S256, a scope and rich authorization details.
    const { verifier, challenge } = pkce()
    const details = [
      {
        type: 'custos_fields',
        fields: ['telephone'],
        actions: ['read'],
        purpose: 'Delivery updates',
        duration_seconds: 30 * 86400,
        accepted_terms: ['no-resale'],
      },
    ]
    const par = await f.app.request('/oauth/par', {
      method: 'POST',
      headers: { ...FORM, authorization: basic(client.id, secret) },
      body: form({
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'read:email read:prefs.sizes.*',
        authorization_details: JSON.stringify(details),
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'vendor-state',
      }),
    })
    expect(par.status).toBe(201)
    const { request_uri } = (await par.json()) as { request_uri: string }

    // The owner's browser arrives; no session yet: the page asks for the passphrase.
    const landing = await f.app.request(
      `/oauth/authorize?${form({ client_id: client.id, request_uri })}`,
    )
    expect(landing.status).toBe(200)
    const landingHtml = await landing.text()
    expect(landingHtml).toContain('Delivery updates')
    const returnTo = control(landingHtml, 'return_to') as string
    const login = await f.app.request('/owner/session', {
      method: 'POST',
      headers: FORM,
      body: form({ passphrase: PASSPHRASE, return_to: returnTo }),
    })
    expect(login.status).toBe(303)
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string

    // Back on the consent page, signed in: values are previewed, the form carries the tokens.
    const page = await f.app.request(login.headers.get('location') as string, {
      headers: { cookie },
    })
    const html = await page.text()
    for (const value of [PROFILE.email, PROFILE.telephone, PROFILE['prefs.sizes.shoe']])
      expect(html).toContain(value)
    const decision = new URLSearchParams([
      ['request_id', control(html, 'request_id') as string],
      ['csrf_token', control(html, 'csrf_token') as string],
      ['field', 'prefs.sizes.*'],
      ['field', 'telephone'], // email unticked
      ['duration_seconds', String(7 * 86400)],
      ['decision', 'approve'],
    ])
    const decided = await f.app.request('/oauth/authorize/decision', {
      method: 'POST',
      headers: { ...FORM, cookie, origin: ISSUER, 'sec-fetch-site': 'same-origin' },
      body: decision.toString(),
    })
    expect(decided.status).toBe(303)
    const back = new URL(decided.headers.get('location') as string)
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT)
    expect(back.searchParams.get('state')).toBe('vendor-state')
    expect(back.searchParams.get('iss')).toBe(ISSUER)
    const code = back.searchParams.get('code') as string

    // The vendor exchanges the code: the response says what was approved.
    const tokenRes = await f.exchange(client, code, verifier)
    expect(tokenRes.status).toBe(200)
    const tokens = (await tokenRes.json()) as TokenResponse
    expect(tokens.scope).toBe('read:prefs.sizes.* read:telephone')
    expect(tokens.authorization_details[0]).toMatchObject({
      fields: ['prefs.sizes.*', 'telephone'],
      purpose: 'Delivery updates',
      accepted_terms: ['no-resale'],
    })
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    expect(Date.parse(grant!.expiresAt) - f.now().getTime()).toBe(7 * 86400_000)

    // Refresh rotates; reusing the old refresh token kills the family.
    const refreshed = (await (
      await f.refresh(client, tokens.refresh_token)
    ).json()) as TokenResponse
    expect((await f.refresh(client, tokens.refresh_token)).status).toBe(400)
    expect(await f.introspect(client, refreshed.access_token)).toEqual({ active: false })

    // A second code for a fresh family (the session is still open), then revocation.
    const again = await f.code(client)
    const fresh = (await (
      await f.exchange(client, again.code, again.verifier)
    ).json()) as TokenResponse
    expect(await f.introspect(client, fresh.access_token)).toMatchObject({
      active: true,
      scope: 'read:email read:prefs.sizes.*',
    })
    expect((await f.post('/oauth/revoke', client, { token: fresh.refresh_token })).status).toBe(200)
    expect(await f.introspect(client, fresh.access_token)).toEqual({ active: false })
  })
})

describe('fuzz: random input never yields a 5xx', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom(
      '',
      'S256',
      'plain',
      'code',
      'read:email',
      'authorization_code',
      'refresh_token',
      '[{"type":"custos_fields"}]',
      '%',
      '\u0000',
    ),
  )
  const names = fc.constantFrom(
    'client_id',
    'client_secret',
    'redirect_uri',
    'response_type',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
    'authorization_details',
    'request_uri',
    'dpop_jkt',
    'grant_type',
    'code',
    'code_verifier',
    'refresh_token',
    'token',
    'token_type_hint',
    'client_assertion',
    'client_assertion_type',
    'request_id',
    'csrf_token',
    'decision',
    'field',
    'duration_seconds',
    'passphrase',
    'return_to',
  )
  const fields = fc.array(fc.tuple(fc.oneof(names, fc.string({ maxLength: 20 })), text), {
    maxLength: 12,
  })

  it('at every endpoint of the flow, with and without client credentials, cookies and DPoP headers', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const secret = client.secret as string
    const owner = await f.signIn()
    const paths = [
      '/oauth/authorize',
      '/oauth/authorize/decision',
      '/oauth/authorize/pending/x',
      '/oauth/par',
      '/oauth/token',
      '/oauth/revoke',
      '/oauth/introspect',
      '/owner/session',
    ]
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom('GET', 'POST', 'DELETE'),
        fields,
        fc.constantFrom(FORM['content-type'], 'application/json', 'text/plain', ''),
        fc.record({
          auth: fc.boolean(),
          cookie: fc.boolean(),
          dpop: fc.option(text),
          authorization: fc.option(text),
          withClient: fc.boolean(),
        }),
        async (path, method, pairs, type, extra) => {
          const params = new URLSearchParams(pairs)
          if (extra.withClient) params.set('client_id', client.id)
          const headers: Record<string, string> = {}
          if (type) headers['content-type'] = type
          if (extra.auth) headers.authorization = basic(client.id, secret)
          else if (extra.authorization !== null)
            headers.authorization = extra.authorization.replace(/[^\x20-\x7e]/g, '')
          if (extra.cookie) headers.cookie = owner.cookie
          if (extra.dpop !== null) headers.dpop = extra.dpop.replace(/[^\x20-\x7e]/g, '')
          const query = method === 'GET' || pairs.length % 3 === 0 ? `?${params}` : ''
          const body =
            method === 'GET'
              ? undefined
              : type === 'application/json'
                ? JSON.stringify(Object.fromEntries(params))
                : params.toString()
          const res = await f.app.request(`${path}${query}`, {
            method,
            headers,
            ...(body !== undefined ? { body } : {}),
          })
          expect([path, method, res.status < 500]).toEqual([path, method, true])
          await res.arrayBuffer()
        },
      ),
      { numRuns: 400 },
    )
  })

  it('authorization requests built from valid parts and random mutations never yield a 5xx or an off-site redirect', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const valid = {
      client_id: client.id,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'read:email',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's',
    }
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            ...Object.keys(valid),
            'authorization_details',
            'dpop_jkt',
            'request_uri',
            'response_mode',
          ),
          text,
          { maxKeys: 3 },
        ),
        async (mutation) => {
          const res = await f.app.request(`/oauth/authorize?${form({ ...valid, ...mutation })}`)
          expect(res.status).toBeLessThan(500)
          const location = res.headers.get('location')
          if (location !== null) expect(location.startsWith(`${REDIRECT}?`)).toBe(true)
          await res.arrayBuffer()
        },
      ),
      { numRuns: 300 },
    )
  })
})
