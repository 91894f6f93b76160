/**
 * The front channel of issue 3: authorization requests (RFC 6749 §4.1.1 with PKCE, RFC 7636),
 * pushed requests (RFC 9126), the consent page, the owner's session and decision. Errors before
 * the redirect URI is trusted are shown, never redirected (RFC 6749 §4.1.2.1); later ones go
 * back with `state` and `iss` (RFC 9207). SECURITY.md promises 16 and 24.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE } from '@custos/vault/testing'
import {
  FORM,
  ISSUER,
  PROFILE,
  REDIRECT,
  checkedBoxes,
  disposeFixtures,
  form,
  oauthFixture,
  pendingId,
  pkce,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

const request = (clientId: string, extra: Record<string, string> = {}) => ({
  client_id: clientId,
  response_type: 'code',
  redirect_uri: REDIRECT,
  scope: 'read:email read:prefs.sizes.*',
  code_challenge: pkce().challenge,
  code_challenge_method: 'S256',
  state: 'xyz-state',
  ...extra,
})

/** The error redirect of an authorization request: where it goes and what it says. */
function errorRedirect(res: Response): { target: string; params: URLSearchParams } {
  expect(res.status).toBe(302)
  const location = new URL(res.headers.get('location') as string)
  return { target: `${location.origin}${location.pathname}`, params: location.searchParams }
}

