/**
 * SECURITY.md promises 19–21: every vendor read, grant change and unlock is recorded before the
 * response leaves (and nothing leaves when it cannot be), the log is a MAC'd hash chain whose
 * verifier names the first bad entry, and the log holds ids, paths and times only.
 */
import BetterSqlite3 from 'better-sqlite3'
import fc from 'fast-check'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { chainHash } from '../../src/audit/audit-entry.js'
import { loadSodium } from '../../src/crypto/sodium.js'
import type { AuditTable, VaultMetaTable } from '../../src/db/schema.js'
import {
  type AuditEntry,
  type Vault,
  type VaultEvent,
  isFieldPath,
  purposeOf,
} from '../../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault, engine } from '../support/test-vault.js'

let tv: TestVault | undefined
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined)
  await tv?.dispose()
  tv = undefined
})

async function newest(vault: Vault): Promise<AuditEntry> {
  const [entry] = await vault.audit.list({ limit: 1 })
  if (!entry) throw new Error('the audit log is empty')
  return entry
}

/** Makes every insert into the audit table fail, the way a full disk or a broken table would. */
async function breakAuditWrites(t: TestVault): Promise<() => Promise<void>> {
  if (engine === 'sqlite') {
    const raw = new BetterSqlite3(t.db.file as string)
    raw.exec(
      "CREATE TRIGGER audit_fails BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit write refused'); END",
    )
    cleanups.push(async () => void (raw.open && raw.close()))
    return async () => {
      raw.exec('DROP TRIGGER audit_fails')
      raw.close()
    }
  }
  const db = t.handle.db
  await sql`create function audit_fails() returns trigger language plpgsql as $$ begin raise exception 'audit write refused'; end $$`.execute(
    db,
  )
  await sql`create trigger audit_fails before insert on audit for each row execute function audit_fails()`.execute(
    db,
  )
  return async () => {
    await sql`drop trigger audit_fails on audit`.execute(db)
  }
}

