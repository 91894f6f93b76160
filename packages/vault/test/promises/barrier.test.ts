/**
 * SECURITY.md, "The barrier" (issue 9): nothing that decides or records access is believed unless a
 * key only the unsealed vault holds vouches for it. Each test is an attack someone with write access
 * to the database — and no key — could make before: it reproduces the attack directly in the
 * database, as that attacker would, and shows the vault now refuses instead of granting access.
 */
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { type Vault, createVault } from '../../src/index.js'
import { type TestVault, PASSPHRASE, createTestVault } from '../support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

type Db = TestVault['handle']['db']

async function codeOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work()
    return 'no error'
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
}

/** A vault with one vendor, one live grant over two fields, and a purchase made with the vendor. */
async function connected(): Promise<{ vault: Vault; vendorId: string; grantId: string }> {
  tv = await createTestVault()
  const { vault } = tv
  await vault.fields.setMany({ email: 'ada@example.org', 'name.given': 'Ada' })
  const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
  await vault.purchases.add(
    { seller: 'Fjord Outdoor', orderDate: '2026-01-02', currency: 'EUR', total: 20 },
    { vendorId: shop.id },
  )
  const grant = await vault.grants.create({
    vendorId: shop.id,
    fields: ['email'],
    purchases: { madeWithVendor: true },
    actions: ['read', 'append'],
    purpose: 'Orders',
    durationSeconds: 3600,
  })
  await vault.readThroughGrant(grant.id)
  return { vault, vendorId: shop.id, grantId: grant.id }
}

async function row(
  db: Db,
  table: 'grants' | 'vendors',
  id: string,
): Promise<Record<string, unknown>> {
  return (await db
    .selectFrom(table)
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow()) as Record<string, unknown>
}

async function putBack(
  db: Db,
  table: 'grants' | 'vendors',
  saved: Record<string, unknown>,
): Promise<void> {
  const { id, ...rest } = saved
  await db
    .updateTable(table)
    .set(rest as never)
    .where('id', '=', id as string)
    .execute()
}

/** A second process on the same database, sealed. */
async function secondInstance(): Promise<Vault> {
  const t = tv as TestVault
  const other = await createVault({ kdf: 'interactive', database: t.db.open() })
  closers.push(() => other.close())
  return other
}
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => undefined)
})

/** Restarts the vault (a new process on the same database) and unlocks it, as the owner would after the edit. */
async function restart(): Promise<Vault> {
  const vault = await (tv as TestVault).reopen()
  await vault.unlock(PASSPHRASE)
  return vault
}

