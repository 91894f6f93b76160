import BetterSqlite3 from 'better-sqlite3'
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely'
import pg from 'pg'
import { createPrivateFile, tightenFileMode } from './private-file.js'
import type { Engine, VaultDatabase } from './schema.js'

/** An open database the vault runs on, with the engine it speaks. */
export interface DatabaseHandle {
  readonly db: Kysely<VaultDatabase>
  readonly engine: Engine
  /** The SQLite file path, when the engine is SQLite on a file. */
  readonly file?: string
  /**
   * SQLite only: runs a read statement synchronously on the prepared-statement cache, skipping
   * Kysely's query building and connection queue — for the few hot-path reads. Returns undefined
   * while a transaction is open on the connection (its uncommitted rows must not be seen);
   * the caller then goes through Kysely, which waits for the transaction to end.
   */
  readonly readNow?: (sqlText: string, parameters: readonly unknown[]) => unknown[] | undefined
  /**
   * SQLite only: a token that changes whenever records may have changed — a commit by another
   * connection (`PRAGMA data_version`) or a write statement run on this one. Equal tokens mean no
   * record was written in between, so a read cached under the token is still exact. Writes that
   * only extend the audit log (its rows and the chain head in `vault_meta`) do not change it:
   * every vendor read writes one, and no cached read depends on them.
   */
  readonly changeToken?: () => string
  /**
   * SQLite only: runs `work` as one `BEGIN IMMEDIATE … COMMIT` transaction, synchronously, on the
   * prepared-statement cache — no Kysely transaction, no await between its statements, so no other
   * request ever sees it open. The commit is as durable as any other (`synchronous=FULL`); if
   * `work` or the commit throws, the transaction is rolled back and the error rethrown. Returns
   * undefined without calling `work` while another transaction is open on the connection (the
   * caller then goes through Kysely, which waits for it to end).
   */
  readonly transactionNow?: <T>(
    work: (statements: SyncStatements) => T,
  ) => { readonly result: T } | undefined
  /** Runs `PRAGMA integrity_check` (SQLite) or a trivial query (PostgreSQL); resolves true when sound. */
  integrityCheck(): Promise<boolean>
  /** Physically removes deleted rows (SQLite: truncate the WAL and VACUUM; PostgreSQL: VACUUM), after a destroy. */
  scrub(): Promise<void>
  close(): Promise<void>
}

/** Statements run inside {@link DatabaseHandle.transactionNow}, with positional parameters. */
export interface SyncStatements {
  all(sqlText: string, parameters: readonly unknown[]): unknown[]
  run(sqlText: string, parameters: readonly unknown[]): void
}

const STATEMENT_CACHE_SIZE = 256
/** Statements that change no record a read could cache: transaction control and audit appends. */
const AUDIT_ONLY =
  /^(begin|commit|rollback|savepoint|release|insert into "audit"|update "vault_meta" set "audit_head_seq")/i

/**
 * Kysely's stock SQLite driver prepares every statement again on each query (≈ 54k point
 * selects/s here against ≈ 195k/s for a statement prepared once, PRODUCT.md). This wrapper
 * hands Kysely a cached prepared statement per SQL text, so the same query builder code
 * serves both engines at full speed. better-sqlite3 statements are reusable and, the driver
 * being one connection behind a mutex, never used by two queries at once.
 */
function cachingDatabase(
  raw: BetterSqlite3.Database,
  cache: Map<string, SqliteStatement>,
  onWrite: () => void,
): SqliteDatabase {
  return {
    close: () => raw.close(),
    prepare(sqlText: string): SqliteStatement {
      // A deferred BEGIN that later writes can fail with SQLITE_BUSY when another process
      // (the CLI beside the server) holds the lock; IMMEDIATE waits on busy_timeout instead.
      const text = sqlText === 'begin' ? 'begin immediate' : sqlText
      let stmt = cache.get(text)
      if (stmt) {
        cache.delete(text)
      } else {
        stmt = raw.prepare(text) as unknown as SqliteStatement
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next().value
          if (oldest !== undefined) cache.delete(oldest)
        }
      }
      cache.set(text, stmt)
      // Kysely prepares right before it runs, so this sees every statement this connection writes with.
      if (!stmt.reader && !AUDIT_ONLY.test(text)) onWrite()
      return stmt
    },
  }
}

/**
 * Opens (creating if needed) a SQLite database file for a vault: WAL journal, `synchronous=FULL`
 * so an acknowledged commit survives power loss (SECURITY.md promise 11), `secure_delete` so
 * deleted ciphertexts are overwritten rather than left in free pages. The file, its `-wal` and
 * its `-shm` are readable by their owner only (mode 0600): a new file is created so, and an
 * existing one this user owns is tightened.
 *
 * @example
 * const handle = openSqlite('./data/custos.db')
 * const vault = await createVault({ database: handle })
 */
