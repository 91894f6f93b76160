/**
 * Owner session rows (SECURITY.md promise 24) without the HTTP around them (owner/session.ts):
 * a session is found by the id its cookie carries and touched, refused while sealed, and ends
 * one by one, all but the current, or all at once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE } from '@custos/vault/testing'
import { disposeStoreFixtures, storeFixture } from '../../test/support/store-fixture.js'
import { IDLE_TIMEOUT_SECONDS, SessionStore } from './session-store.js'

afterEach(disposeStoreFixtures)

describe('SessionStore', () => {
  it('finds a session by its id with its CSRF token; never while sealed, after the idle timeout, or for a made-up id', async () => {
    const f = await storeFixture()
    const sessions = new SessionStore(f.context())
    const { id, csrfToken } = await sessions.start(undefined)
    const session = await sessions.find(id)
    expect(session?.csrfToken).toBe(csrfToken)
    expect(sessions.csrfValid(session as NonNullable<typeof session>, csrfToken)).toBe(true)
    expect(sessions.csrfValid(session as NonNullable<typeof session>, `${csrfToken}x`)).toBe(false)
    expect(await sessions.find('A'.repeat(43))).toBeUndefined()
    expect(await sessions.find(undefined)).toBeUndefined()

    await f.tv.vault.lock()
    expect(await sessions.find(id)).toBeUndefined()
    await f.tv.vault.unlock(PASSPHRASE)
    // Each find restarts the idle timer; a session left alone for the whole timeout ends.
    f.advance(IDLE_TIMEOUT_SECONDS - 1)
    expect(await sessions.find(id)).toBeDefined()
    f.advance(IDLE_TIMEOUT_SECONDS)
    expect(await sessions.find(id)).toBeUndefined()
  })

  it('starting again ends the session the browser had; the owner can end others by handle, all others, or all', async () => {
    const f = await storeFixture()
    const sessions = new SessionStore(f.context())
    const first = await sessions.start(undefined)
    const again = await sessions.start(first.id)
    expect(await sessions.find(first.id)).toBeUndefined()
    const current = await sessions.find(again.id)
    if (!current) throw new Error('no session')
    const [b, c] = [await sessions.start(undefined), await sessions.start(undefined)]

    const listed = await sessions.list(current)
    expect(listed.map((s) => s.current).sort()).toEqual([false, false, true])
    const other = listed.find((s) => !s.current)
    expect(await sessions.endByHandle(current, other?.handle as string)).toBe(true)
    expect(
      await sessions.endByHandle(current, listed.find((s) => s.current)?.handle as string),
    ).toBe(false)
    expect(await sessions.list(current)).toHaveLength(2)

    await sessions.endOthers(current)
    expect([await sessions.find(b.id), await sessions.find(c.id)]).toEqual([undefined, undefined])
    expect(await sessions.find(again.id)).toBeDefined()
    await sessions.endAll()
    expect(await sessions.find(again.id)).toBeUndefined()
  })
})