describe('the barrier: access-deciding rows are authenticated', () => {
  it('a revoked grant set back to active in the database is refused with ERR_INTEGRITY, never read', async () => {
    const { vault, grantId } = await connected()
    await vault.grants.revoke(grantId)
    const db = (tv as TestVault).handle.db
    await db.updateTable('grants').set({ status: 'active' }).where('id', '=', grantId).execute()
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
    expect(
      await codeOf(() =>
        vault.inbox.append(grantId, {
          seller: 'X',
          orderDate: '2026-01-01',
          currency: 'EUR',
          total: 1,
        }),
      ),
    ).toBe('ERR_INTEGRITY')
    expect(await codeOf(() => vault.grants.get(grantId))).toBe('ERR_INTEGRITY')
    // Also after a restart: nothing in memory vouches for the row any more.
    const again = await restart()
    expect(await codeOf(() => again.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
  })

  it("a grant's expiry moved later in the database is refused with ERR_INTEGRITY", async () => {
    const { vault, grantId } = await connected()
    const db = (tv as TestVault).handle.db
    await db
      .updateTable('grants')
      .set({ expires_at: '2099-01-01T00:00:00.000Z' })
      .where('id', '=', grantId)
      .execute()
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
  })

  it('a saved copy of a grant row from before its revocation, put back, is refused (the ledger epoch moved on)', async () => {
    const { vault, vendorId, grantId } = await connected()
    const db = (tv as TestVault).handle.db
    const saved = await row(db, 'grants', grantId)
    const savedVendor = await row(db, 'vendors', vendorId)
    await vault.grants.revoke(grantId)
    await putBack(db, 'grants', saved)
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
    // Putting the epoch back too (and every row the revocation re-MAC'd) makes the rows match
    // again — but the head MAC covers the epoch, so the log is broken and no vendor read goes through.
    await putBack(db, 'vendors', savedVendor)
    const { ledger_epoch } = await db
      .selectFrom('vault_meta')
      .select('ledger_epoch')
      .executeTakeFirstOrThrow()
    await db
      .updateTable('vault_meta')
      .set({ ledger_epoch: ledger_epoch - 1 })
      .execute()
    const again = await restart()
    expect(await codeOf(() => again.readThroughGrant(grantId))).toBe('ERR_AUDIT_BROKEN')
    expect(await again.audit.verify()).toMatchObject({ ok: false, reason: 'truncated' })
  })

  it('a saved copy of a narrowed grant (the wider version) put back is refused', async () => {
    const { vault, grantId } = await connected()
    const db = (tv as TestVault).handle.db
    const saved = await row(db, 'grants', grantId)
    await vault.grants.narrow(grantId, { fields: [] })
    await putBack(db, 'grants', saved)
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
  })

  it('a blocked vendor unblocked in the database — by editing the flag or putting back a saved row — is refused', async () => {
    const { vault, vendorId, grantId } = await connected()
    const db = (tv as TestVault).handle.db
    const saved = await row(db, 'vendors', vendorId)
    await vault.vendors.setBlocked(vendorId, true)
    await db.updateTable('vendors').set({ blocked: 0 }).where('id', '=', vendorId).execute()
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
    await putBack(db, 'vendors', saved)
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
  })

  it("a grant moved to another vendor, or two grants' rows swapped, are refused", async () => {
    const { vault, grantId } = await connected()
    const other = await vault.vendors.register({ name: 'Other Shop' })
    const otherGrant = await vault.grants.create({
      vendorId: other.id,
      fields: ['name.given'],
      actions: ['read'],
      purpose: 'Other',
      durationSeconds: 3600,
    })
    const db = (tv as TestVault).handle.db
    await db.updateTable('grants').set({ vendor_id: other.id }).where('id', '=', grantId).execute()
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
    await db
      .updateTable('grants')
      .set({ vendor_id: (await row(db, 'grants', otherGrant.id)).vendor_id as string })
      .where('id', '=', grantId)
      .execute()
    // Swap every column but the id: each row now carries the other's MAC.
    const a = await row(db, 'grants', grantId)
    const b = await row(db, 'grants', otherGrant.id)
    await putBack(db, 'grants', { ...b, id: grantId })
    await putBack(db, 'grants', { ...a, id: otherGrant.id })
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
    expect(await codeOf(() => vault.readThroughGrant(otherGrant.id))).toBe('ERR_INTEGRITY')
  })

  it('a pending receipt marked accepted, or a purchase linked to another vendor, in the database is refused, not shown', async () => {
    const { vault, vendorId, grantId } = await connected()
    const pending = await vault.inbox.append(grantId, {
      seller: 'Fjord Outdoor',
      orderDate: '2026-02-01',
      currency: 'EUR',
      total: 5,
    })
    const db = (tv as TestVault).handle.db
    await db
      .updateTable('purchases')
      .set({ status: 'accepted' })
      .where('id', '=', pending.id)
      .execute()
    expect(await codeOf(() => vault.purchases.list())).toBe('ERR_INTEGRITY')
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
    await db
      .updateTable('purchases')
      .set({ status: 'pending' })
      .where('id', '=', pending.id)
      .execute()
    const mine = await vault.purchases.add({
      seller: 'Somewhere Else',
      orderDate: '2026-03-01',
      currency: 'EUR',
      total: 7,
    })
    await db
      .updateTable('purchases')
      .set({ vendor_id: vendorId })
      .where('id', '=', mine.id)
      .execute()
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_INTEGRITY')
  })
})

describe('the barrier: the access log is anchored', () => {
  async function tail(db: Db, n: number): Promise<{ seq: number; hash: Uint8Array }> {
    const entry = await db
      .selectFrom('audit')
      .select(['seq', 'hash'])
      .where('seq', '=', n)
      .executeTakeFirstOrThrow()
    return { seq: entry.seq, hash: entry.hash }
  }

  it('cutting the tail and pointing the head at an earlier entry is detected by verify and by the next append, even after an unlock', async () => {
    const { grantId } = await connected()
    const db = (tv as TestVault).handle.db
    const cut = 3
    const keep = await tail(db, cut)
    await db.deleteFrom('audit').where('seq', '>', cut).execute()
    await db
      .updateTable('vault_meta')
      .set({ audit_head_seq: keep.seq, audit_head_hash: keep.hash })
      .execute()
    const vault = await restart()
    // The unlock itself still works (the owner must get in), but must not vouch for the forged head.
    const verdict = await vault.audit.verify()
    expect(verdict).toMatchObject({ ok: false, reason: 'truncated' })
    expect(await vault.audit.trusted()).toBe(false)
    // Fail closed: no vendor read while the log is broken.
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_AUDIT_BROKEN')
  })

  it('wiping the log and resetting the head to zero is not a new log', async () => {
    const { grantId } = await connected()
    const db = (tv as TestVault).handle.db
    await db.deleteFrom('audit').execute()
    await db
      .updateTable('vault_meta')
      .set({ audit_head_seq: 0, audit_head_hash: null, audit_head_mac: null })
      .execute()
    const vault = await restart()
    expect(await vault.audit.verify()).toMatchObject({ ok: false })
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_AUDIT_BROKEN')
  })

  it('a break found by verify stops vendor reads (in every process) until the owner acknowledges it; the acknowledgement is itself an anchored entry', async () => {
    const { vault, grantId } = await connected()
    const db = (tv as TestVault).handle.db
    // An entry in the middle edited: the head MAC is still right, only a full walk sees it.
    const target = await db
      .selectFrom('audit')
      .select(['seq', 'entry'])
      .where('seq', '=', 2)
      .executeTakeFirstOrThrow()
    await db
      .updateTable('audit')
      .set({ entry: target.entry.replace('"ok"', '"refused"') })
      .where('seq', '=', 2)
      .execute()
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('no error')
    expect(await vault.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      reason: 'altered',
    })
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('ERR_AUDIT_BROKEN')
    const second = await secondInstance()
    await second.unlock(PASSPHRASE)
    expect(await codeOf(() => second.readThroughGrant(grantId))).toBe('ERR_AUDIT_BROKEN')
    // Owner actions still work and are logged meanwhile.
    await second.fields.set('name.family', 'Lovelace')

    const acknowledged = await second.audit.acknowledgeBreak()
    expect(acknowledged).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'altered' })
    const after = await second.audit.verify()
    expect(after).toMatchObject({ ok: true, acknowledged: { firstBadSeq: 2, reason: 'altered' } })
    const [ack] = await second.audit.list({ action: 'audit.break_acknowledged' })
    expect(ack).toMatchObject({ actor: 'owner', detail: 'altered@2' })
    expect(await codeOf(() => second.readThroughGrant(grantId))).toBe('no error')
    expect(await second.audit.verify()).toMatchObject({ ok: true })
    // Damage after the acknowledgement is caught again.
    await db
      .updateTable('audit')
      .set({ entry: sql<string>`replace(entry, '"ok"', '"refused"')` })
      .where('seq', '=', (ack?.seq ?? 0) + 1)
      .execute()
    expect(await second.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: (ack?.seq ?? 0) + 1,
    })
  })

  it('entries written while sealed (failed unlocks from another process) are still sealed by the next unlock and do not break the log', async () => {
    const { vault, grantId } = await connected()
    const other = await secondInstance()
    await expect(other.unlock('not the passphrase at all')).rejects.toMatchObject({
      code: 'ERR_UNLOCK_FAILED',
    })
    // The first process is still unsealed: its next append meets a head advanced by an unMAC'd entry.
    expect(await codeOf(() => vault.readThroughGrant(grantId))).toBe('no error')
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
  })
})
