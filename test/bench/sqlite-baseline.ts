/**
 * The baseline every write figure is compared with: what this disk does for one durable
 * SQLite commit of one small row, with the same engine and settings the vault uses
 * (better-sqlite3, WAL, synchronous=FULL) and nothing of the vault in between.
 */
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'

/** The part of better-sqlite3 this file uses (its types live with @custos/vault, not here). */
interface SqliteStatement {
  run(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
}
interface SqliteDatabase {
  pragma(source: string): unknown
  exec(source: string): unknown
  prepare(source: string): SqliteStatement
  close(): unknown
}
type SqliteConstructor = new (file: string, options?: { readonly?: boolean }) => SqliteDatabase

/**
 * better-sqlite3 is a dependency of @custos/vault, not of this package: resolve it from the
 * vault's own directory so the baseline runs the very same native build.
 */
function loadBetterSqlite(): SqliteConstructor {
  const require = createRequire(import.meta.resolve('@custos/vault'))
  return require('better-sqlite3') as SqliteConstructor
}

export interface BaselineOptions {
  readonly warmupMs: number
  readonly durationMs: number
}

/**
 * Inserts one 100-byte row per transaction, sequentially, for `durationMs` after a warm-up;
 * returns committed rows per second. Each insert is an autocommit transaction, so each is one
 * WAL append plus fsync (synchronous=FULL), the cost a vault write cannot go below.
 */
export function singleRowCommitsPerSecond(file: string, options: BaselineOptions): number {
  const Database = loadBetterSqlite()
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec('create table t (id integer primary key, v blob not null)')
    const insert = db.prepare('insert into t (v) values (?)')
    const payload = randomBytes(100)
    const runFor = (ms: number): number => {
      let n = 0
      const end = performance.now() + ms
      while (performance.now() < end) {
        insert.run(payload)
        n++
      }
      return n
    }
    runFor(options.warmupMs)
    const t0 = performance.now()
    const n = runFor(options.durationMs)
    return n / ((performance.now() - t0) / 1000)
  } finally {
    db.close()
  }
}

/**
 * The listing's floor: the same index walk the vault's seller query does (status, seller
 * index, newest first, one page plus the look-ahead), in raw SQL on the vault's own file,
 * reading the ciphertexts but decrypting nothing. Opened read-only beside the vault (WAL
 * allows it). Returns sorted latencies in ms, one query per run over `runs` distinct indexes.
 */
export function indexWalkLatencies(file: string, runs: number, pageRows: number): number[] {
  const Database = loadBetterSqlite()
  const db = new Database(file, { readonly: true })
  try {
    const indexes = (
      db
        .prepare('select distinct seller_index as i from purchases order by i limit ?')
        .all(runs) as { i: string }[]
    ).map((r) => r.i)
    const page = db.prepare(
      "select id, order_date, provenance, status, vendor_id, body, created_at from purchases where status = 'accepted' and seller_index = ? order by order_date desc, id desc limit ?",
    )
    for (const i of indexes.slice(0, 20)) page.all(i, pageRows)
    const out: number[] = []
    for (const i of indexes) {
      const t0 = performance.now()
      const rows = page.all(i, pageRows)
      out.push(performance.now() - t0)
      if (rows.length === 0) throw new Error('index walk found no rows')
    }
    return out.sort((a, b) => a - b)
  } finally {
    db.close()
  }
}

/** Rows in `table` of a SQLite file, read-only beside an open vault (WAL allows it). */
export function countRows(file: string, table: string): number {
  const Database = loadBetterSqlite()
  const db = new Database(file, { readonly: true })
  try {
    const [row] = db.prepare(`select count(*) as n from ${table}`).all() as { n: number }[]
    return row?.n ?? 0
  } finally {
    db.close()
  }
}
