import type { Transaction } from 'kysely'
import type { VaultContext } from '../context.js'
import { equalBytes } from '../crypto/bytes.js'
import { headMac, headMacOf } from '../audit/audit-entry.js'
import { HEAD_COLUMNS, headState } from '../audit/audit-log.js'
import type { VaultDatabase } from '../db/schema.js'
import { authenticated } from './row-auth.js'

/**
 * The upgrade to row authentication, at the first unlock after it (row_auth_version 0): every
 * grant, vendor and purchase row gets its MAC, and the version moves to 1 — which the head MAC
 * from then on covers, so setting it back to 0 to have rows adopted again breaks the log.
 *
 * Only a log whose head the key holder vouches for (the first form of the head MAC) is adopted:
 * this is trust on first use, and SECURITY.md says so. Returns false when the head is not vouched
 * for; the rows then stay unauthenticated and are refused (ERR_INTEGRITY), and the owner sees the
 * broken log.
 */
export async function adoptLegacyRows(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  adoptExternal: (trx: Transaction<VaultDatabase>) => Promise<void>,
): Promise<boolean> {
  const meta = await trx
    .selectFrom('vault_meta')
    .select(HEAD_COLUMNS)
    .where('id', '=', 1)
    .$if(ctx.engine === 'postgres', (q) => q.forUpdate())
    .executeTakeFirstOrThrow()
  if (meta.row_auth_version !== 0) return true
  const auditKey = ctx.keys().subkey('auditMac')
  const vouched =
    meta.audit_head_seq > 0 &&
    meta.audit_head_hash !== null &&
    meta.audit_head_mac !== null &&
    equalBytes(
      ctx.sodium,
      headMac(ctx.sodium, auditKey, meta.audit_head_seq, new Uint8Array(meta.audit_head_hash)),
      new Uint8Array(meta.audit_head_mac),
    )
  if (!vouched) return false
  const epoch = meta.ledger_epoch
  const grants = await trx.selectFrom('grants').selectAll().execute()
  for (const row of grants)
    await trx
      .updateTable('grants')
      .set({ row_mac: ctx.rows.mac('grants', authenticated.grants(row, epoch)) })
      .where('id', '=', row.id)
      .execute()
  const vendors = await trx.selectFrom('vendors').selectAll().execute()
  for (const row of vendors)
    await trx
      .updateTable('vendors')
      .set({ row_mac: ctx.rows.mac('vendors', authenticated.vendors(row, epoch)) })
      .where('id', '=', row.id)
      .execute()
  let purchases = 0
  for (let after = ''; ; ) {
    const page = await trx
      .selectFrom('purchases')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute()
    for (const row of page)
      await trx
        .updateTable('purchases')
        .set({ row_mac: ctx.rows.mac('purchases', authenticated.purchases(row)) })
        .where('id', '=', row.id)
        .execute()
    purchases += page.length
    if (page.length < 1000) break
    after = page[page.length - 1]?.id ?? after
  }
  await adoptExternal(trx)
  // The head MAC takes its second form, which covers the version, the ledger epoch and the anchor.
  const upgraded = { ...meta, row_auth_version: 1 }
  await trx
    .updateTable('vault_meta')
    .set({
      row_auth_version: 1,
      audit_head_mac: headMacOf(ctx.sodium, auditKey, headState(upgraded)),
    })
    .where('id', '=', 1)
    .execute()
  ctx.emit({ type: 'rows.adopted', grants: grants.length, vendors: vendors.length, purchases })
  return true
}
