import type { Transaction } from 'kysely'
import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import type { GrantsTable, VaultDatabase, VendorsTable } from '../db/schema.js'
import { authenticated } from './row-auth.js'

type GrantRow = Omit<GrantsTable, 'row_mac'>
type VendorRow = Omit<VendorsTable, 'row_mac'>

/** Replacement rows for the change that advances the ledger (the revoked grant, the blocked vendor). */
export interface LedgerChange {
  readonly grants?: readonly GrantRow[]
  readonly vendors?: readonly VendorRow[]
}

/**
 * Advances the ledger epoch inside `trx`, which must already hold `vault_meta` locked (through
 * writeTerm): every grant, vendor and intent row is checked under the epoch it was written under,
 * then written back — with the change applied — MAC'd under the next one.
 *
 * Why: a row MAC alone proves a row is *an* authentic version, not the newest. Someone who saved
 * a grant row while it was active could put it back after its revocation and it would still
 * verify. Changes that take access away (revoke, narrow, block) therefore move every grant and
 * vendor row to a new epoch at once; a saved copy carries the old one and fails. The epoch itself
 * is covered by the audit head MAC (audit-entry.ts), so lowering it to match the copy breaks the
 * log, which stops vendor reads. Putting the *whole* database back to an older copy remains out of
 * reach, as restoring an old backup would be (SECURITY.md).
 *
 * The cost is one pass over the grant, vendor and intent rows per revocation, narrowing, block or
 * decided intent — rare, owner-driven writes — and nothing on reads.
 */
export async function advanceLedger(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  epoch: number,
  change: LedgerChange = {},
): Promise<number> {
  const next = epoch + 1
  const grantChanges = new Map((change.grants ?? []).map((g) => [g.id, g]))
  const vendorChanges = new Map((change.vendors ?? []).map((v) => [v.id, v]))
  const grants = await trx.selectFrom('grants').selectAll().execute()
  for (const stored of grants) {
    const row = { ...stored, body: toBytes(stored.body) }
    ctx.rows.check(
      'grants',
      authenticated.grants(row, epoch),
      stored.row_mac && toBytes(stored.row_mac),
    )
    const { row_mac: _old, ...values } = { ...row, ...grantChanges.get(row.id) }
    await trx
      .updateTable('grants')
      .set({ ...values, row_mac: ctx.rows.mac('grants', authenticated.grants(values, next)) })
      .where('id', '=', row.id)
      .execute()
  }
  const vendors = await trx.selectFrom('vendors').selectAll().execute()
  for (const stored of vendors) {
    const row = { ...stored, body: toBytes(stored.body) }
    ctx.rows.check(
      'vendors',
      authenticated.vendors(row, epoch),
      stored.row_mac && toBytes(stored.row_mac),
    )
    const { row_mac: _old, ...values } = { ...row, ...vendorChanges.get(row.id) }
    await trx
      .updateTable('vendors')
      .set({ ...values, row_mac: ctx.rows.mac('vendors', authenticated.vendors(values, next)) })
      .where('id', '=', row.id)
      .execute()
  }
  // Intents bind the epoch too (row-auth.ts): their MAC covers no ciphertext, only plaintext columns.
  const intents = await trx.selectFrom('intents').selectAll().execute()
  for (const stored of intents) {
    ctx.rows.check(
      'intents',
      authenticated.intents(stored, epoch),
      stored.row_mac && toBytes(stored.row_mac),
    )
    await trx
      .updateTable('intents')
      .set({ row_mac: ctx.rows.mac('intents', authenticated.intents(stored, next)) })
      .where('id', '=', stored.id)
      .execute()
  }
  await ctx.audit.setLedgerEpoch(trx, next)
  return next
}