export function openSqlite(file: string): DatabaseHandle {
  // ':memory:' and '' (a private temporary database) have no file to protect.
  const onDisk = file !== ':memory:' && file !== ''
  if (onDisk) {
    createPrivateFile(file)
    tightenFileMode(file)
  }
  const raw = new BetterSqlite3(file)
  raw.pragma('journal_mode = WAL')
  // WAL mode has opened (or created) the -wal and -shm files: leftovers from a laxer past keep
  // their old mode unless tightened here.
  if (onDisk) for (const suffix of ['-wal', '-shm']) tightenFileMode(`${file}${suffix}`)
  raw.pragma('synchronous = FULL')
  raw.pragma('busy_timeout = 5000')
  raw.pragma('secure_delete = ON')
  raw.pragma('foreign_keys = ON')
  // 32 MiB of page cache (SQLite's default is 2 MiB): at a million purchases the seller index's
  // pages then stay in memory, and a listing's slowest 1% drops from ~11 ms to under 5 ms (BENCHMARKS.md).
  raw.pragma('cache_size = -32768')
  const statementCache = new Map<string, SqliteStatement>()
  let localWrites = 0
  const cached = cachingDatabase(raw, statementCache, () => {
    localWrites++
  })
  const dataVersion = raw.prepare('pragma data_version').pluck()
  const begin = raw.prepare('begin immediate')
  const commit = raw.prepare('commit')
  const rollback = raw.prepare('rollback')
  const syncStatements: SyncStatements = {
    all: (sqlText, parameters) => cached.prepare(sqlText).all(parameters),
    run: (sqlText, parameters) => void cached.prepare(sqlText).run(parameters),
  }
  const db = new Kysely<VaultDatabase>({ dialect: new SqliteDialect({ database: cached }) })
  const handle: DatabaseHandle = {
    db,
    engine: 'sqlite',
    readNow(sqlText, parameters) {
      if (raw.inTransaction) return undefined
      return cached.prepare(sqlText).all(parameters)
    },
    changeToken: () => `${String(dataVersion.get())}:${localWrites}`,
    transactionNow(work) {
      if (raw.inTransaction) return undefined
      begin.run()
      try {
        const result = work(syncStatements)
        commit.run()
        return { result }
      } catch (err) {
        // A failed COMMIT may already have rolled back (SQLite does so on some I/O errors).
        if (raw.inTransaction) rollback.run()
        throw err
      }
    },
    async integrityCheck() {
      const rows = raw.pragma('integrity_check') as { integrity_check: string }[]
      return rows.length === 1 && rows[0]?.integrity_check === 'ok'
    },
    async scrub() {
      raw.pragma('wal_checkpoint(TRUNCATE)')
      raw.exec('VACUUM')
      raw.pragma('wal_checkpoint(TRUNCATE)')
    },
    close: () => db.destroy(),
  }
  return file === ':memory:' ? handle : { ...handle, file }
}

/** Connection settings for PostgreSQL: a connection string or an existing `pg.Pool`. */
export type PostgresOptions = { connectionString: string; max?: number } | { pool: pg.Pool }

/**
 * A pool of our own. When a connection dies (the server restarts, an administrator terminates
 * the backend), node-postgres emits `error` — on the pool for an idle connection, on the client
 * itself for one checked out (mid-query or mid-transaction) — and an `error` event nobody hears
 * kills the process. The query in flight fails with that same error, and the pool drops the dead
 * connection (it is no longer queryable) so the next query opens a new one: the events need no
 * handling beyond being heard, and the server answers 503 during the outage and serves again after
 * it without a restart (issue 5). A caller's own pool is theirs to listen to.
 */
function ownPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max })
  pool.on('error', () => undefined)
  pool.on('connect', (client) => void client.on('error', () => undefined))
  return pool
}

/**
 * Opens a vault database on PostgreSQL through `pg`. Several processes may share one database:
 * every piece of state (throttle counters, audit chain head, keyring) lives in it.
 *
 * @example
 * const vault = await createVault({ database: openPostgres({ connectionString: 'postgres://custos@127.0.0.1/custos' }) })
 */
export function openPostgres(options: PostgresOptions): DatabaseHandle {
  const pool =
    'pool' in options ? options.pool : ownPool(options.connectionString, options.max ?? 10)
  const db = new Kysely<VaultDatabase>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    engine: 'postgres',
    async integrityCheck() {
      const { rows } = await pool.query('select 1 as ok')
      return rows[0]?.ok === 1
    },
    async scrub() {
      for (const table of [
        'audit',
        'purchases',
        'grants',
        'vendors',
        'fields',
        'keyring',
        'vault_meta',
      ])
        await pool.query(`vacuum full ${table}`)
    },
    close: () => db.destroy(),
  }
}