describe('promise 19: every access is recorded, fail closed', () => {
  it('promise 19: grant create/narrow/revoke, reads through a grant, unlock and failed unlock each append an entry', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.fields.setMany({
      email: 'ada@example.org',
      'name.given': 'Ada',
      'prefs.sizes.shoe': 'EU 39',
    })
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const p = await vault.purchases.add(
      { seller: 'Fjord', orderDate: '2026-01-01', currency: 'EUR', total: 10 },
      { vendorId: shop.id },
    )

    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email', 'prefs.*'],
      purchases: { madeWithVendor: true },
      actions: ['read'],
      purpose: 'Fit',
      durationSeconds: 3600,
    })
    expect(await newest(vault)).toMatchObject({
      action: 'grant.created',
      actor: 'owner',
      grantId: grant.id,
      vendorId: shop.id,
      paths: ['email', 'prefs.*'],
      outcome: 'ok',
    })

    await vault.readThroughGrant(grant.id)
    expect(await newest(vault)).toMatchObject({
      action: 'grant.read',
      actor: `vendor:${shop.id}`,
      grantId: grant.id,
      vendorId: shop.id,
      paths: ['email', 'prefs.sizes.shoe'],
      purchaseIds: [p.id],
    })
    await vault.readThroughGrant(grant.id, { include: ['fields'] })
    expect(await vault.audit.list({ action: 'grant.read', grantId: grant.id })).toHaveLength(2)

    await vault.grants.narrow(grant.id, { fields: ['email'] })
    expect(await newest(vault)).toMatchObject({
      action: 'grant.narrowed',
      grantId: grant.id,
      paths: ['email'],
    })
    await vault.grants.revoke(grant.id)
    expect(await newest(vault)).toMatchObject({ action: 'grant.revoked', grantId: grant.id })

    await vault.lock()
    await expect(vault.unlock('not the passphrase')).rejects.toMatchObject({
      code: 'ERR_UNLOCK_FAILED',
    })
    await vault.unlock(PASSPHRASE)
    const [unlocked, failed] = await vault.audit.list({ limit: 2 })
    expect(unlocked).toMatchObject({
      action: 'vault.unlocked',
      actor: 'owner',
      detail: 'passphrase',
    })
    expect(failed).toMatchObject({
      action: 'vault.unlock_failed',
      outcome: 'refused',
      detail: 'passphrase',
    })
    await vault.lock()
    await vault.unlock({ recoveryKey: tv.recoveryKey })
    expect(await newest(vault)).toMatchObject({ action: 'vault.unlocked', detail: 'recovery-key' })
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
  })

  it('promise 19: when the audit entry cannot be written, readThroughGrant fails with ERR_AUDIT_WRITE and no data leaves; grant.create fails and leaves no grant', async () => {
    const events: VaultEvent[] = []
    tv = await createTestVault({ onEvent: (e) => events.push(e) })
    const { vault } = tv
    await vault.fields.set('email', 'ada@example.org')
    const shop = await vault.vendors.register({ name: 'Fjord' })
    await vault.purchases.add(
      { seller: 'Fjord', orderDate: '2026-01-01', currency: 'EUR', total: 10 },
      { vendorId: shop.id },
    )
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      purchases: { madeWithVendor: true },
      actions: ['read'],
      purpose: 'Mail',
      durationSeconds: 3600,
    })
    const entriesBefore = (await vault.audit.verify()).entries
    const grantsBefore = await vault.grants.list()

    const repair = await breakAuditWrites(tv)
    const outcome = await vault.readThroughGrant(grant.id).then(
      (slice) => ({ leaked: slice }),
      (err: unknown) => ({ err }),
    )
    expect(outcome).not.toHaveProperty('leaked')
    expect((outcome as { err: unknown }).err).toMatchObject({ code: 'ERR_AUDIT_WRITE' })
    // Concurrent reads in the same group commit all fail too.
    const all = await Promise.allSettled(
      Array.from({ length: 5 }, () => vault.readThroughGrant(grant.id)),
    )
    expect(all.map((r) => r.status)).toEqual(Array(5).fill('rejected'))
    for (const r of all)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_AUDIT_WRITE' })
    expect(events.filter((e) => e.type === 'grant.read')).toEqual([])

    const created = await vault.grants
      .create({
        vendorId: shop.id,
        fields: ['email'],
        actions: ['read'],
        purpose: 'Mail',
        durationSeconds: 3600,
      })
      .then(
        () => 'created',
        (err: unknown) => err,
      )
    expect(created).not.toBe('created')
    expect(created).toMatchObject({ code: 'ERR_AUDIT_WRITE' })
    expect(await vault.grants.list()).toEqual(grantsBefore)
    await expect(vault.grants.revoke(grant.id)).rejects.toMatchObject({ code: 'ERR_AUDIT_WRITE' })
    expect((await vault.grants.get(grant.id)).status).toBe('active')

    await repair()
    expect(await vault.audit.verify()).toEqual({
      ok: true,
      entries: entriesBefore,
      headSeq: entriesBefore,
    })
    expect((await vault.readThroughGrant(grant.id)).fields).toEqual({ email: 'ada@example.org' })
    expect(await vault.audit.verify()).toMatchObject({ ok: true, entries: entriesBefore + 1 })
  })

  it('promise 19: 200 concurrent reads all resolve, each with its own durable entry, in fewer commits (group commit), and the chain verifies', async () => {
    const flushes: number[] = []
    tv = await createTestVault({
      onEvent: (e) => e.type === 'audit.flushed' && flushes.push(e.entries),
    })
    const { vault } = tv
    await vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email', 'prefs.sizes.*'],
      actions: ['read'],
      purpose: 'Fit',
      durationSeconds: 3600,
    })
    const slices = await Promise.all(
      Array.from({ length: 200 }, () => vault.readThroughGrant(grant.id)),
    )
    for (const s of slices)
      expect(s.fields).toEqual({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
    const reads = await vault.audit.list({ action: 'grant.read', grantId: grant.id, limit: 1000 })
    expect(reads).toHaveLength(200)
    expect(new Set(reads.map((e) => e.seq)).size).toBe(200)
    expect(flushes.reduce((a, b) => a + b, 0)).toBe(200)
    expect(flushes.length).toBeLessThan(200)
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
  })

  it('promise 20: verify() while entries are being appended never reports an intact log as damaged (regression: found by the owner-API fuzz on PostgreSQL)', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.fields.setMany({ email: 'ada@example.org' })
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Fit',
      durationSeconds: 3600,
    })
    let writing = true
    const writer = (async () => {
      for (let i = 0; i < 100; i++)
        await Promise.all(Array.from({ length: 4 }, () => vault.readThroughGrant(grant.id)))
      writing = false
    })()
    const verdicts: Awaited<ReturnType<Vault['audit']['verify']>>[] = []
    while (writing) {
      verdicts.push(await vault.audit.verify())
      // On SQLite a verify can complete in microtasks alone; let the writer's timers run.
      await new Promise((resolve) => setImmediate(resolve))
    }
    await writer
    // The verifier really ran alongside the writer, many times over.
    expect(verdicts.length).toBeGreaterThan(20)
    for (const v of verdicts) expect(v).toMatchObject({ ok: true })
    expect(await vault.audit.verify()).toMatchObject({ ok: true, entries: 400 + 3 })
  })
})

