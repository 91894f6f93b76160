/**
 * SECURITY.md, "The barrier" — the property behind issue 9's reproductions: whatever someone with
 * write access to the database (and no key) does to a row that decides access — any column of any
 * grant, vendor, purchase or `vault_meta` row edited, two rows' values swapped, or a row put back to
 * an older authentic version of itself — no vendor read ever returns more than the untampered vault
 * would. It may return less (an error: ERR_INTEGRITY, ERR_AUDIT_BROKEN, …), never more.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { Vault } from '../../src/index.js'
import { type TestVault, createTestVault, engine } from '../support/test-vault.js'

/** Runs per property: bounded in the default suite, ten times more with CUSTOS_LONG=1. */
const RUNS = process.env.CUSTOS_LONG === '1' ? 1500 : 150

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

type Table = 'grants' | 'vendors' | 'purchases' | 'vault_meta'
const KEY: Record<Table, string> = {
  grants: 'id',
  vendors: 'id',
  purchases: 'id',
  vault_meta: 'id',
}
type Row = Record<string, unknown>
type Outcome =
  | { ok: true; fields: Record<string, unknown>; purchaseIds: string[] }
  | { ok: false; code: string }

async function outcome(vault: Vault, grantId: string): Promise<Outcome> {
  try {
    const slice = await vault.readThroughGrant(grantId)
    return {
      ok: true,
      fields: slice.fields,
      purchaseIds: (slice.purchases?.items ?? []).map((p) => p.id).sort(),
    }
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? String(err) }
  }
}

/** True when `tampered` shows nothing `baseline` does not: the same values, a subset of them. */
function noMoreThan(tampered: Outcome, baseline: Outcome): boolean {
  if (!tampered.ok) return true
  if (!baseline.ok) return false
  const fieldsOk = Object.entries(tampered.fields).every(
    ([path, value]) => JSON.stringify(baseline.fields[path]) === JSON.stringify(value),
  )
  return fieldsOk && tampered.purchaseIds.every((id) => baseline.purchaseIds.includes(id))
}

async function snapshot(db: TestVault['handle']['db'], table: Table): Promise<Row[]> {
  return (await db.selectFrom(table).selectAll().execute()) as Row[]
}

