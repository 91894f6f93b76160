/**
 * `audit.lastReadPerGrant` (issue 11, move 3): each grant's newest vendor read, found through the
 * `audit_grant_read` index instead of the callers scanning up to 50,000 entries — the same answer
 * as that scan, on SQLite and PostgreSQL, with a plan that uses the index, and an index that no
 * damaged entry can make the log unwritable with.
 */
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { NEWEST_READS } from '../src/audit/grant-reads.js'
import type { AuditEntry, Vault } from '../src/index.js'
import { type TestVault, createTestVault, engine } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

/** Two vendors; the first has grants A and B, the second C; D is never read. */
async function readsOnRecord() {
  tv = await createTestVault()
  const { vault } = tv
  await vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 38' })
  const one = await vault.vendors.register({ name: 'Fjord Outdoor' })
  const two = await vault.vendors.register({ name: 'Book Nook' })
  const grant = (vendorId: string, fields: string[]) =>
    vault.grants.create({
      vendorId,
      fields,
      actions: ['read'],
      purpose: 'p',
      durationSeconds: 86_400,
    })
  const [a, b, c, d] = [
    await grant(one.id, ['email']),
    await grant(one.id, ['prefs.sizes.*']),
    await grant(two.id, ['email']),
    await grant(two.id, ['email']),
  ]
  await vault.readThroughGrant(a.id, { vendorId: one.id })
  await vault.readThroughGrant(b.id, { vendorId: one.id })
  await vault.readThroughGrant(c.id, { vendorId: two.id })
  await vault.readThroughGrant(a.id, { vendorId: one.id, include: ['fields'] })
  // Entries about a grant that are not reads: a refusal and a narrowing come after the last read.
  await expect(vault.readThroughGrant(c.id, { vendorId: one.id })).rejects.toMatchObject({
    code: 'ERR_GRANT_MISMATCH',
  })
  await vault.grants.narrow(b.id, { fields: ['prefs.sizes.shoe'] })
  return { vault, one, two, a, b, c, d }
}

/** What the Connections page and the vendor list did before: the log newest first, the first read of each grant. */
async function scanned(
  vault: Vault,
  grantIds: readonly string[],
): Promise<Map<string, AuditEntry>> {
  const found = new Map<string, AuditEntry>()
  for (const e of await vault.audit.list({ action: 'grant.read', limit: 1000 })) {
    if (e.grantId !== undefined && grantIds.includes(e.grantId) && !found.has(e.grantId))
      found.set(e.grantId, e)
  }
  return found
}

describe('audit.lastReadPerGrant', () => {
  it("gives each grant's newest read entry — the one a scan of the log finds — and leaves out grants never read", async () => {
    const { vault, a, b, c, d } = await readsOnRecord()
    const ids = [a.id, b.id, c.id, d.id, 'grant_unknown']
    const reads = await vault.audit.lastReadPerGrant(ids)
    expect(reads).toEqual(await scanned(vault, ids))
    expect([...reads.keys()].sort()).toEqual([a.id, b.id, c.id].sort())
    expect(reads.get(a.id)).toMatchObject({ action: 'grant.read', grantId: a.id, paths: ['email'] })
    const readsOfA = await vault.audit.list({ action: 'grant.read', grantId: a.id })
    expect(readsOfA).toHaveLength(2)
    expect(reads.get(a.id)?.seq).toBe(readsOfA[0]?.seq)
    // Asking for fewer, or twice for one, changes nothing about each answer.
    expect(await vault.audit.lastReadPerGrant([c.id, c.id])).toEqual(
      new Map([[c.id, reads.get(c.id)]]),
    )
    expect(await vault.audit.lastReadPerGrant([])).toEqual(new Map())
  })

  it('refuses what is not a list of ids, and answers nothing while sealed', async () => {
    const { vault, a } = await readsOnRecord()
    for (const bad of [
      'not a list',
      [42],
      ['x'.repeat(65)],
      Array.from({ length: 10_001 }, () => a.id),
    ]) {
      await expect(vault.audit.lastReadPerGrant(bad as string[])).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      })
    }
    await vault.lock()
    await expect(vault.audit.lastReadPerGrant([a.id])).rejects.toMatchObject({
      code: 'ERR_VAULT_LOCKED',
    })
  })

  it('is one indexed lookup per grant: the plan uses audit_grant_read on this engine', async () => {
    const { a, b } = await readsOnRecord()
    const db = (tv as TestVault).handle.db
    const plan =
      engine === 'sqlite'
        ? (
            await sql<{
              detail: string
            }>`explain query plan ${NEWEST_READS.sqlite([a.id, b.id])}`.execute(db)
          ).rows.map((r) => r.detail)
        : // A handful of rows would make a sequential scan the cheaper plan; with it priced out, an
          // index the query cannot use would still show up as one.
          await db.transaction().execute(async (trx) => {
            await sql`set local enable_seqscan = off`.execute(trx)
            return (
              await sql<{
                'QUERY PLAN': string
              }>`explain ${NEWEST_READS.postgres([a.id, b.id])}`.execute(trx)
            ).rows.map((r) => r['QUERY PLAN'])
          })
    expect(plan.join('\n')).toContain('audit_grant_read')
  })

  it('a damaged entry neither stops the log being written nor hides the other grants’ reads', async () => {
    const { vault, a, c } = await readsOnRecord()
    const db = (tv as TestVault).handle.db
    const before = await vault.audit.lastReadPerGrant([a.id, c.id])
    // Someone who can write the database garbles the vault.created entry: the index must not
    // refuse the write (its expressions never raise), nor the vault's next appends.
    await db
      .updateTable('audit')
      .set({ entry: '{"action":"grant.read", not json' })
      .where('seq', '=', 1)
      .execute()
    await vault.readThroughGrant(c.id)
    const after = await vault.audit.lastReadPerGrant([a.id, c.id])
    expect(after.get(a.id)).toEqual(before.get(a.id))
    expect(after.get(c.id)?.seq).toBeGreaterThan(before.get(c.id)?.seq ?? Number.POSITIVE_INFINITY)
  })
})
