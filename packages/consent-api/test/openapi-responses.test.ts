/**
 * Issue 10: real answers of the API, checked against the OpenAPI document it serves — statuses,
 * media types and JSON bodies (test/support/openapi-conformance.ts) — along the flows the other
 * suites test: a vendor's registration, PAR, consent, token, refresh, introspection and
 * revocation; its reads of /v1/profile, /v1/grant and /v1/purchases; the owner's API; and the
 * RFC 6749/6750 and RFC 9457 errors on the way.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type OpenApiDocument, watchResponses } from './support/openapi-conformance.js'
import { type TokenResponse, disposeFixtures, oauthFixture } from './support/oauth-fixture.js'
import {
  GUARDED_ROUTES,
  ORDER,
  disposeOwnerFixtures,
  fill,
  ownerFixture,
  seedIds,
} from './support/owner-fixture.js'

afterEach(async () => {
  await disposeFixtures()
  await disposeOwnerFixtures()
})

async function documentOf(app: {
  request: (path: string) => Response | Promise<Response>
}): Promise<OpenApiDocument> {
  return (await (await app.request('/openapi.json')).json()) as OpenApiDocument
}

describe('real responses match the OpenAPI document', () => {
  it('a vendor: registration, PAR, consent, tokens, resource reads and their errors', async () => {
    const f = await oauthFixture()
    const conformance = watchResponses(f.app, await documentOf(f.app))
    const client = await f.register({
      contacts: ['privacy@fjord.example'],
      policy_uri: 'https://fjord.example/privacy',
    })

    const { code, verifier } = await f.code(
      client,
      { scope: 'read:email read:prefs.sizes.* read:purchases' },
      { par: true },
    )
    const res = await f.exchange(client, code, verifier)
    expect(res.status).toBe(200)
    const tokens = (await res.json()) as TokenResponse
    // The bug of issue 10: the schema forbade the expires_at every granted detail carries.
    expect(tokens.authorization_details[0]).toHaveProperty('expires_at')
    expect((await f.exchange(client, 'not-a-code', verifier)).status).toBe(400)
    const refreshed = await f.refresh(client, tokens.refresh_token)
    expect(refreshed.status).toBe(200)
    const access = ((await refreshed.json()) as TokenResponse).access_token
    expect((await f.introspect(client, access)).active).toBe(true)

    const bearer = { headers: { authorization: `Bearer ${access}` } }
    for (const path of ['/v1/profile', '/v1/grant', '/v1/purchases'])
      expect(await f.app.request(path, bearer)).toHaveProperty('status', 200)
    expect((await f.app.request('/v1/profile')).status).toBe(401)
    expect(
      (await f.app.request('/v1/profile', { headers: { authorization: 'Bearer not-a-token' } }))
        .status,
    ).toBe(401)
    const append = await f.app.request('/v1/purchases', {
      method: 'POST',
      headers: { ...bearer.headers, 'content-type': 'application/json' },
      body: JSON.stringify(ORDER),
    })
    expect(append.status).toBe(403)
    expect((await f.post('/oauth/revoke', client, { token: access })).status).toBe(200)
    expect(
      (await f.post('/oauth/token', undefined, { grant_type: 'refresh_token', refresh_token: 'x' }))
        .status,
    ).toBe(401)
    expect(
      (
        await f.app.request('/oauth/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"redirect_uris":[]}',
        })
      ).status,
    ).toBe(400)
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth-protected-resource',
      '/.well-known/jwks.json',
      '/healthz',
      '/readyz',
    ]) {
      expect(await f.app.request(path)).toHaveProperty('status', 200)
    }

    expect(conformance.problems).toEqual([])
    for (const key of [
      'POST /oauth/register 201',
      'POST /oauth/par 201',
      'POST /oauth/token 200',
      'POST /oauth/token 400',
      'GET /v1/profile 200',
      'GET /v1/grant 200',
      'GET /v1/purchases 200',
      'GET /v1/profile 401',
      'POST /v1/purchases 403',
    ]) {
      expect([...conformance.checked]).toContain(key)
    }
  })

  it('the owner: every read, the receipt settings, and problem+json refusals', async () => {
    const f = await ownerFixture()
    const conformance = watchResponses(f.app, await documentOf(f.app))
    const owner = await f.signIn()
    const ids = await seedIds(f)
    for (const route of GUARDED_ROUTES.filter((r) => r.method === 'GET')) {
      const res = await f.call(owner, 'GET', fill(route.path, ids))
      expect([route.path, res.status]).toEqual([route.path, 200])
      await res.arrayBuffer()
    }
    expect(await f.json(owner, 'GET', '/owner/receipt-settings')).toEqual({ jurisdiction: 'EU' })
    expect(
      await f.json(owner, 'PUT', '/owner/receipt-settings', { json: { jurisdiction: 'DE' } }),
    ).toEqual({ jurisdiction: 'DE' })
    expect(await f.json(owner, 'GET', '/owner/receipt-settings')).toEqual({ jurisdiction: 'DE' })
    expect(
      (await f.call(owner, 'PUT', '/owner/receipt-settings', { json: { jurisdiction: 'Germany' } }))
        .status,
    ).toBe(400)
    expect((await f.call(owner, 'POST', '/owner/purchases', { json: ORDER })).status).toBe(201)
    expect((await f.call(owner, 'POST', '/owner/purchases', { json: { seller: '' } })).status).toBe(
      400,
    )
    expect((await f.call(undefined, 'GET', '/owner/fields')).status).toBe(401)
    expect((await f.call(owner, 'POST', '/owner/lock', { csrf: 'wrong' })).status).toBe(403)
    expect((await f.call(owner, 'DELETE', '/owner/session')).status).toBe(204)

    expect(conformance.problems).toEqual([])
    for (const key of [
      'POST /owner/session 201',
      'GET /owner/grants/{id} 200',
      'GET /owner/receipt-settings 200',
      'PUT /owner/receipt-settings 400',
      'GET /owner/fields 401',
      'POST /owner/lock 403',
    ]) {
      expect([...conformance.checked]).toContain(key)
    }
  })

  it('the checker itself refuses an undocumented status, a wrong media type and a body off its schema', async () => {
    const f = await oauthFixture()
    const doc = await documentOf(f.app)
    const conformance = watchResponses(
      {
        request: () =>
          new Response('{"access_token":1}', {
            status: 200,
            headers: { 'content-type': 'application/json' },
          }),
      },
      doc,
    )
    await conformance.check(
      'POST',
      '/oauth/token',
      new Response('{"access_token":1}', {
        status: 200,
        headers: { 'content-type': 'application/json' },
      }),
    )
    await conformance.check('POST', '/oauth/token', new Response('', { status: 418 }))
    await conformance.check(
      'GET',
      '/v1/profile',
      new Response('<p>', { status: 200, headers: { 'content-type': 'text/html' } }),
    )
    await conformance.check('GET', '/v1/nothing', new Response('', { status: 200 }))
    expect(conformance.problems).toHaveLength(4)
    expect(conformance.problems[0]).toMatch(/^POST \/oauth\/token 200: body does not match/)
  })
})
