import type { Transaction } from 'kysely'
import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import type { VaultDatabase } from '../db/schema.js'

/**
 * The term a write must encrypt under, read inside the write's own transaction.
 *
 * Another process on the same database (a second server over PostgreSQL, or the CLI beside the
 * server on one SQLite file) may have rotated keys since this process unsealed: writing under the
 * term held in memory could then store a record under a term that rotation has just retired,
 * and lose it. Reading `current_term` in the transaction — locked on PostgreSQL, so a rotation's
 * start or finish waits for this write; SQLite's write transactions are serialized anyway — and
 * reloading the keyring when it moved closes that window (SECURITY.md promise 10).
 *
 * The lock is FOR UPDATE, not FOR SHARE: most writes go on to extend the audit chain, which
 * locks the same row FOR UPDATE, and two writers each holding a share lock while waiting to
 * upgrade would deadlock.
 */
export async function writeTerm(ctx: VaultContext, trx: Transaction<VaultDatabase>): Promise<{ term: number; key: Uint8Array }> {
  const keys = ctx.keys()
  const meta = await trx
    .selectFrom('vault_meta')
    .select('current_term')
    .where('id', '=', 1)
    .$if(ctx.engine === 'postgres', (q) => q.forUpdate())
    .executeTakeFirstOrThrow()
  if (meta.current_term !== keys.currentTerm || !keys.hasTerm(meta.current_term)) {
    const rows = await trx.selectFrom('keyring').select(['term', 'wrapped_key']).where('wrapped_key', 'is not', null).execute()
    for (const row of rows) if (row.wrapped_key && !keys.hasTerm(row.term)) keys.addWrappedTerm(row.term, toBytes(row.wrapped_key))
    keys.setCurrentTerm(meta.current_term)
  }
  return { term: meta.current_term, key: keys.termKey(meta.current_term) }
}