describe('the consent page', () => {
  it('shows the vendor, each field with its current value, the purpose, slice, duration and terms — with strict headers', async () => {
    const f = await oauthFixture()
    const client = await f.register({ logo_uri: 'https://fjord.example/logo.png' })
    const details = [
      {
        type: 'custos_fields',
        fields: ['telephone'],
        purchases: { madeWithVendor: true, categories: ['outdoor'] },
        actions: ['read', 'append'],
        purpose: 'Sizing advice',
        duration_seconds: 7 * 86400,
        accepted_terms: ['no-resale'],
      },
    ]
    const owner = await f.signIn()
    const res = await f.authorize(
      request(client.id, { authorization_details: JSON.stringify(details) }),
      owner,
    )
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toMatch(/form-action 'self' https:\/\/fjord\.example(;|$)/)
    expect(csp).not.toContain('script-src')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const html = await res.text()
    expect(html).not.toContain('<script')
    // The logo is never hot-linked (issue P1 — Trust, finding 3): a monogram stands in for it.
    expect(html).not.toContain('logo.png')
    expect(html).toContain('<span class="monogram" aria-hidden="true">F</span>')
    for (const text of [
      'Fjord Outdoor',
      'https://fjord.example',
      'Sizing advice',
      'no-resale',
      'outdoor',
      '7 days',
      'Shoe size',
      PROFILE.email,
      PROFILE['prefs.sizes.shoe'],
      PROFILE.telephone,
    ]) {
      expect([text, html.includes(text)]).toEqual([text, true])
    }
    expect(checkedBoxes(html)).toEqual([
      ['field', 'email'],
      ['field', 'prefs.sizes.*'],
      ['field', 'telephone'],
      ['purchases', 'read'],
      ['append', 'purchases'],
    ])
    // The duration can only be shortened: the longest option is the one asked for.
    const options = [...html.matchAll(/<option value="(\d+)"/g)].map((m) => Number(m[1]))
    expect(Math.max(...options)).toBe(7 * 86400)
  })

  it('escapes everything a vendor controls (its name, the purpose)', async () => {
    const f = await oauthFixture()
    const client = await f.register({ client_name: '<script>alert("name")</script>' })
    const details = [
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: '<img src=x onerror=alert(1)>',
      },
    ]
    const html = await (
      await f.authorize(
        request(client.id, { authorization_details: JSON.stringify(details) }),
        await f.signIn(),
      )
    ).text()
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<img src=x')
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })

  it('without an owner session shows what is asked but no value, and a sign-in form that comes back to the request', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const res = await f.authorize(request(client.id))
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Fjord Outdoor')
    expect(html).toContain('prefs.sizes.*')
    for (const value of Object.values(PROFILE)) expect(html).not.toContain(value)
    expect(html).not.toContain('name="csrf_token"')
    expect(html).toContain(`action="${ISSUER}/owner/session"`)
    expect(html).toContain('type="password"')

    // Signing in with the form: a 303 back to the pending request, with a hardened cookie.
    const returnTo = `/oauth/authorize/pending/${pendingId(html)}`
    const login = await f.app.request('/owner/session', {
      method: 'POST',
      headers: FORM,
      body: form({ passphrase: PASSPHRASE, return_to: returnTo }),
    })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe(returnTo)
    const cookie = login.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^custos_session=[A-Za-z0-9_-]{43};/)
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/'])
      expect(cookie).toContain(attribute)
    const again = await f.app.request(returnTo, {
      headers: { cookie: cookie.split(';')[0] as string },
    })
    expect(again.status).toBe(200)
    const signedIn = await again.text()
    expect(signedIn).toContain(PROFILE.email)
    expect(signedIn).toContain('name="csrf_token"')
  })

  it('sign-in refuses a wrong passphrase (no cookie) and never redirects off this server', async () => {
    const f = await oauthFixture()
    const wrong = await f.app.request('/owner/session', {
      method: 'POST',
      headers: FORM,
      body: form({ passphrase: 'not the passphrase' }),
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    const json = await f.app.request('/owner/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ passphrase: 'nope' }),
    })
    expect(json.status).toBe(401)
    expect(json.headers.get('content-type')).toBe('application/problem+json')
    const open = await f.app.request('/owner/session', {
      method: 'POST',
      headers: FORM,
      body: form({ passphrase: PASSPHRASE, return_to: 'https://evil.example/' }),
    })
    expect(open.status).toBe(303)
    expect(open.headers.get('location')).toBe('/')
  })

  it('owner sessions are stored hashed, die after 15 idle minutes, and logout needs the CSRF token', async () => {
    const f = await oauthFixture()
    const owner = await f.signIn()
    const id = owner.cookie.split('=')[1] as string
    const rows = (await f.tv.handle.db
      .selectFrom('owner_sessions' as never)
      .selectAll()
      .execute()) as Record<string, string>[]
    expect(rows).toHaveLength(1)
    expect(JSON.stringify(rows)).not.toContain(id)
    expect(JSON.stringify(rows)).not.toContain(owner.csrf)

    const client = await f.register()
    f.advance(14 * 60)
    expect(await (await f.authorize(request(client.id), owner)).text()).toContain(
      'name="csrf_token"',
    )
    f.advance(14 * 60) // idle 14 minutes since the last use: still alive
    expect(await (await f.authorize(request(client.id), owner)).text()).toContain(
      'name="csrf_token"',
    )
    f.advance(15 * 60 + 1)
    expect(await (await f.authorize(request(client.id), owner)).text()).not.toContain(
      'name="csrf_token"',
    )

    const again = await f.signIn()
    const noCsrf = await f.app.request('/owner/session', {
      method: 'DELETE',
      headers: { cookie: again.cookie },
    })
    expect(noCsrf.status).toBe(403)
    const out = await f.app.request('/owner/session', {
      method: 'DELETE',
      headers: { cookie: again.cookie, 'x-csrf-token': again.csrf },
    })
    expect(out.status).toBe(204)
    expect(await (await f.authorize(request(client.id), again)).text()).not.toContain(
      'name="csrf_token"',
    )
  })
})

describe('sealed (SECURITY.md promise 6)', () => {
  it('the authorization endpoints and owner sign-in answer 503 problem+json while the vault is sealed', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await f.tv.vault.lock()
    const attempts = [
      await f.authorize(request(client.id)),
      await f.post('/oauth/par', client, request(client.id)),
      await f.post('/oauth/token', client, { grant_type: 'refresh_token', refresh_token: 'x' }),
      await f.app.request('/owner/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ passphrase: PASSPHRASE }),
      }),
    ]
    for (const res of attempts) {
      expect(res.status).toBe(503)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.headers.get('set-cookie')).toBeNull()
    }
  })
})