// The vault suites run once per engine (vitest projects `sqlite` and `postgres`): on PostgreSQL the
// columns have their own types (integer, bytea, timestamptz), so edits the engine refuses differ,
// and the test checks below that every table and every kind of edit was really applied there too.
describe(`the barrier, as a property (${engine})`, () => {
  it('no edit, swap or rollback of any column of any access-deciding row lets any grant read more than before', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const db = tv.handle.db
    await vault.fields.setMany({
      email: 'ada@example.org',
      'name.given': 'Ada',
      'name.family': 'Lovelace',
      'prefs.sizes.shoe': 'EU 39',
    })
    const a = await vault.vendors.register({ name: 'Fjord Outdoor' })
    const b = await vault.vendors.register({ name: 'Nordlys Books' })
    const c = await vault.vendors.register({ name: 'Blocked Shop' })
    await vault.purchases.add(
      {
        seller: 'Fjord Outdoor',
        orderDate: '2026-01-02',
        currency: 'EUR',
        total: 20,
        category: 'outdoor',
      },
      { vendorId: a.id },
    )
    await vault.purchases.add(
      {
        seller: 'Nordlys Books',
        orderDate: '2026-01-03',
        currency: 'EUR',
        total: 12,
        category: 'books',
      },
      { vendorId: b.id },
    )
    await vault.purchases.add({
      seller: 'Corner Shop',
      orderDate: '2026-01-04',
      currency: 'EUR',
      total: 3,
      category: 'food',
    })
    const day = 86_400
    const live = await vault.grants.create({
      vendorId: a.id,
      fields: ['email'],
      purchases: { madeWithVendor: true },
      actions: ['read', 'append'],
      purpose: 'Orders',
      durationSeconds: day,
    })
    const narrowed = await vault.grants.create({
      vendorId: b.id,
      fields: ['name.*', 'prefs.*'],
      purchases: { categories: ['books', 'food'] },
      actions: ['read'],
      purpose: 'Books',
      durationSeconds: day,
    })
    const revoked = await vault.grants.create({
      vendorId: b.id,
      fields: ['email', 'name.*'],
      actions: ['read'],
      purpose: 'Old',
      durationSeconds: day,
    })
    const blocked = await vault.grants.create({
      vendorId: c.id,
      fields: ['email', 'prefs.*'],
      actions: ['read'],
      purpose: 'Blocked',
      durationSeconds: day,
    })
    await vault.inbox.append(live.id, {
      seller: 'Fjord Outdoor',
      orderDate: '2026-02-01',
      currency: 'EUR',
      total: 5,
    })
    await vault.purchases.add({
      seller: 'Fjord Outdoor',
      orderDate: '2026-02-03',
      currency: 'EUR',
      total: 9,
      category: 'books',
    })

    // Authentic older versions of every row, for rollbacks: taken before access was taken away.
    const tables: Table[] = ['grants', 'vendors', 'purchases', 'vault_meta']
    const older = new Map<Table, Row[]>()
    for (const t of tables) older.set(t, await snapshot(db, t))
    await vault.grants.narrow(narrowed.id, {
      fields: ['name.given'],
      purchases: { categories: ['books'] },
    })
    await vault.grants.revoke(revoked.id)
    await vault.vendors.setBlocked(c.id, true)

    const grants = [live.id, narrowed.id, revoked.id, blocked.id]
    const baseline = new Map<string, Outcome>()
    for (const g of grants) baseline.set(g, await outcome(vault, g))
    // The set-up is what it should be: two grants read something, two are refused.
    expect(grants.map((g) => (baseline.get(g) as Outcome).ok)).toEqual([true, true, false, false])

    const current = new Map<Table, Row[]>()
    for (const t of tables) current.set(t, await snapshot(db, t))

    const edit = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        value: fc.oneof(
          fc.constant(null),
          fc.string({ maxLength: 12 }),
          fc.integer({ min: -2, max: 3 }),
          fc.constant('active'),
          fc.constant('accepted'),
          fc.constant('2099-12-31T00:00:00.000Z'),
          fc.constant(0),
        ),
      }),
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(),
        bit: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({ kind: fc.constant('swap' as const), other: fc.nat() }),
      fc.record({ kind: fc.constant('rollback' as const) }),
    )

    // What the database accepted, by table and by kind: a property whose edits were all refused
    // by column types would pass without testing anything.
    const applied = new Map<string, number>()
    const count = (key: string) => applied.set(key, (applied.get(key) ?? 0) + 1)
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...tables),
        fc.nat(),
        fc.nat(),
        edit,
        async (table, rowPick, columnPick, change) => {
          const rows = current.get(table) as Row[]
          const key = KEY[table]
          // Read fresh: the audit head in vault_meta moves with every read.
          const picked = rows[rowPick % rows.length] as Row
          const original = (await db
            .selectFrom(table)
            .selectAll()
            .where(key as never, '=', picked[key] as never)
            .executeTakeFirstOrThrow()) as Row
          const columns = Object.keys(original).filter((k) => k !== key)
          const column = columns[columnPick % columns.length] as string
          let next: Row
          if (change.kind === 'rollback') {
            const saved = (older.get(table) as Row[]).find((r) => r[key] === original[key])
            if (!saved) return
            next = saved
          } else if (change.kind === 'swap') {
            const other = rows[change.other % rows.length] as Row
            next = { ...original, [column]: other[column] }
          } else if (change.kind === 'flip') {
            const value = original[column]
            if (!(value instanceof Uint8Array) || value.length === 0) return
            const bytes = new Uint8Array(value)
            const at = change.at % bytes.length
            bytes[at] = (bytes[at] as number) ^ (1 << change.bit)
            next = { ...original, [column]: bytes }
          } else {
            next = { ...original, [column]: change.value }
          }
          const { [key]: id, ...values } = next
          try {
            await db
              .updateTable(table)
              .set(values as never)
              .where(key as never, '=', id as never)
              .execute()
          } catch {
            return // a value the column cannot hold (NOT NULL, type): the database refused the edit itself
          }
          count(table)
          count(change.kind)
          try {
            for (const g of grants) {
              const got = await outcome(vault, g)
              if (!noMoreThan(got, baseline.get(g) as Outcome)) {
                throw new Error(
                  `${table}.${column} ${change.kind} let grant ${g} read more: ${JSON.stringify(got)} vs ${JSON.stringify(baseline.get(g))}`,
                )
              }
            }
          } finally {
            // Only the columns this run changed: the audit head in vault_meta moved with the reads.
            const changed = Object.fromEntries(
              Object.keys(values)
                .filter((k) => next[k] !== original[k])
                .map((k) => [k, original[k]]),
            )
            if (Object.keys(changed).length > 0)
              await db
                .updateTable(table)
                .set(changed as never)
                .where(key as never, '=', id as never)
                .execute()
          }
        },
      ),
      { numRuns: RUNS },
    )
    for (const k of [...tables, 'set', 'flip', 'swap', 'rollback'])
      expect(applied.get(k) ?? 0, `edits applied to ${k} on ${engine}`).toBeGreaterThan(0)
    // Put back, everything reads exactly as before (the audit head moved with every read: re-take it).
    for (const g of grants) expect(await outcome(vault, g)).toEqual(baseline.get(g))
  })
})
