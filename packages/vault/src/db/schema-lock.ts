import { type Kysely, sql } from 'kysely'
import type { Engine } from './schema.js'

/**
 * Runs schema migrations with the database's write lock held, so two processes starting at once
 * on a new database cannot both apply the same migration (the loser used to fail with "table
 * already exists" and exit). PostgreSQL needs nothing here: Kysely's migrator takes an advisory
 * lock and runs DDL in a transaction. SQLite has neither (Kysely's SQLite adapter runs migrations
 * without a transaction or lock), so the whole run goes inside one `BEGIN IMMEDIATE`: the second
 * process waits (busy_timeout) and then finds the migrations applied — and a migration that fails
 * halfway leaves nothing behind. `work` reports failure by returning `{ error }`, as Kysely's
 * migrator does, or by throwing; either way the transaction rolls back.
 */
export async function withSchemaLock<T extends { error?: unknown }>(
  db: Kysely<any>,
  engine: Engine,
  work: () => Promise<T>,
): Promise<T> {
  if (engine !== 'sqlite') return work()
  await sql`begin immediate`.execute(db)
  let outcome: T
  try {
    outcome = await work()
  } catch (err) {
    await sql`rollback`.execute(db)
    throw err
  }
  await (outcome.error === undefined ? sql`commit` : sql`rollback`).execute(db)
  return outcome
}
