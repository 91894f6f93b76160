/**
 * Issue "P1 — Trust": every vendor access attempt is in the access log, with one refusal policy
 * (SECURITY.md promises 13 and 19–21). The vault decides every vendor attempt — reads, grant
 * lookups, appends, token refreshes and code exchanges — in one place (`liveGrant`, through
 * `readThroughGrant`, `inbox.append` and `vault.access`), logs each refusal with a stable reason,
 * and aggregates a burst of refusals so a flood cannot grow the log without bound. Locking,
 * unlocking and signing in are logged with where they came from.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { AuditEntry, Vault } from '../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

/** A vault on a fake clock with a profile and two vendors, each with a read grant. */
async function twoVendors() {
  let t = Date.parse('2026-05-01T10:00:00Z')
  tv = await createTestVault({ now: () => new Date(t) })
  const vault = tv.vault
  await vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 38' })
  const a = await vault.vendors.register({ name: 'Fjord Outdoor' })
  const b = await vault.vendors.register({ name: 'Book Nook' })
  const grantA = await vault.grants.create({
    vendorId: a.id,
    fields: ['email', 'prefs.sizes.*'],
    actions: ['read', 'append'],
    purpose: 'Sizing',
    durationSeconds: 86_400,
  })
  const grantB = await vault.grants.create({
    vendorId: b.id,
    fields: ['email'],
    actions: ['read'],
    purpose: 'Newsletter',
    durationSeconds: 86_400,
  })
  return { vault, a, b, grantA, grantB, advance: (seconds: number) => void (t += seconds * 1000) }
}

const refusals = (vault: Vault, filter: { grantId?: string; vendorId?: string } = {}) =>
  vault.audit.list({ action: 'grant.refused', limit: 1000, ...filter })
const total = (entries: readonly AuditEntry[]) => entries.reduce((n, e) => n + (e.count ?? 1), 0)
const newestSeq = async (vault: Vault) => (await vault.audit.list({ limit: 1 }))[0]?.seq ?? 0