describe('promise 19: concurrent writers', () => {
  it('promise 19: concurrent grant changes (registrations, creates, narrows, revokes at once) all commit, each with its own entry, and the chain verifies', async () => {
    tv = await createTestVault()
    const { vault } = tv
    // Regression: on PostgreSQL, writers that took a share lock on vault_meta and then the audit
    // chain's update lock deadlocked each other (40P01) as soon as two ran at once.
    const vendors = await Promise.all(
      Array.from({ length: 8 }, (_, i) => vault.vendors.register({ name: `Shop ${i}` })),
    )
    const grants = await Promise.all(
      vendors.map((v) =>
        vault.grants.create({
          vendorId: v.id,
          fields: ['email', 'prefs.*'],
          actions: ['read'],
          purpose: 'Fit',
          durationSeconds: 3600,
        }),
      ),
    )
    await Promise.all(
      grants.map((g, i) =>
        i % 2 === 0 ? vault.grants.narrow(g.id, { fields: ['email'] }) : vault.grants.revoke(g.id),
      ),
    )
    const entries = await vault.audit.list({
      action: ['vendor.registered', 'grant.created', 'grant.narrowed', 'grant.revoked'],
      limit: 100,
    })
    expect(
      entries
        .filter((e) => e.action === 'vendor.registered')
        .map((e) => e.vendorId)
        .sort(),
    ).toEqual(vendors.map((v) => v.id).sort())
    expect(
      entries
        .filter((e) => e.action === 'grant.created')
        .map((e) => e.grantId)
        .sort(),
    ).toEqual(grants.map((g) => g.id).sort())
    expect(entries.filter((e) => e.action === 'grant.narrowed')).toHaveLength(4)
    expect(entries.filter((e) => e.action === 'grant.revoked')).toHaveLength(4)
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
  })
})

type AuditRow = AuditTable
type Head = Pick<VaultMetaTable, 'audit_head_seq' | 'audit_head_hash' | 'audit_head_mac'>

