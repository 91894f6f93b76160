import { sql } from 'kysely'
import type { ApiDb } from './api-schema.js'

const KEY = { oauth_requests: 'id', oauth_codes: 'code_hash', oauth_tokens: 'token_hash' } as const

/** Rows deleted per purge at most: the request that triggers it pays a small, fixed price. */
export const PURGE_BATCH = 50

/**
 * Deletes up to {@link PURGE_BATCH} rows of `table` that expired before `before` (one indexed
 * range, `expires_at`). Called on the write paths that add rows to the same table — each stored
 * request, code or token pair — so the table cannot outgrow what is live: every insert of a few
 * rows removes up to fifty dead ones, and nothing sits forever (issue "P1 — Trust", finding 2:
 * undecided requests were never purged).
 */
export async function purgeExpired(
  db: ApiDb,
  table: keyof typeof KEY,
  before: Date,
): Promise<void> {
  const key = sql.ref(KEY[table])
  await sql`delete from ${sql.table(table)} where ${key} in (select ${key} from ${sql.table(table)} where expires_at < ${before.toISOString()} limit ${PURGE_BATCH})`.execute(
    db,
  )
}
