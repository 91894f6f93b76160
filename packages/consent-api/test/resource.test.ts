/**
 * The vendor resource API (issue 3): GET /v1/profile, /v1/purchases, /v1/grant and POST
 * /v1/purchases behind RFC 6750 bearer and RFC 9449 DPoP authentication — deny by default,
 * revocation/expiry/blocking at the next request, tokens only in the header (SECURITY.md 13,
 * 15, 17, 18, 19, 22).
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ISSUER,
  PROFILE,
  bearerError,
  disposeFixtures,
  dpopKey,
  resourceFixture,
} from './support/resource-fixture.js'

afterEach(disposeFixtures)

const ORDER = {
  seller: 'Fjord Outdoor',
  orderDate: '2026-03-14T10:00:00Z',
  orderNumber: 'FJ-1001',
  currency: 'EUR',
  total: 59,
  items: [{ name: 'Wool socks', quantity: 2, price: 29.5 }],
}

describe('GET /v1/profile', () => {
  it('returns exactly the granted fields that have values, and no ungranted value ever appears', async () => {
    const f = await resourceFixture()
    const { grantId, token } = await f.vendorWithToken({
      fields: ['email', 'prefs.sizes.*', 'alternateName'],
    })
    const res = await f.get('/v1/profile', token)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({
      fields: {
        email: PROFILE.email,
        'prefs.sizes.shoe': PROFILE['prefs.sizes.shoe'],
        'prefs.sizes.top': PROFILE['prefs.sizes.top'],
      },
    })
    for (const path of ['name.given', 'name.family', 'telephone'] as const)
      expect(text).not.toContain(PROFILE[path])
    expect(text).not.toContain('peanut-canary')
    // The same answer as the vault's own read through the grant.
    expect(JSON.parse(text).fields).toEqual(
      (await f.tv.vault.readThroughGrant(grantId, { include: ['fields'] })).fields,
    )
  })

  it('property: whatever is granted, the response is a subset of the grant and of the profile', async () => {
    const f = await resourceFixture()
    const vendorId = await f.registerVendor()
    const selectors = [
      'email',
      'name.given',
      'name.family',
      'telephone',
      'prefs.sizes.*',
      'prefs.allergies',
      'prefs.*',
      'name.*',
      'alternateName',
    ]
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...selectors), { minLength: 1, maxLength: 4 }),
        async (granted) => {
          const grantId = await f.grant(vendorId, { fields: granted })
          const body = (await (
            await f.get('/v1/profile', await f.token(vendorId, grantId))
          ).json()) as { fields: Record<string, unknown> }
          const expected = Object.fromEntries(
            Object.entries(PROFILE).filter(([path]) =>
              granted.some((s) =>
                s.endsWith('.*') ? path.startsWith(s.slice(0, -1)) : path === s,
              ),
            ),
          )
          expect(body.fields).toEqual(expected)
        },
      ),
      { numRuns: 15 },
    )
  })

  it('narrowing the grant shows less at the very next request', async () => {
    const f = await resourceFixture()
    const { grantId, token } = await f.vendorWithToken()
    expect(
      Object.keys(
        ((await (await f.get('/v1/profile', token)).json()) as { fields: object }).fields,
      ).sort(),
    ).toEqual(['email', 'prefs.sizes.shoe', 'prefs.sizes.top'])
    await f.tv.vault.grants.narrow(grantId, { fields: ['prefs.sizes.shoe'] })
    expect(await (await f.get('/v1/profile', token)).json()).toEqual({
      fields: { 'prefs.sizes.shoe': PROFILE['prefs.sizes.shoe'] },
    })
  })

  it('revocation: the next request is 401 invalid_token (RFC 6750 §3.1), body and challenge agree', async () => {
    const f = await resourceFixture()
    const { grantId, token } = await f.vendorWithToken()
    expect((await f.get('/v1/profile', token)).status).toBe(200)
    await f.tv.vault.grants.revoke(grantId)
    const err = await bearerError(await f.get('/v1/profile', token))
    expect(err).toMatchObject({
      status: 401,
      error: 'invalid_token',
      body: { error: 'invalid_token' },
    })
    expect(err.challenge).toMatch(
      /^Bearer realm="custos", error="invalid_token", error_description="[^"]+"/,
    )
    expect(err.challenge).toContain(
      `resource_metadata="${ISSUER}/.well-known/oauth-protected-resource"`,
    )
    expect(JSON.stringify(err)).not.toContain(grantId)
  })

  it('grant expiry on the fake clock: 401 invalid_token although the access token is still fresh', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken({ durationSeconds: 120 })
    expect((await f.get('/v1/profile', token)).status).toBe(200)
    f.advance(121)
    expect(await bearerError(await f.get('/v1/profile', token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
  })

  it('access token expiry: 401 invalid_token once the token outlives accessTokenSeconds, the grant still live', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken()
    f.advance(599)
    expect((await f.get('/v1/profile', token)).status).toBe(200)
    f.advance(2)
    expect(await bearerError(await f.get('/v1/profile', token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
  })

  it('a blocked vendor is refused at the next request with 401 invalid_token, and again after unblocking works', async () => {
    const f = await resourceFixture()
    const { vendorId, token } = await f.vendorWithToken()
    await f.tv.vault.vendors.setBlocked(vendorId, true)
    expect(await bearerError(await f.get('/v1/profile', token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
    expect(await bearerError(await f.get('/v1/grant', token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
    await f.tv.vault.vendors.setBlocked(vendorId, false)
    expect((await f.get('/v1/profile', token)).status).toBe(200)
  })

  it('every read is in the audit log as grant.read with the paths it returned, before the response is seen', async () => {
    const f = await resourceFixture()
    const { grantId, token } = await f.vendorWithToken()
    for (let i = 1; i <= 3; i++) {
      expect((await f.get('/v1/profile', token)).status).toBe(200)
      const reads = await f.tv.vault.audit.list({ action: 'grant.read', grantId })
      expect(reads).toHaveLength(i)
      expect(reads[0]?.paths).toEqual(['email', 'prefs.sizes.shoe', 'prefs.sizes.top'])
    }
  })

  it('a sealed vault answers 503 problem+json on /v1/*', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken()
    await f.tv.vault.lock()
    const res = await f.get('/v1/profile', token)
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})

describe('tokens only in the Authorization header (RFC 6750 §2, SECURITY.md 17)', () => {
  it('a token in the query string is refused with invalid_request, even alongside a valid header', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken()
    for (const res of [
      await f.app.request(`/v1/profile?access_token=${token}`),
      await f.get(`/v1/profile?access_token=${token}`, token),
    ]) {
      expect(await bearerError(res)).toMatchObject({
        status: 400,
        error: 'invalid_request',
        body: { error: 'invalid_request' },
      })
    }
    expect(await f.tv.vault.audit.list({ action: 'grant.read' })).toHaveLength(0)
  })

  it('a token in a form body is refused with invalid_request', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken({ actions: ['read', 'append'] })
    const res = await f.app.request('/v1/purchases', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}`,
    })
    expect(await bearerError(res)).toMatchObject({ status: 400, error: 'invalid_request' })
  })

  it('no Authorization header: 401 with Bearer and DPoP challenges and no error code (RFC 6750 §3.1)', async () => {
    const f = await resourceFixture()
    for (const headers of [{}, { authorization: '' }, { authorization: 'Basic Zm9vOmJhcg==' }]) {
      const res = await f.app.request('/v1/profile', { headers })
      const err = await bearerError(res)
      expect(err.status).toBe(401)
      expect(err.error).toBeUndefined()
      expect(err.challenge).toMatch(/^Bearer realm="custos".*, DPoP realm="custos", algs="[^"]+"/)
    }
  })

  it('a malformed Authorization header is 400 invalid_request; an unknown token is 401 invalid_token', async () => {
    const f = await resourceFixture()
    for (const authorization of [
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Bearer tok"en',
      'Bearer tökén',
      'DPoP',
      `Bearer ${'a'.repeat(5000)}`,
      'Bearer abc, Bearer def',
    ]) {
      const res = await f.app.request('/v1/profile', { headers: { authorization } })
      expect([authorization.slice(0, 20), (await bearerError(res)).error]).toEqual([
        authorization.slice(0, 20),
        'invalid_request',
      ])
    }
    for (const authorization of [
      'Bearer not-a-real-token',
      'bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `Bearer ${'a'.repeat(600)}`,
    ]) {
      expect(
        await bearerError(await f.app.request('/v1/profile', { headers: { authorization } })),
      ).toMatchObject({ status: 401, error: 'invalid_token' })
    }
  })

  it('the scheme name is case-insensitive (RFC 7235 §2.1)', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken()
    expect((await f.get('/v1/profile', token, { scheme: 'bEaReR' })).status).toBe(200)
  })
})

describe('DPoP-bound tokens (RFC 9449 §7, SECURITY.md 18)', () => {
  async function dpopSetup() {
    const f = await resourceFixture()
    const key = await dpopKey(f.now)
    const vendorId = await f.registerVendor()
    const grantId = await f.grant(vendorId)
    const token = await f.token(vendorId, grantId, key.jkt)
    const call = async (
      proof: string | undefined,
      { scheme = 'DPoP', method = 'GET', path = '/v1/profile' } = {},
    ) =>
      f.app.request(path, {
        method,
        headers: {
          authorization: `${scheme} ${token}`,
          ...(proof !== undefined ? { dpop: proof } : {}),
        },
      })
    return { f, key, token, call }
  }

  it('works with the DPoP scheme and a fresh proof for this method, URL and token', async () => {
    const { key, token, call } = await dpopSetup()
    const res = await call(await key.proof('GET', `${ISSUER}/v1/profile`, token))
    expect(res.status).toBe(200)
    expect(Object.keys(((await res.json()) as { fields: object }).fields)).toContain('email')
    // A query string is not part of htu (RFC 9449 §4.3).
    expect(
      (
        await call(await key.proof('GET', `${ISSUER}/v1/profile`, token), {
          path: '/v1/profile?x=1',
        })
      ).status,
    ).toBe(200)
  })

  it('refuses a bound token presented as Bearer (no downgrade, RFC 9449 §7.2) — invalid_token in the DPoP scheme', async () => {
    const { key, token, call } = await dpopSetup()
    const err = await bearerError(
      await call(await key.proof('GET', `${ISSUER}/v1/profile`, token), { scheme: 'Bearer' }),
    )
    expect(err).toMatchObject({ status: 401, error: 'invalid_token' })
    expect(err.challenge).toMatch(
      /^DPoP realm="custos", error="invalid_token".*algs="ES256 EdDSA RS256 PS256"/,
    )
  })

  it('refuses a request without a proof', async () => {
    const { call } = await dpopSetup()
    expect(await bearerError(await call(undefined))).toMatchObject({
      status: 401,
      error: 'invalid_dpop_proof',
    })
  })

  it('refuses a valid proof made with another key (key binding): invalid_token', async () => {
    const { f, token, call } = await dpopSetup()
    const other = await dpopKey(f.now)
    expect(
      await bearerError(await call(await other.proof('GET', `${ISSUER}/v1/profile`, token))),
    ).toMatchObject({ status: 401, error: 'invalid_token' })
  })

  it('refuses a replayed proof', async () => {
    const { key, token, call } = await dpopSetup()
    const proof = await key.proof('GET', `${ISSUER}/v1/profile`, token)
    expect((await call(proof)).status).toBe(200)
    expect(await bearerError(await call(proof))).toMatchObject({
      status: 401,
      error: 'invalid_dpop_proof',
    })
  })

  it('refuses a wrong htu, a wrong htm, a wrong ath, a stale iat and a missing ath', async () => {
    const { f, key, token, call } = await dpopSetup()
    const cases = {
      'other path': await key.proof('GET', `${ISSUER}/v1/grant`, token),
      'other host': await key.proof('GET', 'https://evil.example/v1/profile', token),
      'other method': await key.proof('POST', `${ISSUER}/v1/profile`, token),
      'ath of another token': await key.proof('GET', `${ISSUER}/v1/profile`, 'another-token'),
      'no ath': await key.proof('GET', `${ISSUER}/v1/profile`, undefined),
      'iat 5 minutes ago': await key.proof('GET', `${ISSUER}/v1/profile`, token, {
        iat: Math.floor(f.now().getTime() / 1000) - 300,
      }),
      garbage: 'not.a.jwt',
      // RFC 9449 §4.3 step 1: exactly one proof; repeated headers arrive joined with a comma.
      'two proofs': `${await key.proof('GET', `${ISSUER}/v1/profile`, token)}, ${await key.proof('GET', `${ISSUER}/v1/profile`, token)}`,
    }
    for (const [name, proof] of Object.entries(cases)) {
      const err = await bearerError(await call(proof))
      expect([name, err.status, err.error]).toEqual([name, 401, 'invalid_dpop_proof'])
    }
    expect(await f.tv.vault.audit.list({ action: 'grant.read' })).toHaveLength(0)
  })

  it('refuses an unbound token presented with the DPoP scheme', async () => {
    const f = await resourceFixture()
    const key = await dpopKey(f.now)
    const { token } = await f.vendorWithToken()
    const res = await f.get('/v1/profile', token, {
      scheme: 'DPoP',
      headers: { dpop: await key.proof('GET', `${ISSUER}/v1/profile`, token) },
    })
    expect(await bearerError(res)).toMatchObject({ status: 401, error: 'invalid_token' })
  })
})

describe('GET /v1/purchases', () => {
  it('pages through the granted slice only: purchases made with this vendor, newest first', async () => {
    const f = await resourceFixture()
    const { vendorId, token } = await f.vendorWithToken({
      fields: [],
      purchases: { madeWithVendor: true },
    })
    const other = await f.registerVendor({ client_name: 'Other Shop' })
    for (const day of ['01', '02', '03'])
      await f.tv.vault.purchases.add(
        { ...ORDER, orderDate: `2026-01-${day}`, orderNumber: `FJ-${day}` },
        { vendorId },
      )
    await f.tv.vault.purchases.add(
      { ...ORDER, seller: 'Other Shop', orderNumber: 'OTHER-CANARY' },
      { vendorId: other },
    )
    const first = (await (await f.get('/v1/purchases?limit=2', token)).json()) as {
      items: { orderNumber: string }[]
      next_cursor?: string
    }
    expect(first.items.map((p) => p.orderNumber)).toEqual(['FJ-03', 'FJ-02'])
    expect(first.next_cursor).toBeTypeOf('string')
    const res = await f.get(
      `/v1/purchases?limit=2&cursor=${encodeURIComponent(first.next_cursor as string)}`,
      token,
    )
    const text = await res.text()
    expect(JSON.parse(text)).toMatchObject({ items: [{ orderNumber: 'FJ-01' }] })
    expect(JSON.parse(text)).not.toHaveProperty('next_cursor')
    expect(text).not.toContain('OTHER-CANARY')
    expect((await f.tv.vault.audit.list({ action: 'grant.read' }))[0]?.purchaseIds).toHaveLength(1)
  })

  it('a grant without a purchase slice is 403 insufficient_scope', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken()
    const err = await bearerError(await f.get('/v1/purchases', token))
    expect(err).toMatchObject({ status: 403, error: 'insufficient_scope' })
    expect(err.challenge).toMatch(/^Bearer realm="custos", error="insufficient_scope"/)
  })

  it('a bad limit or cursor is 400 problem+json, never echoed', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken({ purchases: { madeWithVendor: true } })
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=abc-canary',
      'cursor=bm90LWEtY3Vyc29yLWNhbmFyeQ',
    ]) {
      const res = await f.get(`/v1/purchases?${query}`, token)
      expect([query, res.status, res.headers.get('content-type')]).toEqual([
        query,
        400,
        'application/problem+json',
      ])
      expect(await res.text()).not.toContain('canary')
    }
  })
})

describe('POST /v1/purchases', () => {
  const post = (
    f: Awaited<ReturnType<typeof resourceFixture>>,
    token: string,
    body: unknown,
    type = 'application/json',
  ) =>
    f.app.request('/v1/purchases', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })

  it('with append, an order lands pending in the owner inbox: 202 with its id', async () => {
    const f = await resourceFixture()
    const { vendorId, token } = await f.vendorWithToken({ actions: ['read', 'append'] })
    const res = await post(f, token, ORDER)
    expect(res.status).toBe(202)
    const { id, status } = (await res.json()) as { id: string; status: string }
    expect(status).toBe('pending')
    const inbox = await f.tv.vault.inbox.list()
    expect(inbox.items).toHaveLength(1)
    expect(inbox.items[0]).toMatchObject({
      id,
      status: 'pending',
      provenance: 'vendor',
      vendorId,
      orderNumber: 'FJ-1001',
    })
    // Pending receipts are invisible to grants until the owner accepts them.
    expect(await f.tv.vault.purchases.list()).toMatchObject({ items: [] })
  })

  it('without append: 403 insufficient_scope, whatever the body', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken()
    for (const body of [ORDER, { nonsense: true }, '{not json']) {
      expect(await bearerError(await post(f, token, body))).toMatchObject({
        status: 403,
        error: 'insufficient_scope',
      })
    }
    expect((await f.tv.vault.inbox.list()).items).toHaveLength(0)
  })

  it('an invalid order is 400 problem+json with issues; malformed JSON 400; another media type 415', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken({ actions: ['read', 'append'] })
    const invalid = await post(f, token, { ...ORDER, currency: 'euro-canary', total: -1 })
    expect(invalid.status).toBe(400)
    expect(invalid.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await invalid.json()) as { code: string; issues: { path: string }[] }
    expect(problem.code).toBe('ERR_VALIDATION')
    expect(problem.issues.map((i) => i.path).sort()).toEqual(['currency', 'total'])
    expect(JSON.stringify(problem)).not.toContain('canary')
    expect((await post(f, token, '{"seller": ')).status).toBe(400)
    expect((await post(f, token, JSON.stringify(ORDER), 'text/plain')).status).toBe(415)
    expect((await f.tv.vault.inbox.list()).items).toHaveLength(0)
  })

  it('a revoked grant cannot append: 401 invalid_token', async () => {
    const f = await resourceFixture()
    const { grantId, token } = await f.vendorWithToken({ actions: ['read', 'append'] })
    await f.tv.vault.grants.revoke(grantId)
    expect(await bearerError(await post(f, token, ORDER))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
  })
})

describe('GET /v1/grant', () => {
  it('says what the token may do, until when and why, with a signed receipt', async () => {
    const f = await resourceFixture()
    const { vendorId, grantId, token } = await f.vendorWithToken({
      purchases: { madeWithVendor: true, categories: ['outdoor'] },
      actions: ['read', 'append'],
    })
    const res = await f.get('/v1/grant', token)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      grant_id: grantId,
      vendor_id: vendorId,
      fields: ['email', 'prefs.sizes.*'],
      purchases: { made_with_vendor: true, categories: ['outdoor'] },
      actions: ['read', 'append'],
      purpose: 'Fit recommendations',
      status: 'active',
      accepted_terms: ['no-resale'],
    })
    expect(Date.parse(body.expires_at as string)).toBe(f.now().getTime() + 86_400_000)
    expect(body.receipt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('an append-only grant may still ask what it may do', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken({ fields: [], actions: ['append'] })
    expect(await (await f.get('/v1/grant', token)).json()).toMatchObject({
      actions: ['append'],
      purchases: null,
    })
  })
})

describe('the resource edge', () => {
  it('protected resource metadata advertises header-only tokens and DPoP algs (RFC 9728)', async () => {
    const f = await resourceFixture()
    const meta = (await (
      await f.app.request('/.well-known/oauth-protected-resource')
    ).json()) as Record<string, unknown>
    expect(meta).toMatchObject({
      resource: ISSUER,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
    })
    expect(meta.dpop_signing_alg_values_supported).toContain('ES256')
  })

  it('fuzz: random methods, paths, headers, queries and bodies on /v1/* never give a 5xx', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken({
      purchases: { madeWithVendor: true },
      actions: ['read', 'append'],
    })
    const key = await dpopKey(f.now)
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 60,
    })
    const authorization = fc.oneof(
      fc.constant(`Bearer ${token}`),
      fc.constant(`DPoP ${token}`),
      printable.map((s) => `Bearer ${s}`),
      printable.map((s) => `DPoP ${s}`),
      printable,
    )
    const request = fc.record(
      {
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
        path: fc.constantFrom(
          '/v1/profile',
          '/v1/purchases',
          '/v1/grant',
          '/v1/',
          '/v1/nope',
          '/v1/purchases/x',
        ),
        query: fc.dictionary(fc.constantFrom('limit', 'cursor', 'access_token', 'x'), printable, {
          maxKeys: 3,
        }),
        authorization,
        dpop: fc.oneof(printable, fc.constant('proof')),
        accept: fc.constantFrom(
          'application/json',
          'application/custos-sealed',
          'application/custos-sealed;q=0',
          '*/*',
          '',
        ),
        contentType: fc.constantFrom(
          'application/json',
          'application/x-www-form-urlencoded',
          'text/plain',
          'multipart/form-data',
          '',
        ),
        body: fc.oneof(fc.json(), printable, fc.constant(JSON.stringify(ORDER))),
      },
      { requiredKeys: ['method', 'path', 'query'] },
    )
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {}
        if (r.authorization !== undefined) headers.authorization = r.authorization
        if (r.dpop === 'proof')
          headers.dpop = await key.proof(r.method, `${ISSUER}${r.path}`, token)
        else if (r.dpop !== undefined) headers.dpop = r.dpop
        if (r.accept) headers.accept = r.accept
        if (r.contentType) headers['content-type'] = r.contentType
        const query = new URLSearchParams(r.query).toString()
        const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD'
        const res = await f.app.request(`${r.path}${query ? `?${query}` : ''}`, {
          method: r.method,
          headers,
          ...(hasBody ? { body: r.body } : {}),
        })
        expect(res.status).toBeLessThan(500)
      }),
      { numRuns: 200 },
    )
  })
})
