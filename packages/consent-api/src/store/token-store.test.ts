/**
 * The token store's lookup cache (issue 11: a field of the store, no longer a module WeakMap).
 * It is per store, so per app: a second app on the same database reads for itself; and it never
 * outlives a write — a revocation by either app is seen at the very next lookup of both
 * (SECURITY.md promise 15). On PostgreSQL nothing is cached and the same answers come back.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposeStoreFixtures, engine, storeFixture } from '../../test/support/store-fixture.js'
import { TokenStore } from './token-store.js'

afterEach(disposeStoreFixtures)

const cached = engine === 'sqlite'

describe('TokenStore lookups', () => {
  it('answer a repeated access-token lookup from the store’s own cache, and a second app reads for itself', async () => {
    const f = await storeFixture()
    const [one, two] = [f.context(), f.context()]
    const [a, b] = [new TokenStore(one), new TokenStore(two)]
    const { accessToken } = await a.issue({
      clientId: 'vendor-1',
      grantId: 'grant-1',
      dpopJkt: null,
    })

    expect((await a.lookup(accessToken, 'access')).live).toBe(true)
    const afterFirst = one.reads()
    expect((await a.lookup(accessToken, 'access')).live).toBe(true)
    expect(one.reads()).toBe(cached ? afterFirst : 0)

    expect((await b.lookup(accessToken, 'access')).live).toBe(true)
    expect(two.reads()).toBe(cached ? 1 : 0)
  })

  it('see a revocation — by this app or another — at the next lookup, cache or not', async () => {
    const f = await storeFixture()
    const [a, b] = [new TokenStore(f.context()), new TokenStore(f.context())]
    const first = await a.issue({ clientId: 'vendor-1', grantId: 'grant-1', dpopJkt: null })
    const second = await a.issue({ clientId: 'vendor-2', grantId: 'grant-2', dpopJkt: null })
    for (const store of [a, b])
      for (const { accessToken } of [first, second])
        expect((await store.lookup(accessToken, 'access')).live).toBe(true)

    await b.revokeGrant('grant-1')
    for (const store of [a, b]) {
      expect(await store.lookup(first.accessToken, 'access')).toMatchObject({
        live: false,
        reason: 'ERR_TOKEN_REVOKED',
      })
      expect((await store.lookup(second.accessToken, 'access')).live).toBe(true)
    }
    await a.revoke(second.accessToken, 'vendor-2')
    for (const store of [a, b])
      expect(await store.lookup(second.accessToken, 'access')).toMatchObject({
        live: false,
        reason: 'ERR_TOKEN_REVOKED',
      })
  })

  it('check a cached row against the clock at every lookup', async () => {
    const f = await storeFixture()
    const context = f.context()
    const tokens = new TokenStore(context)
    const { accessToken, expiresIn } = await tokens.issue({
      clientId: 'vendor-1',
      grantId: 'grant-1',
      dpopJkt: null,
    })
    expect((await tokens.lookup(accessToken, 'access')).live).toBe(true)
    const reads = context.reads()
    f.advance(expiresIn)
    expect(await tokens.lookup(accessToken, 'access')).toMatchObject({
      live: false,
      reason: 'ERR_TOKEN_EXPIRED',
    })
    // Served from the cache all the same: the expiry is checked on the row, not by a new select.
    expect(context.reads()).toBe(reads)
  })
})