describe('one refusal policy', () => {
  it('confused deputy: a vendor reading through a grant it does not own is refused (ERR_GRANT_MISMATCH) and the refusal is logged for that vendor', async () => {
    const { vault, a, b, grantA } = await twoVendors()
    await expect(vault.readThroughGrant(grantA.id, { vendorId: b.id })).rejects.toMatchObject({
      code: 'ERR_GRANT_MISMATCH',
    })
    await expect(vault.access.authorize(grantA.id, { vendorId: b.id })).rejects.toMatchObject({
      code: 'ERR_GRANT_MISMATCH',
    })
    await expect(
      vault.inbox.append(
        grantA.id,
        { seller: 'Book Nook', orderDate: '2026-03-14', currency: 'EUR', total: 5 },
        { vendorId: b.id },
      ),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_MISMATCH' })
    const [refused] = await refusals(vault, { vendorId: b.id })
    expect(refused).toMatchObject({
      actor: `vendor:${b.id}`,
      vendorId: b.id,
      grantId: grantA.id,
      outcome: 'refused',
      detail: 'ERR_GRANT_MISMATCH',
    })
    // Nothing of A's grant was read, and nothing is attributed to A.
    expect(await vault.audit.list({ action: 'grant.read' })).toEqual([])
    expect(await refusals(vault, { vendorId: a.id })).toEqual([])
    // The owner of the grant still reads.
    expect((await vault.readThroughGrant(grantA.id, { vendorId: a.id })).fields).toEqual({
      email: 'ada@example.org',
      'prefs.sizes.shoe': 'EU 38',
    })
  })

  it('access.authorize: revoked, expired, blocked, missing action and a dead credential are refused with their code and logged; a live grant is logged as what the vendor got', async () => {
    const { vault, a, b, grantA, grantB, advance } = await twoVendors()
    const viewed = await vault.access.authorize(grantA.id, {
      vendorId: a.id,
      record: 'grant.viewed',
    })
    expect(viewed.grant.id).toBe(grantA.id)
    expect(viewed.vendor).toMatchObject({ id: a.id, name: 'Fjord Outdoor', blocked: false })
    await vault.access.authorize(grantA.id, { vendorId: a.id, record: 'token.refreshed' })
    await vault.access.authorize(grantA.id, { vendorId: a.id, record: 'token.issued' })
    const okEntries = await vault.audit.list({
      action: ['grant.viewed', 'token.refreshed', 'token.issued'],
    })
    expect(okEntries.map((e) => [e.action, e.actor, e.grantId, e.vendorId, e.outcome])).toEqual([
      ['token.issued', `vendor:${a.id}`, grantA.id, a.id, 'ok'],
      ['token.refreshed', `vendor:${a.id}`, grantA.id, a.id, 'ok'],
      ['grant.viewed', `vendor:${a.id}`, grantA.id, a.id, 'ok'],
    ])
    // A check that precedes the act writes nothing when allowed (the act's own entry follows).
    const before = await newestSeq(vault)
    await vault.access.authorize(grantA.id, { vendorId: a.id, action: 'append' })
    expect(await newestSeq(vault)).toBe(before)

    await expect(
      vault.access.authorize(grantB.id, { vendorId: b.id, action: 'append' }),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_SCOPE' })
    // A dead credential on a live grant is refused with the credential's reason…
    await expect(
      vault.access.authorize(grantA.id, { vendorId: a.id, credential: 'ERR_TOKEN_REVOKED' }),
    ).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' })
    await expect(
      vault.access.authorize(grantA.id, { vendorId: a.id, credential: 'ERR_TOKEN_USED' }),
    ).rejects.toMatchObject({ code: 'ERR_TOKEN_USED' })
    await vault.vendors.setBlocked(b.id, true)
    await expect(vault.access.authorize(grantB.id, { vendorId: b.id })).rejects.toMatchObject({
      code: 'ERR_VENDOR_BLOCKED',
    })
    await vault.grants.revoke(grantA.id)
    // …but the grant's own state comes first: the token died because the grant was revoked.
    await expect(
      vault.access.authorize(grantA.id, { vendorId: a.id, credential: 'ERR_TOKEN_REVOKED' }),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_REVOKED' })
    await expect(vault.access.authorize('grt_missing', { vendorId: a.id })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    })
    const grantC = await vault.grants.create({
      vendorId: a.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Short',
      durationSeconds: 60,
    })
    advance(61)
    await expect(
      vault.access.authorize(grantC.id, { vendorId: a.id, record: 'token.refreshed' }),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_EXPIRED' })

    const logged = (await refusals(vault)).map((e) => [e.actor, e.grantId, e.detail])
    expect(logged).toEqual([
      [`vendor:${a.id}`, grantC.id, 'ERR_GRANT_EXPIRED'],
      [`vendor:${a.id}`, 'grt_missing', 'ERR_NOT_FOUND'],
      [`vendor:${a.id}`, grantA.id, 'ERR_GRANT_REVOKED'],
      [`vendor:${b.id}`, grantB.id, 'ERR_VENDOR_BLOCKED'],
      [`vendor:${a.id}`, grantA.id, 'ERR_TOKEN_USED'],
      [`vendor:${a.id}`, grantA.id, 'ERR_TOKEN_REVOKED'],
      [`vendor:${b.id}`, grantB.id, 'ERR_GRANT_SCOPE'],
    ])
    expect((await vault.audit.verify()).ok).toBe(true)
  })

  it('a credential that matches nothing is counted: attributed to the vendor when it is known, else as a system refusal', async () => {
    const { vault, a } = await twoVendors()
    await vault.access.refuseUnknownCredential()
    await vault.access.refuseUnknownCredential({ vendorId: a.id })
    expect((await refusals(vault)).map((e) => [e.actor, e.vendorId, e.grantId, e.detail])).toEqual([
      [`vendor:${a.id}`, a.id, undefined, 'ERR_TOKEN_UNKNOWN'],
      ['system', undefined, undefined, 'ERR_TOKEN_UNKNOWN'],
    ])
  })

  it('caller misuse is a TypeError', async () => {
    const { vault, grantA } = await twoVendors()
    await expect(
      vault.access.authorize(grantA.id, { vendorId: 'not a vendor id!' }),
    ).rejects.toBeInstanceOf(TypeError)
    await expect(
      vault.access.authorize(grantA.id, { vendorId: 'ven_x', credential: 'ERR_NOPE' as never }),
    ).rejects.toBeInstanceOf(TypeError)
    await expect(
      vault.readThroughGrant(grantA.id, { vendorId: 42 as never }),
    ).rejects.toBeInstanceOf(TypeError)
  })
})

describe('refusal bursts', () => {
  it('10,000 refused reads of one vendor add a bounded number of entries, and their counts add up to 10,000', async () => {
    const { vault, a, grantA } = await twoVendors()
    await vault.grants.revoke(grantA.id)
    const before = await newestSeq(vault)
    const N = 10_000
    for (let i = 0; i < N; i += 250) {
      const burst = Array.from({ length: 250 }, () =>
        vault.readThroughGrant(grantA.id, { vendorId: a.id }).then(
          () => 'read',
          (err: { code?: string }) => err.code,
        ),
      )
      expect(new Set(await Promise.all(burst))).toEqual(new Set(['ERR_GRANT_REVOKED']))
    }
    // The first refusal is logged at once; the rest of the window is one entry with a count,
    // written when the window closes — or, as here, when the vault is locked.
    expect(await refusals(vault, { grantId: grantA.id })).toHaveLength(1)
    await vault.lock()
    await vault.unlock(PASSPHRASE)
    const entries = await refusals(vault, { grantId: grantA.id })
    expect(entries.length).toBeLessThanOrEqual(3)
    expect(total(entries)).toBe(N)
    expect(
      entries.every((e) => e.actor === `vendor:${a.id}` && e.detail === 'ERR_GRANT_REVOKED'),
    ).toBe(true)
    // Bounded: the refusals, the lock and the unlock.
    expect((await newestSeq(vault)) - before).toBeLessThanOrEqual(5)
    expect((await vault.audit.verify()).ok).toBe(true)
  })

  it('a refusal after the window writes the closed window’s count first and is itself logged at once; reasons and grants are counted apart', async () => {
    const { vault, a, b, grantA, grantB, advance } = await twoVendors()
    await vault.grants.revoke(grantA.id)
    await vault.grants.revoke(grantB.id)
    const refuse = (grantId: string, vendorId: string) =>
      vault.readThroughGrant(grantId, { vendorId }).catch(() => undefined)
    for (let i = 0; i < 5; i++) await refuse(grantA.id, a.id)
    for (let i = 0; i < 3; i++) await refuse(grantB.id, b.id)
    await refuse(grantA.id, b.id) // another reason (a mismatch): its own entry at once
    expect((await refusals(vault)).map((e) => [e.grantId, e.detail, e.count])).toEqual([
      [grantA.id, 'ERR_GRANT_MISMATCH', undefined],
      [grantB.id, 'ERR_GRANT_REVOKED', undefined],
      [grantA.id, 'ERR_GRANT_REVOKED', undefined],
    ])
    advance(3600)
    await refuse(grantA.id, a.id)
    const entries = await refusals(vault, { grantId: grantA.id, vendorId: a.id })
    expect(entries.map((e) => e.count)).toEqual([undefined, 4, undefined])
    expect(total(entries)).toBe(6)
    await vault.close()
    const reopened = await (tv as TestVault).reopen()
    await reopened.unlock(PASSPHRASE)
    // Closing wrote the other pending counts too.
    expect(total(await refusals(reopened, { grantId: grantB.id }))).toBe(3)
    expect((await reopened.audit.verify()).ok).toBe(true)
  })
})

describe('owner entries say where they came from', () => {
  it('lock, unlock, failed unlock and sign-in carry their origin; the library is the default', async () => {
    tv = await createTestVault()
    const vault = tv.vault
    await vault.lock({ origin: 'cli' })
    await expect(vault.unlock('wrong passphrase', { origin: 'api' })).rejects.toMatchObject({
      code: 'ERR_UNLOCK_FAILED',
    })
    await vault.unlock(PASSPHRASE, { origin: 'browser' })
    await vault.verifyOwner(PASSPHRASE, { origin: 'api' })
    await vault.lock()
    await vault.unlock({ recoveryKey: tv.recoveryKey })
    const entries = (
      await vault.audit.list({
        action: ['vault.locked', 'vault.unlocked', 'vault.unlock_failed', 'owner.authenticated'],
      })
    ).reverse()
    expect(entries.map((e) => [e.action, e.origin, e.detail])).toEqual([
      ['vault.locked', 'cli', undefined],
      ['vault.unlock_failed', 'api', 'passphrase'],
      ['vault.unlocked', 'browser', 'passphrase'],
      ['owner.authenticated', 'api', 'passphrase'],
      ['vault.locked', 'library', undefined],
      ['vault.unlocked', 'library', 'recovery-key'],
    ])
    expect((await vault.audit.verify()).ok).toBe(true)
  })

  it('locking a sealed vault writes nothing; an unknown origin is caller misuse', async () => {
    tv = await createTestVault()
    const vault = tv.vault
    await expect(vault.lock({ origin: 'telepathy' as never })).rejects.toBeInstanceOf(TypeError)
    await vault.lock()
    await vault.lock()
    await vault.unlock(PASSPHRASE)
    expect(await vault.audit.list({ action: 'vault.locked' })).toHaveLength(1)
    await expect(vault.unlock(PASSPHRASE, { origin: 'elsewhere' as never })).rejects.toBeInstanceOf(
      TypeError,
    )
  })
})