/** A vault with a varied log of about twenty entries, and a way to put the log back after tampering. */
async function vaultWithLog(t: TestVault) {
  const { vault } = t
  const db = t.handle.db
  await vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
  const shop = await vault.vendors.register({ name: 'Fjord' })
  const other = await vault.vendors.register({ name: 'Nordic' })
  const g1 = await vault.grants.create({
    vendorId: shop.id,
    fields: ['email', 'prefs.*'],
    actions: ['read', 'append'],
    purpose: 'Fit',
    durationSeconds: 3600,
  })
  const g2 = await vault.grants.create({
    vendorId: other.id,
    fields: ['email'],
    actions: ['read'],
    purpose: 'Mail',
    durationSeconds: 3600,
  })
  for (let i = 0; i < 4; i++) await vault.readThroughGrant(g1.id)
  await vault.readThroughGrant(g2.id)
  await vault.grants.narrow(g1.id, { fields: ['email'] })
  await vault.inbox.append(g1.id, {
    seller: 'Fjord',
    orderDate: '2026-01-01',
    currency: 'EUR',
    total: 3,
  })
  await vault.grants.revoke(g2.id)
  await vault.readThroughGrant(g2.id).catch(() => undefined)
  await vault.lock()
  await vault.unlock('wrong passphrase!').catch(() => undefined)
  await vault.unlock(PASSPHRASE)
  await vault.readThroughGrant(g1.id)
  const verified = await vault.audit.verify()
  expect(verified.ok).toBe(true)
  const rows: AuditRow[] = await db.selectFrom('audit').selectAll().orderBy('seq').execute()
  const head: Head = await db
    .selectFrom('vault_meta')
    .select(['audit_head_seq', 'audit_head_hash', 'audit_head_mac'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow()
  const restore = async () => {
    await db.deleteFrom('audit').execute()
    await db.insertInto('audit').values(rows).execute()
    await db.updateTable('vault_meta').set(head).where('id', '=', 1).execute()
  }
  return { rows, head, restore, last: rows.length }
}

/** Edits one entry's canonical text while keeping it valid JSON with the same seq. */
function editedEntry(text: string): string {
  const entry = JSON.parse(text) as Record<string, unknown>
  if (Array.isArray(entry.paths) && entry.paths.length > 0)
    entry.paths = ['telephone', ...(entry.paths as string[]).slice(1)]
  else entry.at = '2020-01-01T00:00:00.000Z'
  return JSON.stringify(entry)
}

type Tamper = 'delete' | 'swap-entries' | 'swap-rows' | 'edit' | 'rechain' | 'bad-mac'

describe('promise 20: a hash chain with a MAC names the first bad entry', () => {
  it('promise 20: deleting, reordering, editing, truncating or forging entries is detected at exactly the first bad entry', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const db = tv.handle.db
    const sodium = await loadSodium()
    const { rows, restore, last } = await vaultWithLog(tv)
    expect(last).toBeGreaterThanOrEqual(15)
    const rowAt = (seq: number) => rows[seq - 1] as AuditRow

    // Deleting an entry in the middle.
    await db.deleteFrom('audit').where('seq', '=', 7).execute()
    expect(await vault.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: 7,
      reason: 'missing',
    })
    await restore()

    // Reordering by swapping two entries' texts.
    await db
      .updateTable('audit')
      .set({ entry: rowAt(9).entry })
      .where('seq', '=', 5)
      .execute()
    await db
      .updateTable('audit')
      .set({ entry: rowAt(5).entry })
      .where('seq', '=', 9)
      .execute()
    expect(await vault.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: 5,
      reason: 'reordered',
    })
    await restore()

    // Editing an entry's text (a path).
    const withPaths = rows.find(
      (r) => r.seq > 2 && (JSON.parse(r.entry) as { paths?: unknown }).paths,
    ) as AuditRow
    await db
      .updateTable('audit')
      .set({ entry: editedEntry(withPaths.entry) })
      .where('seq', '=', withPaths.seq)
      .execute()
    expect(await vault.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: withPaths.seq,
      reason: 'altered',
    })
    await restore()

    // Deleting the newest entry (truncation): only the authenticated head can tell.
    await db.deleteFrom('audit').where('seq', '=', last).execute()
    expect(await vault.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: last,
      reason: 'truncated',
    })
    await restore()
    // …and rewinding the head along with it does not help: its MAC covers the count.
    await db.deleteFrom('audit').where('seq', '=', last).execute()
    await db
      .updateTable('vault_meta')
      .set({ audit_head_seq: last - 1, audit_head_hash: rowAt(last - 1).hash })
      .where('id', '=', 1)
      .execute()
    expect(await vault.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: last,
      reason: 'truncated',
    })
    await restore()

    // Forging a new entry that chains correctly but has no valid MAC.
    const forgedText = JSON.stringify({
      ...(JSON.parse(rowAt(last).entry) as object),
      seq: last + 1,
      action: 'grant.revoked',
    })
    const forgedHash = chainHash(sodium, new Uint8Array(rowAt(last).hash), forgedText)
    await db
      .insertInto('audit')
      .values({
        seq: last + 1,
        at: rowAt(last).at,
        entry: forgedText,
        prev_hash: rowAt(last).hash,
        hash: forgedHash,
        mac: sodium.randombytes_buf(32),
      })
      .execute()
    await db
      .updateTable('vault_meta')
      .set({ audit_head_seq: last + 1, audit_head_hash: forgedHash })
      .where('id', '=', 1)
      .execute()
    expect(await vault.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: last + 1,
      reason: 'unauthenticated',
    })
    await restore()

    expect(await vault.audit.verify()).toEqual({ ok: true, entries: last, headSeq: last })
  })

  it('promise 20: property — whichever entry is tampered with, and however, verify names exactly that entry', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const db = tv.handle.db
    const sodium = await loadSodium()
    const { rows, restore, last } = await vaultWithLog(tv)
    const rowAt = (seq: number) => rows[seq - 1] as AuditRow

    const tamperArb = fc
      .record({
        kind: fc.constantFrom<Tamper>(
          'delete',
          'swap-entries',
          'swap-rows',
          'edit',
          'rechain',
          'bad-mac',
        ),
        seq: fc.integer({ min: 1, max: last }),
        other: fc.integer({ min: 1, max: last }),
      })
      .filter((t) => !t.kind.startsWith('swap') || t.seq !== t.other)

    await fc.assert(
      fc.asyncProperty(tamperArb, async ({ kind, seq, other }) => {
        let expected: { firstBadSeq: number; reason: string }
        switch (kind) {
          case 'delete':
            await db.deleteFrom('audit').where('seq', '=', seq).execute()
            expected = { firstBadSeq: seq, reason: seq === last ? 'truncated' : 'missing' }
            break
          case 'swap-entries':
            await db
              .updateTable('audit')
              .set({ entry: rowAt(other).entry })
              .where('seq', '=', seq)
              .execute()
            await db
              .updateTable('audit')
              .set({ entry: rowAt(seq).entry })
              .where('seq', '=', other)
              .execute()
            expected = { firstBadSeq: Math.min(seq, other), reason: 'reordered' }
            break
          case 'swap-rows': {
            // Move whole rows: the row that was at `other` now sits at `seq` and vice versa.
            const a = rowAt(seq)
            const b = rowAt(other)
            await db.deleteFrom('audit').where('seq', 'in', [seq, other]).execute()
            await db
              .insertInto('audit')
              .values([
                { ...b, seq },
                { ...a, seq: other },
              ])
              .execute()
            expected = { firstBadSeq: Math.min(seq, other), reason: 'reordered' }
            break
          }
          case 'edit':
            await db
              .updateTable('audit')
              .set({ entry: editedEntry(rowAt(seq).entry) })
              .where('seq', '=', seq)
              .execute()
            expected = { firstBadSeq: seq, reason: 'altered' }
            break
          case 'rechain': {
            // An attacker without the key edits an entry and recomputes every hash after it and the head hash.
            let prev: Uint8Array = new Uint8Array(rowAt(seq).prev_hash)
            for (let s = seq; s <= last; s++) {
              const text = s === seq ? editedEntry(rowAt(s).entry) : rowAt(s).entry
              const hash = chainHash(sodium, prev, text)
              await db
                .updateTable('audit')
                .set({ entry: text, prev_hash: prev, hash })
                .where('seq', '=', s)
                .execute()
              prev = hash
            }
            await db
              .updateTable('vault_meta')
              .set({ audit_head_hash: prev })
              .where('id', '=', 1)
              .execute()
            expected = { firstBadSeq: seq, reason: 'unauthenticated' }
            break
          }
          case 'bad-mac': {
            const mac = new Uint8Array(rowAt(seq).mac as Uint8Array)
            mac[0] = (mac[0] as number) ^ 0x80
            await db.updateTable('audit').set({ mac }).where('seq', '=', seq).execute()
            expected = { firstBadSeq: seq, reason: 'unauthenticated' }
            break
          }
        }
        try {
          expect(await vault.audit.verify()).toMatchObject({ ok: false, ...expected })
        } finally {
          await restore()
        }
      }),
      { numRuns: 40 },
    )
    expect(await vault.audit.verify()).toMatchObject({ ok: true, entries: last })
  })
})

