/**
 * Issue "P1 — Trust", finding 2: undecided authorization requests were never purged, and nothing
 * bounded how many could wait. Expired requests (and codes and tokens dead for a day) are now
 * purged, a bounded batch at a time, as new ones are stored; unexpired requests are capped per
 * client and in all (config.limits), the next answered 429 with Retry-After (RFC 6585 §4,
 * RFC 9126 §2.3) as OAuth error JSON at /oauth/par and /oauth/authorize. On both engines.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Client,
  REDIRECT,
  type TokenResponse,
  disposeFixtures,
  oauthFixture,
  pkce,
} from './support/oauth-fixture.js'
import { rowsOf } from './support/stored-rows.js'

afterEach(disposeFixtures)

const request = () => ({
  response_type: 'code',
  redirect_uri: REDIRECT,
  scope: 'read:email',
  code_challenge: pkce().challenge,
  code_challenge_method: 'S256',
  state: 's',
})

async function tooMany(res: Response, maxWait: number) {
  expect(res.status).toBe(429)
  expect(res.headers.get('content-type')).toContain('application/json')
  expect(await res.json()).toEqual({
    error: 'temporarily_unavailable',
    error_description: expect.any(String),
  })
  const wait = Number(res.headers.get('retry-after'))
  expect(Number.isInteger(wait) && wait >= 1 && wait <= maxWait).toBe(true)
}

describe('caps on waiting authorization requests', () => {
  it('per client: the next push or front-channel request is 429 with Retry-After; another client is not affected; room frees as they expire', async () => {
    const f = await oauthFixture({
      limits: { authorizationRequestsPerClient: 2, authorizationRequests: 100 },
    })
    const client = await f.register()
    const other = await f.register({ client_name: 'Book Barn' })
    await f.par(client, request())
    await f.par(client, request())
    await tooMany(await f.post('/oauth/par', client, request()), 90)
    await tooMany(await f.authorize({ client_id: client.id, ...request() }), 90)
    expect((await f.post('/oauth/par', other, request())).status).toBe(201)
    // Refused requests leave nothing behind.
    expect(
      (await rowsOf(f.tv, 'oauth_requests')).filter((r) => r.client_id === client.id),
    ).toHaveLength(2)
    f.advance(91)
    expect((await f.post('/oauth/par', client, request())).status).toBe(201)
  })

  it('a burst of concurrent pushes admits exactly as many as the cap allows (counted before storing, serialized per cap)', async () => {
    const f = await oauthFixture({
      limits: { authorizationRequestsPerClient: 5, authorizationRequests: 100 },
    })
    const client = await f.register()
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => f.post('/oauth/par', client, request())),
    )
    expect(answers.map((r) => r.status).sort()).toEqual([
      ...Array(5).fill(201),
      ...Array(15).fill(429),
    ])
    expect(await rowsOf(f.tv, 'oauth_requests')).toHaveLength(5)
  })

  it('in all: when every client together has reached the cap, the next is 429 until one is used or expires', async () => {
    const f = await oauthFixture({
      limits: { authorizationRequestsPerClient: 10, authorizationRequests: 3 },
    })
    const clients: Client[] = [await f.register(), await f.register({ client_name: 'Book Barn' })]
    await f.par(clients[0] as Client, request())
    await f.par(clients[1] as Client, request())
    const uri = await f.par(clients[1] as Client, request())
    await tooMany(await f.post('/oauth/par', clients[0] as Client, request()), 90)
    // Using a pushed request turns it into a pending one: still one request waiting, no more.
    expect(
      (await f.authorize({ client_id: (clients[1] as Client).id, request_uri: uri })).status,
    ).toBe(200)
    await tooMany(
      await f.authorize({ client_id: (clients[0] as Client).id, ...request() }),
      15 * 60,
    )
  })
})

describe('purging what expired', () => {
  it('expired requests are deleted as new ones are stored, a bounded batch at a time', async () => {
    const f = await oauthFixture({
      limits: { authorizationRequestsPerClient: 100, authorizationRequests: 100 },
    })
    const client = await f.register()
    for (let i = 0; i < 60; i++) await f.authorize({ client_id: client.id, ...request() })
    expect(await rowsOf(f.tv, 'oauth_requests')).toHaveLength(60)
    f.advance(15 * 60 + 1)
    await f.par(client, request())
    // One purge deletes at most 50 (PURGE_BATCH): 10 dead ones and the new one are left…
    expect(await rowsOf(f.tv, 'oauth_requests')).toHaveLength(11)
    await f.par(client, request())
    // …and the next store takes the rest.
    expect(await rowsOf(f.tv, 'oauth_requests')).toHaveLength(2)
  })

  it('codes and tokens dead for more than a day are deleted as new ones are issued', async () => {
    const f = await oauthFixture({ refreshTokenSeconds: 3600 })
    const client = await f.register()
    const first = await f.code(client)
    const tokens = (await (
      await f.exchange(client, first.code, first.verifier)
    ).json()) as TokenResponse
    expect(tokens.access_token).toBeDefined()
    f.advance(3600 + 86400 + 1)
    const second = await f.code(client)
    expect((await f.exchange(client, second.code, second.verifier)).status).toBe(200)
    const codes = await rowsOf(f.tv, 'oauth_codes')
    expect(codes.map((c) => c.code_hash)).toEqual([f.tv.vault.hashSecret(second.code)])
    expect((await rowsOf(f.tv, 'oauth_tokens')).map((t) => t.token_hash)).not.toContain(
      f.tv.vault.hashSecret(tokens.refresh_token),
    )
    expect(await rowsOf(f.tv, 'oauth_tokens')).toHaveLength(2)
  })
})
