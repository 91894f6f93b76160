/**
 * `@custos/vault/storage` — the storage plumbing an application keeping its own tables beside the
 * vault's borrows from it (the consent API does), kept off the main entry so that the library's
 * surface stays what a vault user needs:
 * - {@link HotQuery}: a read compiled once and run many times, on SQLite through the handle's
 *   `readNow` (the prepared-statement cache, no Kysely round trip);
 * - {@link withSchemaLock}: an application's own migrations run under the database's write lock,
 *   so two processes starting at once cannot both apply one;
 * - the optional hooks of a {@link DatabaseHandle} they build on: `readNow`, `changeToken` (equal
 *   tokens prove no record changed, so a read cached under one is exact) and `transactionNow`.
 *
 * @example
 * import { HotQuery, withSchemaLock } from '@custos/vault/storage'
 * await withSchemaLock(handle.db, handle.engine, () => migrator.migrateToLatest())
 * const byHash = new HotQuery(handle, db.selectFrom('oauth_tokens').selectAll().where('token_hash', '=', ''))
 * const [row] = await byHash.run([hash])
 *
 * @packageDocumentation
 */
export { HotQuery } from './db/hot-query.js'
export { withSchemaLock } from './db/schema-lock.js'
export type { DatabaseHandle, SyncStatements } from './db/open-database.js'
export type { Engine } from './db/schema.js'