describe('promise 21: the log holds ids, paths and times only', () => {
  it('promise 21: no canary value, passphrase or recovery key appears anywhere in the audit table', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const db = tv.handle.db
    const canaries = {
      email: 'canary-7f3a9c@example.org',
      'name.given': 'CanaryGivenQx81',
      'prefs.sizes.shoe': 'CanaryShoe-EU-47b',
      'custom.loyalty.airline': 'CANARY-FF-99317',
      'address.home': {
        streetAddress: 'Canary Wharf 77c',
        addressLocality: 'Canaryville',
        addressCountry: 'GB',
      },
    }
    const vendorName = 'Canary Vendor Zq9'
    const seller = 'Canary Seller Yw4'
    const purpose = 'Canary purpose Kd2'
    const wrongPassphrase = 'canary wrong passphrase 55x'
    await vault.fields.setMany(canaries)
    const shop = await vault.vendors.register({
      name: vendorName,
      uri: 'https://canary-vendor.example',
    })
    const purchase = await vault.purchases.add(
      {
        seller,
        orderDate: '2026-01-01',
        currency: 'EUR',
        total: 1234.56,
        category: 'canary-category-Hh6',
        notes: 'canary-notes-Tt7',
        items: [{ name: 'Canary Item Pp3', sku: 'CANARYSKU1' }],
      },
      { vendorId: shop.id },
    )
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email', 'name.*', 'prefs.*', 'custom.*', 'address.home'],
      purchases: { madeWithVendor: true, categories: ['canary-category-Hh6'] },
      actions: ['read', 'append'],
      purpose,
      acceptedTerms: ['terms-v1'],
      durationSeconds: 3600,
    })
    await vault.grants.narrow(grant.id, {
      purchases: { madeWithVendor: true, categories: ['canary-category-Hh6'], since: '2025-06-01' },
    })
    const slice = await vault.readThroughGrant(grant.id)
    expect(slice.fields).toEqual(canaries)
    expect(slice.purchases?.items.map((p) => p.id)).toEqual([purchase.id])
    const pending = await vault.inbox.append(grant.id, {
      seller: 'Canary Inbox Seller Mm5',
      orderDate: '2026-02-01',
      currency: 'EUR',
      total: 1,
      category: 'canary-category-Hh6',
    })
    await vault.inbox.accept(pending.id)
    await vault.exportJson()
    await vault.lock()
    await expect(vault.unlock(wrongPassphrase)).rejects.toMatchObject({ code: 'ERR_UNLOCK_FAILED' })
    await vault.unlock({ recoveryKey: tv.recoveryKey })
    await vault.changePassphrase(PASSPHRASE, 'a new canary passphrase Jj0')
    await vault.grants.revoke(grant.id)
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })

    const secrets = [
      ...Object.values(canaries).flatMap((v) =>
        typeof v === 'string' ? [v] : [v.streetAddress, v.addressLocality],
      ),
      vendorName,
      'canary-vendor',
      seller,
      'canary-notes-Tt7',
      'Canary Item Pp3',
      'CANARYSKU1',
      'canary-category-Hh6',
      'Canary Inbox Seller Mm5',
      '1234.56',
      purpose,
      'terms-v1',
      PASSPHRASE,
      wrongPassphrase,
      'a new canary passphrase Jj0',
      tv.recoveryKey,
      tv.recoveryKey.replace(/[^0-9A-Z]/g, '').slice(6, 30),
    ]
    const rows = await db.selectFrom('audit').selectAll().orderBy('seq').execute()
    expect(rows.length).toBeGreaterThan(10)
    const haystacks: string[] = []
    for (const row of rows) {
      for (const value of Object.values(row)) {
        if (value instanceof Uint8Array) {
          const bytes = Buffer.from(value)
          haystacks.push(
            bytes.toString('latin1'),
            bytes.toString('utf8'),
            bytes.toString('hex'),
            bytes.toString('base64'),
            bytes.toString('base64url'),
          )
        } else {
          haystacks.push(String(value))
        }
      }
    }
    const all = haystacks.join('\n').toLowerCase()
    for (const secret of secrets) {
      const s = secret.toLowerCase()
      expect(all.includes(s), `audit contains ${secret}`).toBe(false)
      expect(
        all.includes(Buffer.from(secret).toString('hex')),
        `audit contains hex of ${secret}`,
      ).toBe(false)
      expect(
        all.includes(Buffer.from(secret).toString('base64').toLowerCase()),
        `audit contains base64 of ${secret}`,
      ).toBe(false)
    }

    // Positively: every entry is made of ids, field paths, times, actions and codes.
    const id = /^(ven|grt|pur)_[A-Za-z0-9_-]{22}$/
    for (const row of rows) {
      const entry = JSON.parse(row.entry) as Record<string, unknown>
      // The original keys, in order; then only the later optional ones, in order, when present
      // (`origin` of an owner's lock/unlock/sign-in, `count` of a refusal burst: audit-entry.ts).
      expect(Object.keys(entry).slice(0, 10)).toEqual([
        'seq',
        'at',
        'action',
        'actor',
        'vendorId',
        'grantId',
        'paths',
        'purchaseIds',
        'outcome',
        'detail',
      ])
      // Later keys, each optional, in this order (audit-entry.ts canonicalEntry).
      const later = Object.keys(entry).slice(10)
      expect(later.filter((k) => ['origin', 'count', 'purposes'].includes(k))).toEqual(later)
      expect(later.map((k) => ['origin', 'count', 'purposes'].indexOf(k))).toEqual(
        later.map((k) => ['origin', 'count', 'purposes'].indexOf(k)).sort(),
      )
      if ('origin' in entry) expect(['browser', 'cli', 'api', 'library']).toContain(entry.origin)
      // Purposes are catalogue IRIs (grants/purposes.ts), never the vendor's or owner's words.
      if ('purposes' in entry)
        for (const iri of entry.purposes as unknown[])
          expect(purposeOf(iri as string)?.iri).toBe(iri)
      if ('count' in entry)
        expect(Number.isInteger(entry.count) && (entry.count as number) >= 2).toBe(true)
      expect(entry.seq).toBe(row.seq)
      expect(entry.at).toBe(new Date(entry.at as string).toISOString())
      expect(entry.at).toBe(row.at)
      expect(entry.actor).toMatch(/^(owner|vendor:ven_[A-Za-z0-9_-]{22})$/)
      for (const key of ['vendorId', 'grantId'] as const)
        if (entry[key] !== null) expect(entry[key]).toMatch(id)
      if (entry.purchaseIds !== null)
        for (const p of entry.purchaseIds as unknown[]) expect(p).toMatch(id)
      if (entry.paths !== null)
        for (const p of entry.paths as string[])
          expect(isFieldPath(p) || /^[a-z][A-Za-z.]*\.\*$/.test(p), p).toBe(true)
      expect(['ok', 'refused']).toContain(entry.outcome)
      if (entry.detail !== null)
        expect(entry.detail).toMatch(/^(ERR_[A-Z_]+|passphrase|recovery-key|merge|replace)$/)
    }
  })
})