describe('errors before the redirect URI is validated are shown, never redirected (RFC 6749 §4.1.2.1)', () => {
  it('redirect URIs match exactly: near misses of the registered one are refused on a page', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    for (const uri of [
      'https://fjord.example/cb/',
      'https://FJORD.example/cb',
      'https://fjord.example/cb?x=1',
      'http://fjord.example/cb',
      'https://fjord.example/c',
      'https://fjord.example/cb#',
      'https://evil.example/cb',
    ]) {
      const res = await f.authorize(request(client.id, { redirect_uri: uri }))
      expect([uri, res.status, res.headers.get('location')]).toEqual([uri, 400, null])
      expect(res.headers.get('content-type')).toContain('text/html')
      expect(await res.text()).not.toContain(uri)
    }
  })

  it('unknown or missing client, a repeated redirect_uri, and a missing redirect_uri with several registered are shown', async () => {
    const f = await oauthFixture()
    const many = await f.register({ redirect_uris: [REDIRECT, 'https://fjord.example/other'] })
    const cases = [
      `/oauth/authorize?${form(request('ven_unknown'))}`,
      `/oauth/authorize?${form({ ...request(many.id), client_id: '' })}`,
      `/oauth/authorize?${form(request(many.id))}&redirect_uri=${encodeURIComponent('https://fjord.example/other')}`,
    ]
    const { redirect_uri: _, ...withoutRedirect } = request(many.id)
    cases.push(`/oauth/authorize?${form(withoutRedirect)}`)
    for (const url of cases) {
      const res = await f.app.request(url)
      expect([url, res.status, res.headers.get('location')]).toEqual([url, 400, null])
    }
  })

  it('a blocked vendor is refused on a page', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await f.tv.vault.vendors.setBlocked(client.id, true)
    const res = await f.authorize(request(client.id))
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
  })
})

describe('errors after the redirect URI is validated go back to the client with state and iss (RFC 9207)', () => {
  it('PKCE S256 only: a missing challenge, a missing method (plain by default) and plain are refused', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code_challenge: _c, ...noChallenge } = request(client.id)
    const { code_challenge_method: _m, ...noMethod } = request(client.id)
    for (const query of [
      noChallenge,
      noMethod,
      request(client.id, { code_challenge_method: 'plain' }),
      request(client.id, { code_challenge: 'too-short' }),
    ]) {
      const { target, params } = errorRedirect(
        await f.app.request(`/oauth/authorize?${form(query)}`),
      )
      expect(target).toBe(REDIRECT)
      expect(Object.fromEntries(params)).toMatchObject({
        error: 'invalid_request',
        state: 'xyz-state',
        iss: ISSUER,
      })
      expect(params.has('code')).toBe(false)
    }
    expect(await f.tv.vault.grants.list()).toEqual([])
  })

  it('response_type other than code is unsupported_response_type; unknown fields are invalid_scope / invalid_authorization_details', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const cases: [Record<string, string>, string][] = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'read:email read:ssn' }, 'invalid_scope'],
      [{ scope: 'write:email' }, 'invalid_scope'],
      [{ scope: 'openid' }, 'invalid_scope'],
      [{ scope: 'append:email' }, 'invalid_scope'],
      [{ scope: 'read:nothing.*' }, 'invalid_scope'],
      [{ scope: '' }, 'invalid_scope'],
      [
        {
          authorization_details:
            '[{"type":"custos_fields","fields":["ssn"],"actions":["read"],"purpose":"x"}]',
        },
        'invalid_authorization_details',
      ],
      [
        { authorization_details: '[{"type":"payment_initiation","actions":["read"]}]' },
        'invalid_authorization_details',
      ],
      [
        {
          authorization_details: '[{"type":"custos_fields","fields":["email"],"actions":["read"]}]',
        },
        'invalid_authorization_details',
      ],
      [{ authorization_details: '{"type":"custos_fields"}' }, 'invalid_authorization_details'],
      [{ authorization_details: 'not json' }, 'invalid_authorization_details'],
      [
        {
          authorization_details:
            '[{"type":"custos_fields","fields":["email"],"actions":["append"],"purpose":"x"}]',
        },
        'invalid_authorization_details',
      ],
      [
        {
          authorization_details:
            '[{"type":"custos_fields","fields":["email"],"actions":["read"],"purpose":"x","duration_seconds":5}]',
        },
        'invalid_authorization_details',
      ],
      [{ response_mode: 'fragment' }, 'invalid_request'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    ]
    for (const [extra, error] of cases) {
      const { params } = errorRedirect(
        await f.app.request(`/oauth/authorize?${form(request(client.id, extra))}`),
      )
      expect([extra, params.get('error'), params.get('state'), params.get('iss')]).toEqual([
        extra,
        error,
        'xyz-state',
        ISSUER,
      ])
    }
  })

  it('a repeated parameter is invalid_request (RFC 6749 §3.1), and an invalid state is not echoed', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const repeated = errorRedirect(
      await f.app.request(`/oauth/authorize?${form(request(client.id))}&scope=read:telephone`),
    )
    expect(repeated.params.get('error')).toBe('invalid_request')
    const badState = errorRedirect(
      await f.app.request(`/oauth/authorize?${form(request(client.id, { state: 'a\u0000b' }))}`),
    )
    expect(badState.params.get('error')).toBe('invalid_request')
    expect(badState.params.has('state')).toBe(false)
  })
})

