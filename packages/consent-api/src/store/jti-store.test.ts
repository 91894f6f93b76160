/**
 * The replay table (RFC 9449 §11.1, RFC 7523 §3 item 7): a `jti` is claimed once, and expired
 * rows are swept at most once a minute by each store (its clock a field of the store since
 * issue 11, no longer a module WeakMap keyed by the app) — so a row outlives its expiry by up to
 * a minute, and a new app sweeps at its first claim.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposeStoreFixtures, storeFixture } from '../../test/support/store-fixture.js'
import { JtiStore, SWEEP_EVERY_MS } from './jti-store.js'

afterEach(disposeStoreFixtures)

describe('JtiStore', () => {
  it('claims a key once; a replay is refused until its row is swept', async () => {
    const f = await storeFixture()
    const jti = new JtiStore(f.context())
    const expiresAt = () => new Date(f.now().getTime() + 10_000)
    expect(await jti.claim('dpop:one', expiresAt())).toBe(true)
    expect(await jti.claim('dpop:one', expiresAt())).toBe(false)
    expect(await jti.claim('dpop:two', expiresAt())).toBe(true)

    // Expired, but the last sweep was less than a minute ago: the row still refuses.
    f.advance(20)
    expect(await jti.claim('dpop:one', expiresAt())).toBe(false)
    // A minute after that sweep the next claim sweeps first.
    f.advance(SWEEP_EVERY_MS / 1000)
    expect(await jti.claim('dpop:one', expiresAt())).toBe(true)
  })

  it('sweeps on the first claim of a new store (another app), whatever the others did', async () => {
    const f = await storeFixture()
    const first = new JtiStore(f.context())
    expect(await first.claim('client_assertion:x:1', new Date(f.now().getTime() + 1000))).toBe(true)
    f.advance(5)
    expect(await first.claim('client_assertion:x:1', new Date(f.now().getTime() + 1000))).toBe(
      false,
    )
    expect(
      await new JtiStore(f.context()).claim(
        'client_assertion:x:1',
        new Date(f.now().getTime() + 1000),
      ),
    ).toBe(true)
  })
})