describe('promise 20: entries written while sealed', () => {
  it('promise 20: failed unlocks written while sealed are MACed at the next unlock, and the chain verifies (also across a restart)', async () => {
    tv = await createTestVault()
    let vault = tv.vault
    const db = () => (tv as TestVault).handle.db
    const shop = await vault.vendors.register({ name: 'Fjord' })
    await vault.lock()
    await expect(vault.unlock('wrong one #1')).rejects.toMatchObject({ code: 'ERR_UNLOCK_FAILED' })
    await expect(vault.unlock({ recoveryKey: 'CUSTOS-AAAAA' })).rejects.toMatchObject({
      code: 'ERR_RECOVERY_KEY_FORMAT',
    })
    const unsealed = await db()
      .selectFrom('audit')
      .select(['seq', 'entry'])
      .where('mac', 'is', null)
      .execute()
    expect(unsealed).toHaveLength(1)
    expect(JSON.parse((unsealed[0] as { entry: string }).entry)).toMatchObject({
      action: 'vault.unlock_failed',
    })

    vault = await tv.reopen()
    await expect(vault.unlock('wrong one #2')).rejects.toMatchObject({ code: 'ERR_UNLOCK_FAILED' })
    await expect(vault.unlock('wrong one #3')).rejects.toMatchObject({ code: 'ERR_UNLOCK_FAILED' })
    expect(
      await db().selectFrom('audit').select('seq').where('mac', 'is', null).execute(),
    ).toHaveLength(3)
    await vault.unlock(PASSPHRASE)
    expect(
      await db().selectFrom('audit').select('seq').where('mac', 'is', null).execute(),
    ).toHaveLength(0)
    const verified = await vault.audit.verify()
    expect(verified).toMatchObject({ ok: true })
    const entries = await vault.audit.list({ limit: 6 })
    expect(entries.map((e) => e.action)).toEqual([
      'vault.unlocked',
      'vault.unlock_failed',
      'vault.unlock_failed',
      'vault.unlock_failed',
      'vault.locked',
      'vendor.registered',
    ])
    expect(entries[5]?.vendorId).toBe(shop.id)
  })

  it('promise 20: cutting off the newest entries and appending a forged "written while sealed" entry is not authenticated by the next unlock', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const db = tv.handle.db
    const sodium = await loadSodium()
    await vault.fields.set('email', 'ada@example.org')
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Mail',
      durationSeconds: 3600,
    })
    for (let i = 0; i < 3; i++) await vault.readThroughGrant(grant.id)
    await vault.lock()
    // The attacker (database access, no key) deletes the evidence of the reads — and, to keep the
    // chain whole, everything after them (the lock's own entry included)…
    const firstRead = (
      await db
        .selectFrom('audit')
        .select('seq')
        .where('entry', 'like', '%grant.read%')
        .orderBy('seq')
        .executeTakeFirstOrThrow()
    ).seq
    const kept = await db
      .selectFrom('audit')
      .selectAll()
      .where('seq', '<', firstRead)
      .orderBy('seq')
      .execute()
    const last = kept[kept.length - 1] as AuditRow
    await db.deleteFrom('audit').where('seq', '>', last.seq).execute()
    // …and papers over the gap with an entry that looks like a failed unlock written while sealed.
    const forged = JSON.stringify({
      seq: last.seq + 1,
      at: new Date().toISOString(),
      action: 'vault.unlock_failed',
      actor: 'owner',
      vendorId: null,
      grantId: null,
      paths: null,
      purchaseIds: null,
      outcome: 'refused',
      detail: 'passphrase',
    })
    const hash = chainHash(sodium, new Uint8Array(last.hash), forged)
    await db
      .insertInto('audit')
      .values({
        seq: last.seq + 1,
        at: new Date().toISOString(),
        entry: forged,
        prev_hash: last.hash,
        hash,
        mac: null,
      })
      .execute()
    await db
      .updateTable('vault_meta')
      .set({ audit_head_seq: last.seq + 1, audit_head_hash: hash })
      .where('id', '=', 1)
      .execute()

    await vault.unlock(PASSPHRASE)
    expect(await vault.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: last.seq + 1,
      reason: 'unauthenticated',
    })
  })
})