describe('the owner decides', () => {
  it('approves a subset: only ticked, requested fields are granted, never a field slipped into the form, and the duration only shortened', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const back = await f.consent(request(client.id), () => [
      ['field', 'prefs.sizes.*'],
      ['field', 'telephone'], // not requested: ignored
      ['duration_seconds', String(86400)],
      ['decision', 'approve'],
    ])
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT)
    expect(back.searchParams.get('state')).toBe('xyz-state')
    expect(back.searchParams.get('iss')).toBe(ISSUER)
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    expect(grant).toMatchObject({
      fields: ['prefs.sizes.*'],
      actions: ['read'],
      purpose: 'Requested by Fjord Outdoor',
      status: 'active',
    })
    expect(Date.parse(grant!.expiresAt) - f.now().getTime()).toBe(86400_000)
  })

  it('a longer duration than asked is refused and nothing is granted', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const owner = await f.signIn()
    const html = await (await f.authorize(request(client.id), owner)).text()
    const res = await f.decide(owner, [
      ['request_id', pendingId(html)],
      ['csrf_token', owner.csrf],
      ['field', 'email'],
      ['duration_seconds', String(10 * 365 * 86400)],
      ['decision', 'approve'],
    ])
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
    expect(await f.tv.vault.grants.list()).toEqual([])
  })

  it('deny (or unticking everything) sends access_denied with state and iss, and grants nothing', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    for (const decision of [[['decision', 'deny']], [['decision', 'approve']]] as [
      string,
      string,
    ][][]) {
      const back = await f.consent(request(client.id), () => decision)
      expect(Object.fromEntries(back.searchParams)).toMatchObject({
        error: 'access_denied',
        state: 'xyz-state',
        iss: ISSUER,
      })
      expect(back.searchParams.has('code')).toBe(false)
    }
    expect(await f.tv.vault.grants.list()).toEqual([])
  })

  it('CSRF: a decision without the session, without its token, with another session’s token, or from another site is refused', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const owner = await f.signIn()
    const other = await f.signIn()
    const html = await (await f.authorize(request(client.id), owner)).text()
    const base: [string, string][] = [
      ['request_id', pendingId(html)],
      ['field', 'email'],
      ['decision', 'approve'],
    ]
    const attempts: [string, Response][] = [
      [
        'no session',
        await f.app.request('/oauth/authorize/decision', {
          method: 'POST',
          headers: FORM,
          body: new URLSearchParams([...base, ['csrf_token', owner.csrf]]).toString(),
        }),
      ],
      ['no token', await f.decide(owner, base)],
      ['another session’s token', await f.decide(owner, [...base, ['csrf_token', other.csrf]])],
      [
        'cross-site origin',
        await f.decide(owner, [...base, ['csrf_token', owner.csrf]], {
          origin: 'https://evil.example',
        }),
      ],
      [
        'cross-site fetch',
        await f.decide(owner, [...base, ['csrf_token', owner.csrf]], {
          'sec-fetch-site': 'cross-site',
        }),
      ],
    ]
    for (const [what, res] of attempts)
      expect([what, res.status >= 400 && res.status < 500, res.headers.get('location')]).toEqual([
        what,
        true,
        null,
      ])
    expect(await f.tv.vault.grants.list()).toEqual([])
    // The pending request survived the forgeries and the real owner can still decide, once.
    const ok = await f.decide(owner, [...base, ['csrf_token', owner.csrf]], {
      origin: ISSUER,
      'sec-fetch-site': 'same-origin',
    })
    expect(ok.status).toBe(303)
    const replay = await f.decide(owner, [...base, ['csrf_token', owner.csrf]])
    expect(replay.status).toBe(400)
    expect(await f.tv.vault.grants.list()).toHaveLength(1)
  })

  it('scope-only requests get a default purpose and duration; rich requests carry theirs into the grant', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const details = [
      {
        type: 'custos_fields',
        fields: ['email'],
        purchases: { madeWithVendor: true },
        actions: ['read', 'append'],
        purpose: 'Order history',
        duration_seconds: 3600,
        accepted_terms: ['no-resale', 'delete-on-exit'],
      },
    ]
    await f.consent(
      request(client.id, {
        scope: 'read:name.given',
        authorization_details: JSON.stringify(details),
      }),
    )
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    expect(grant).toMatchObject({
      fields: ['name.given', 'email'],
      purchases: { madeWithVendor: true },
      actions: ['read', 'append'],
      purpose: 'Order history',
      acceptedTerms: ['no-resale', 'delete-on-exit'],
    })
    expect(Date.parse(grant!.expiresAt) - f.now().getTime()).toBe(3600_000)
  })
})

