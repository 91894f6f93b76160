import type { Kysely, Transaction } from 'kysely'
import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import type { VaultDatabase } from '../db/schema.js'
import { UnknownTermError } from '../errors.js'
import type { UnsealedKeys } from './unsealed-keys.js'

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
/** Loads keyring terms this process does not hold yet and adopts the stored current term. */
export async function refreshKeyring(
  _ctx: VaultContext,
  db: Kysely<VaultDatabase> | Transaction<VaultDatabase>,
  keys: UnsealedKeys,
  currentTerm?: number,
): Promise<void> {
  const rows = await db
    .selectFrom('keyring')
    .select(['term', 'wrapped_key'])
    .where('wrapped_key', 'is not', null)
    .execute()
  for (const row of rows)
    if (row.wrapped_key && !keys.hasTerm(row.term))
      keys.addWrappedTerm(row.term, toBytes(row.wrapped_key))
  const term =
    currentTerm ??
    (
      await db
        .selectFrom('vault_meta')
        .select('current_term')
        .where('id', '=', 1)
        .executeTakeFirstOrThrow()
    ).current_term
  keys.setCurrentTerm(term)
}

/**
 * Wraps every method of a store so that a read meeting a term this process does not know
 * (another process rotated keys) reloads the keyring and retries once, instead of failing
 * until a restart.
 */
export function retryOnUnknownTerm<T extends object>(
  ctx: VaultContext,
  store: T,
  /** Methods that return synchronously (a view of the store), left as they are. */
  synchronous: readonly (keyof T)[] = [],
): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      if (synchronous.includes(property as keyof T)) return value.bind(target)
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => unknown).apply(target, args)
        } catch (err) {
          if (!(err instanceof UnknownTermError)) throw err
          await refreshKeyring(ctx, ctx.db, ctx.keys())
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      }
    },
  })
}

/**
 * The term to write under and the ledger epoch to MAC grant and vendor rows under (see
 * integrity/ledger.ts), read under the same lock: an epoch advance in another process waits for
 * this write, or this write for it, so no row is ever MAC'd under an epoch that has moved on.
 */
export async function writeTerm(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
): Promise<{ term: number; key: Uint8Array; epoch: number }> {
  const keys = ctx.keys()
  const meta = await trx
    .selectFrom('vault_meta')
    .select(['current_term', 'ledger_epoch'])
    .where('id', '=', 1)
    .$if(ctx.engine === 'postgres', (q) => q.forUpdate())
    .executeTakeFirstOrThrow()
  if (meta.current_term !== keys.currentTerm || !keys.hasTerm(meta.current_term))
    await refreshKeyring(ctx, trx, keys, meta.current_term)
  return { term: meta.current_term, key: keys.termKey(meta.current_term), epoch: meta.ledger_epoch }
}
