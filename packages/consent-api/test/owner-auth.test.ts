/**
 * The owner API's gate (SECURITY.md 6, 8, 24): status and unlock are open and work sealed;
 * every other route needs the vault unsealed (503), a live session (401) and, for every state
 * change, the session's CSRF token (403) — checked in that order, before any body is read.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { openApiDocument } from '../src/openapi/openapi-document.js'
import { ownerRouteDocs } from '../src/owner/owner-docs.js'
import {
  GUARDED_ROUTES,
  type OwnerFixture,
  PASSPHRASE,
  disposeOwnerFixtures,
  fill,
  ownerFixture,
  seedIds,
} from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

const UNSAFE = GUARDED_ROUTES.filter((r) => r.method !== 'GET')

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  expect(res.headers.get('cache-control')).toBe('no-store')
  return (await res.json()) as { status: number; code: string; title: string }
}

describe('status and unlock (no session)', () => {
  it('status tells the state, id, creation time and rotation flag — nothing more — sealed or not', async () => {
    const f = await ownerFixture()
    const open = await f.json(undefined, 'GET', '/owner/status')
    expect(Object.keys(open).sort()).toEqual(['createdAt', 'rotationPending', 'state', 'vaultId'])
    expect(open).toMatchObject({ state: 'unsealed', rotationPending: false })
    await f.tv.vault.lock()
    const res = await f.call(undefined, 'GET', '/owner/status')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const sealed = (await res.json()) as Record<string, unknown>
    expect(Object.keys(sealed).sort()).toEqual(['createdAt', 'state', 'vaultId'])
    expect(sealed.state).toBe('sealed')
  })

  it('unlock with a wrong passphrase is 401, with the passphrase or recovery key unseals; then a session can start', async () => {
    const f = await ownerFixture()
    await f.tv.vault.lock()
    const wrong = await f.call(undefined, 'POST', '/owner/unlock', {
      json: { passphrase: 'not it' },
    })
    expect(wrong.status).toBe(401)
    expect((await problem(wrong)).code).toBe('ERR_UNLOCK_FAILED')
    expect((await f.tv.vault.status()).state).toBe('sealed')

    expect(
      await f.json(undefined, 'POST', '/owner/unlock', { json: { passphrase: PASSPHRASE } }),
    ).toMatchObject({ state: 'unsealed' })
    const owner = await f.signIn()
    expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(200)

    await f.tv.vault.lock()
    expect(
      await f.json(undefined, 'POST', '/owner/unlock', { json: { recoveryKey: f.tv.recoveryKey } }),
    ).toMatchObject({ state: 'unsealed' })
  })

  it('unlocking an unsealed vault is 409 and leaves the keys in use alone', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    const res = await f.call(undefined, 'POST', '/owner/unlock', {
      json: { passphrase: PASSPHRASE },
    })
    expect(res.status).toBe(409)
    expect((await problem(res)).code).toBe('ERR_ALREADY_UNSEALED')
    // Two at once while sealed: one unseals, the other finds it unsealed.
    await f.tv.vault.lock()
    const both = await Promise.all(
      [0, 1].map(() =>
        f.call(undefined, 'POST', '/owner/unlock', { json: { passphrase: PASSPHRASE } }),
      ),
    )
    expect(both.map((r) => r.status).sort()).toEqual([200, 409])
    expect((await f.tv.vault.audit.list({ action: 'vault.unlocked' })).length).toBe(1)
    expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(200)
  })

  it('unlock refuses a body that is neither a passphrase nor a recovery key, and anything but JSON', async () => {
    const f = await ownerFixture()
    await f.tv.vault.lock()
    for (const json of [
      {},
      { passphrase: PASSPHRASE, recoveryKey: 'x' },
      { passphrase: 42 },
      { password: PASSPHRASE },
    ]) {
      const res = await f.call(undefined, 'POST', '/owner/unlock', { json })
      expect(res.status).toBe(400)
      expect((await problem(res)).code).toBe('ERR_VALIDATION')
    }
    const form = await f.call(undefined, 'POST', '/owner/unlock', {
      body: `passphrase=${encodeURIComponent(PASSPHRASE)}`,
      type: 'application/x-www-form-urlencoded',
    })
    expect(form.status).toBe(415)
    expect((await f.tv.vault.status()).state).toBe('sealed')
  })

  it('after repeated failures unlock is throttled: 429 with Retry-After, even for the right passphrase, until the time has passed', async () => {
    const f = await ownerFixture()
    await f.tv.vault.lock()
    let throttled: Response | undefined
    for (let i = 0; i < 10 && !throttled; i++) {
      const res = await f.call(undefined, 'POST', '/owner/unlock', {
        json: { passphrase: `wrong ${i}` },
      })
      if (res.status === 429) throttled = res
      else expect(res.status).toBe(401)
    }
    expect(throttled).toBeDefined()
    expect((await problem(throttled as Response)).code).toBe('ERR_UNLOCK_THROTTLED')
    const retryAfter = Number(throttled?.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    const right = await f.call(undefined, 'POST', '/owner/unlock', {
      json: { passphrase: PASSPHRASE },
    })
    expect(right.status).toBe(429)
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await f.json(undefined, 'GET', '/owner/status')).unlockBlockedUntil).toEqual(
      expect.any(String),
    )
    f.advance(retryAfter + 1)
    expect(
      (await f.call(undefined, 'POST', '/owner/unlock', { json: { passphrase: PASSPHRASE } }))
        .status,
    ).toBe(200)
  })
})

describe('sessions', () => {
  it('the session cookie is HttpOnly, Secure, SameSite=Strict, for the whole site', async () => {
    const f = await ownerFixture()
    const { setCookie } = await f.signIn()
    const attributes = setCookie.split(';').map((a) => a.trim().toLowerCase())
    expect(attributes[0]).toMatch(/^custos_session=[a-z0-9_-]{43}$/)
    expect(attributes).toEqual(
      expect.arrayContaining(['httponly', 'secure', 'samesite=strict', 'path=/']),
    )
  })

  it('an idle session dies after 15 minutes; every request restarts the idle timer', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    f.advance(14 * 60)
    expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(200)
    f.advance(14 * 60)
    expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(200)
    f.advance(15 * 60 + 1)
    const res = await f.call(owner, 'GET', '/owner/fields')
    expect(res.status).toBe(401)
    expect((await problem(res)).code).toBe('ERR_NO_SESSION')
    // Dead for good: coming back sooner afterwards does not revive it.
    expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(401)
  })

  it('lock seals the vault and ends every session: old cookies stay dead after the next unlock', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    const other = await f.signIn()
    const res = await f.call(owner, 'POST', '/owner/lock')
    expect(res.status).toBe(204)
    expect(res.headers.get('set-cookie')).toMatch(/custos_session=;/)
    expect((await f.tv.vault.status()).state).toBe('sealed')
    await f.json(undefined, 'POST', '/owner/unlock', { json: { passphrase: PASSPHRASE } })
    for (const who of [owner, other])
      expect((await f.call(who, 'GET', '/owner/fields')).status).toBe(401)
  })
})

describe('the guard on every other route', () => {
  let ids: Record<string, string>
  const setup = async (): Promise<OwnerFixture> => {
    const f = await ownerFixture()
    ids = await seedIds(f)
    return f
  }

  it('without a session (no cookie, or a forged one) every route is 401 and nothing happens', async () => {
    const f = await setup()
    for (const route of GUARDED_ROUTES) {
      for (const cookie of [undefined, `custos_session=${'A'.repeat(43)}`]) {
        const res = await f.app.request(fill(route.path, ids), {
          method: route.method,
          headers: { ...(cookie ? { cookie } : {}), 'content-type': 'application/json' },
          ...(route.json !== undefined ? { body: JSON.stringify(route.json) } : {}),
        })
        expect([route.method, route.path, res.status]).toEqual([route.method, route.path, 401])
        expect((await problem(res)).code).toBe('ERR_NO_SESSION')
      }
    }
    expect(await f.tv.vault.fields.get('email')).toBe('ada@example.org')
    expect((await f.tv.vault.grants.get(ids.grant as string)).status).toBe('active')
    expect((await f.tv.vault.status()).state).toBe('unsealed')
  })

  it.each([
    ['no CSRF token', () => null],
    ['a wrong CSRF token', () => 'x'.repeat(64)],
    ["another session's CSRF token", (other: string) => other],
  ] as const)(
    'with %s, every state-changing route is 403 and changes nothing',
    async (_name, token) => {
      const f = await setup()
      const owner = await f.signIn()
      const other = await f.signIn()
      for (const route of UNSAFE) {
        const res = await f.call(owner, route.method, fill(route.path, ids), {
          csrf: token(other.csrf),
          ...(route.json !== undefined ? { json: route.json } : {}),
        })
        expect([route.method, route.path, res.status]).toEqual([route.method, route.path, 403])
        expect((await problem(res)).code).toBe('ERR_CSRF')
      }
      expect(await f.tv.vault.fields.get('email')).toBe('ada@example.org')
      expect((await f.tv.vault.grants.get(ids.grant as string)).status).toBe('active')
      expect((await f.tv.vault.vendors.get(ids.vendor as string)).blocked).toBe(false)
      expect((await f.tv.vault.purchases.list()).items).toHaveLength(1)
      expect((await f.tv.vault.status()).state).toBe('unsealed')
      // The session itself is still good: the refusals did not sign anyone out.
      expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(200)
    },
  )

  it('while sealed, every route is 503 with Retry-After — before the session is even looked at', async () => {
    const f = await setup()
    const owner = await f.signIn()
    await f.tv.vault.lock()
    for (const route of GUARDED_ROUTES) {
      const res = await f.call(
        owner,
        route.method,
        fill(route.path, ids),
        route.json !== undefined ? { json: route.json } : {},
      )
      expect([route.method, route.path, res.status]).toEqual([route.method, route.path, 503])
      expect(res.headers.get('retry-after')).toBe('60')
      expect((await problem(res)).code).toBe('ERR_VAULT_LOCKED')
    }
  })

  it('every owner answer, success or problem, is Cache-Control: no-store', async () => {
    const f = await setup()
    const owner = await f.signIn()
    for (const route of GUARDED_ROUTES.filter((r) => r.method === 'GET')) {
      const res = await f.call(owner, 'GET', fill(route.path, ids))
      expect([route.path, res.status, res.headers.get('cache-control')]).toEqual([
        route.path,
        200,
        'no-store',
      ])
      await res.arrayBuffer()
    }
    expect((await f.call(owner, 'GET', '/owner/nope')).headers.get('cache-control')).toBe(
      'no-store',
    )
  })
})

describe('OpenAPI description of the owner API', () => {
  it('documents exactly the owner routes there are, and every schema renders', async () => {
    const f = await ownerFixture()
    const documented = ownerRouteDocs.map((d) => `${d.method.toUpperCase()} ${d.path}`).sort()
    const served = [
      ...GUARDED_ROUTES,
      { method: 'GET', path: '/owner/status' },
      { method: 'POST', path: '/owner/unlock' },
    ]
      .map(
        (r) =>
          `${r.method} ${r.path
            .replace(/\?.*$/, '')
            .replace(/\/fields\/email$/, '/fields/{path}')
            .replace(/:[a-z]+/g, (m) =>
              m === ':vendor' ||
              m === ':grant' ||
              m === ':purchase' ||
              m === ':pending' ||
              m === ':token'
                ? '{id}'
                : m,
            )}`,
      )
      .sort()
    expect(documented).toEqual(served)
    const doc = openApiDocument('https://vault.example', ownerRouteDocs) as {
      paths: Record<string, unknown>
    }
    expect(Object.keys(doc.paths)).toContain('/owner/purchases/import')
    const owner = await f.signIn()
    for (const d of ownerRouteDocs) {
      const res = await f.call(owner, d.method.toUpperCase(), d.path.replace(/\{[^}]+\}/g, 'x'), {
        csrf: 'wrong',
      })
      expect([d.method, d.path, (await res.text()).includes('ERR_ROUTE_NOT_FOUND')]).toEqual([
        d.method,
        d.path,
        false,
      ])
    }
  })
})