describe('pushed authorization requests (RFC 9126)', () => {
  it('answers 201 with a request_uri the client then uses once; the front channel takes only client_id + request_uri', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const res = await f.post('/oauth/par', client, request(client.id))
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as { request_uri: string; expires_in: number }
    expect(body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/)
    expect(body.expires_in).toBe(90)
    const owner = await f.signIn()
    const first = await f.authorize(
      { client_id: client.id, request_uri: body.request_uri, scope: 'read:telephone' },
      owner,
    )
    expect(first.status).toBe(200)
    const html = await first.text()
    expect(html).toContain(PROFILE.email)
    expect(html).not.toContain(PROFILE.telephone) // front-channel parameters are ignored with request_uri
    const second = await f.authorize({ client_id: client.id, request_uri: body.request_uri }, owner)
    expect(second.status).toBe(400)
    expect(second.headers.get('location')).toBeNull()
  })

  it('a request_uri belongs to its client and expires', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const other = await f.register({ client_name: 'Other Shop' })
    const uri = await f.par(client, request(client.id))
    expect((await f.authorize({ client_id: other.id, request_uri: uri })).status).toBe(400)
    // The other client's failed attempt did not consume it: the rightful client still can.
    expect((await f.authorize({ client_id: client.id, request_uri: uri })).status).toBe(200)
    const late = await f.par(client, request(client.id))
    f.advance(91)
    expect((await f.authorize({ client_id: client.id, request_uri: late })).status).toBe(400)
  })

  it('requires client authentication and answers validation errors directly as JSON', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const anonymous = await f.app.request('/oauth/par', {
      method: 'POST',
      headers: FORM,
      body: form(request(client.id)),
    })
    expect(anonymous.status).toBe(401)
    expect(((await anonymous.json()) as { error: string }).error).toBe('invalid_client')
    const cases: [Record<string, string>, string][] = [
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
      [{ request_uri: 'urn:ietf:params:oauth:request_uri:x' }, 'invalid_request'],
      [{ scope: 'read:ssn' }, 'invalid_scope'],
    ]
    for (const [extra, error] of cases) {
      const res = await f.post('/oauth/par', client, request(client.id, extra))
      expect([extra, res.status, ((await res.json()) as { error: string }).error]).toEqual([
        extra,
        400,
        error,
      ])
      expect(res.headers.get('location')).toBeNull()
    }
  })
})
