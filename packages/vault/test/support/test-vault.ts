/**
 * Test support: a fresh database per test on the engine this project runs (CUSTOS_TEST_ENGINE),
 * and a fresh vault on it with the cheapest allowed KDF so unlocks take ~0.2 s.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import {
  type CreateVaultOptions,
  type DatabaseHandle,
  type Vault,
  createVault,
  openPostgres,
  openSqlite,
} from '../../src/index.js'

export const engine = (process.env.CUSTOS_TEST_ENGINE ?? 'sqlite') as 'sqlite' | 'postgres'
export const PASSPHRASE = 'correct horse battery staple'

export interface TestDatabase {
  /** Opens a new handle on the same database (a "restart"). */
  open(): DatabaseHandle
  /** The SQLite file, on SQLite. */
  readonly file?: string
  readonly dir?: string
  dispose(): Promise<void>
}

let counter = 0

export async function createTestDatabase(): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'custos-test-'))
    const file = join(dir, 'vault.db')
    return {
      open: () => openSqlite(file),
      file,
      dir,
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  const url = inject('postgresUrl')
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  await admin.end()
  const pools: pg.Pool[] = []
  return {
    open() {
      const pool = new pg.Pool({
        connectionString: url,
        options: `-c search_path=${schema}`,
        max: 5,
      })
      pools.push(pool)
      return openPostgres({ pool })
    },
    async dispose() {
      await Promise.allSettled(pools.map((p) => p.end()))
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      await c.query(`drop schema ${schema} cascade`)
      await c.end()
    },
  }
}

export interface TestVault {
  vault: Vault
  db: TestDatabase
  handle: DatabaseHandle
  recoveryKey: string
  /** Closes the vault and opens a new one on the same database (a process restart), sealed. */
  reopen(options?: Partial<CreateVaultOptions>): Promise<Vault>
  dispose(): Promise<void>
}

/** A new, initialized, unsealed vault. Dispose it in afterEach. */
export async function createTestVault(
  options: Partial<CreateVaultOptions> = {},
): Promise<TestVault> {
  const db = await createTestDatabase()
  let handle = db.open()
  let vault = await createVault({ kdf: 'interactive', ...options, database: handle })
  const { recoveryKey } = await vault.initialize(PASSPHRASE)
  const tv: TestVault = {
    get vault() {
      return vault
    },
    db,
    get handle() {
      return handle
    },
    recoveryKey,
    async reopen(more = {}) {
      await vault.close()
      handle = db.open()
      vault = await createVault({ kdf: 'interactive', ...options, ...more, database: handle })
      return vault
    },
    async dispose() {
      await vault.close().catch(() => undefined)
      await db.dispose()
    },
  }
  return tv
}
