/**
 * Test support for the stores (src/store/): a vault on the project's engine with the API's tables
 * migrated, and the context a store is built from — as createApp builds it, on a fake clock the
 * test moves. `reads` counts the statements run through the handle's `readNow` (SQLite's hot
 * path), so a test can tell a cache hit from a select.
 */
import type { Kysely } from 'kysely'
import type { DatabaseHandle } from '@custos/vault'
import { type TestVault, createTestVault, engine } from '@custos/vault/testing'
import type { StoreContext } from '../../src/app-context.js'
import { parseConfig } from '../../src/config.js'
import type { ApiTables } from '../../src/db/api-schema.js'
import { prepareApiStorage } from '../../src/db/api-storage.js'

export { engine }

export interface StoreFixture {
  readonly tv: TestVault
  /** A fresh context over the same database: another app, with stores of its own. */
  context(): StoreContext & { readonly reads: () => number }
  now(): Date
  advance(seconds: number): void
}

let live: TestVault[] = []

export async function disposeStoreFixtures(): Promise<void> {
  const all = live
  live = []
  await Promise.all(all.map((tv) => tv.dispose()))
}

export async function storeFixture(): Promise<StoreFixture> {
  let t = Date.parse('2026-06-01T12:00:00Z')
  const now = () => new Date(t)
  const tv = await createTestVault({ now })
  live.push(tv)
  await prepareApiStorage({ vault: tv.vault, database: tv.handle, now })
  const config = parseConfig({ issuer: 'https://vault.example' })
  return {
    tv,
    now,
    advance(seconds) {
      t += seconds * 1000
    },
    context() {
      let reads = 0
      const handle = tv.handle
      const readNow = handle.readNow
      const database: DatabaseHandle = readNow
        ? {
            ...handle,
            readNow(sqlText, parameters) {
              reads++
              return readNow(sqlText, parameters)
            },
          }
        : handle
      return {
        vault: tv.vault,
        db: handle.db as unknown as Kysely<ApiTables>,
        config,
        now,
        database,
        reads: () => reads,
      }
    },
  }
}
