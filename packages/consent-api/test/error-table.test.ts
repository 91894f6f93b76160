/**
 * Issue 11 (one error table at the HTTP edge): the rows of `api-problems.ts` a request can reach,
 * reached through the real app — each answer's status, RFC 9457 type and title, RFC 6749 error
 * JSON or RFC 6750 challenge is the row's. src/api-problems.test.ts walks every row through the
 * translators; this file proves the routes answer through them.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE } from '@custos/vault/testing'
import {
  OAUTH_ERRORS,
  type OAuthErrorCode,
  PROBLEMS,
  type ProblemCode,
  problemType,
} from '../src/api-problems.js'
import { createApp } from '../src/index.js'
import {
  type ResourceFixture,
  disposeFixtures,
  resourceFixture,
} from './support/resource-fixture.js'

afterEach(disposeFixtures)

const JSON_TYPE = { 'content-type': 'application/json' }
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** `title`: the row's unless the raising site names a more precise one; null when it is the vault's own message. */
async function expectRow(
  res: Response,
  code: ProblemCode,
  title: string | null = PROBLEMS[code].title,
): Promise<void> {
  expect(res.status, code).toBe(PROBLEMS[code].status)
  expect(res.headers.get('content-type'), code).toBe('application/problem+json')
  const body = (await res.json()) as Record<string, unknown>
  expect(body, code).toMatchObject({ type: problemType(code), status: PROBLEMS[code].status, code })
  if (title !== null) expect(body.title, code).toBe(title)
  else expect(body.title, code).toEqual(expect.any(String))
}

async function expectOAuthJson(res: Response, error: OAuthErrorCode): Promise<void> {
  expect(res.status, error).toBe((OAUTH_ERRORS[error] as { json?: number }).json)
  expect(await res.json(), error).toMatchObject({ error })
}

function expectChallenge(res: Response, error: OAuthErrorCode): void {
  expect(res.status, error).toBe((OAUTH_ERRORS[error] as { challenge?: number }).challenge)
  expect(res.headers.get('www-authenticate'), error).toContain(`error="${error}"`)
}

async function signIn(f: ResourceFixture): Promise<{ cookie: string; csrf: string }> {
  const res = await f.app.request('/owner/session', {
    method: 'POST',
    headers: JSON_TYPE,
    body: JSON.stringify({ passphrase: PASSPHRASE }),
  })
  expect(res.status).toBe(201)
  return {
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string,
    csrf: ((await res.json()) as { csrf_token: string }).csrf_token,
  }
}

describe('the error table through the real app', () => {
  it('answers the API-level problems from their rows', async () => {
    const f = await resourceFixture()
    const { app } = f
    await expectRow(await app.request('/no-such-endpoint'), 'ERR_ROUTE_NOT_FOUND')
    await expectRow(
      await app.request('/oauth/register', {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }),
      }),
      'ERR_BODY_TOO_LARGE',
    )
    await expectRow(
      await app.request('/owner/session', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      }),
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      'Send a form or JSON',
    )
    await expectRow(
      await app.request('/owner/session', { method: 'POST', headers: JSON_TYPE, body: '{}' }),
      'ERR_VALIDATION',
      'A passphrase is required',
    )
    await expectRow(await app.request('/owner/fields'), 'ERR_NO_SESSION')
    await expectRow(
      await app.request('/owner/unlock', {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ passphrase: PASSPHRASE }),
      }),
      'ERR_ALREADY_UNSEALED',
    )
    const owner = await signIn(f)
    await expectRow(
      await app.request('/owner/session', { method: 'DELETE', headers: { cookie: owner.cookie } }),
      'ERR_CSRF',
    )
    await expectRow(
      await app.request('/owner/purchases/pur_none', { headers: { cookie: owner.cookie } }),
      'ERR_NOT_FOUND',
      null,
    )
    // A vault error through app.onError: the vault's fixed message as title.
    await expectRow(
      await app.request('/owner/session', {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ passphrase: 'not it at all' }),
      }),
      'ERR_UNLOCK_FAILED',
      'Unlock failed',
    )
  })

  it('answers a rate limit and a sealed vault with the row and Retry-After', async () => {
    const f = await resourceFixture()
    const limited = await createApp({
      vault: f.tv.vault,
      database: f.tv.handle,
      config: {
        issuer: 'https://vault.example',
        limits: { registrationsPerAddress: { max: 1, seconds: 60 } },
      },
    })
    const register = () =>
      limited.request('/oauth/register', {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ redirect_uris: ['https://fjord.example/cb'] }),
      })
    expect((await register()).status).toBe(201)
    const refused = await register()
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    await expectRow(refused, 'ERR_RATE_LIMITED')

    await f.tv.vault.lock()
    const sealed = await f.app.request('/v1/profile')
    expect(sealed.headers.get('retry-after')).toBe('60')
    await expectRow(sealed, 'ERR_VAULT_LOCKED', 'The vault is sealed')
  })

  it('answers OAuth endpoints with RFC 6749 error JSON at the row status', async () => {
    const f = await resourceFixture()
    const { app } = f
    await expectOAuthJson(
      await app.request('/oauth/token?x=1', {
        method: 'POST',
        headers: FORM,
        body: 'grant_type=refresh_token',
      }),
      'invalid_request',
    )
    await expectOAuthJson(
      await app.request('/oauth/token', {
        method: 'POST',
        headers: FORM,
        body: 'grant_type=refresh_token&refresh_token=x',
      }),
      'invalid_client',
    )
    await expectOAuthJson(
      await app.request('/oauth/register', {
        method: 'POST',
        headers: JSON_TYPE,
        body: 'not json',
      }),
      'invalid_client_metadata',
    )
    await expectOAuthJson(
      await app.request('/oauth/register', {
        method: 'POST',
        headers: JSON_TYPE,
        body: '{"redirect_uris":["ftp://x"]}',
      }),
      'invalid_redirect_uri',
    )
  })

  it('answers the resource API with RFC 6750 challenges, vault refusals through the bearer column', async () => {
    const f = await resourceFixture()
    expectChallenge(await f.get('/v1/profile', 'not-a-token'), 'invalid_token')
    expectChallenge(
      await f.app.request('/v1/profile', { headers: { authorization: 'Bearer a b' } }),
      'invalid_request',
    )
    const { grantId, token } = await f.vendorWithToken()
    expectChallenge(await f.get('/v1/purchases', token), PROBLEMS.ERR_GRANT_SCOPE.bearer.error)
    await f.tv.vault.grants.revoke(grantId)
    expectChallenge(await f.get('/v1/profile', token), PROBLEMS.ERR_GRANT_REVOKED.bearer.error)
  })
})
