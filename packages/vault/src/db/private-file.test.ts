/**
 * Database files are private (security issue: custos.db, -wal and -shm were created 0644, so in
 * an ordinary 0755 folder any local user could copy the vault for an offline passphrase attack).
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqlite } from './open-database.js'

const dirs: string[] = []
const restoreUmask: number[] = []
afterEach(() => {
  for (const mask of restoreUmask.splice(0)) process.umask(mask)
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'custos-mode-'))
  chmodSync(dir, 0o755) // an ordinary folder: only the files' own modes protect them
  dirs.push(dir)
  return dir
}

const modeOf = (file: string) => statSync(file).mode & 0o777

/** Opens, writes (so the WAL holds frames), and reports the three files' modes while open. */
async function modesAfterOpening(file: string): Promise<Record<string, number>> {
  const handle = openSqlite(file)
  try {
    await sql`create table if not exists t (x integer)`.execute(handle.db)
    await sql`insert into t values (1)`.execute(handle.db)
    return { db: modeOf(file), wal: modeOf(`${file}-wal`), shm: modeOf(`${file}-shm`) }
  } finally {
    await handle.close()
  }
}

describe.skipIf(process.platform === 'win32')('openSqlite file modes', () => {
  it('creates a new database, its -wal and its -shm with mode 0600, whatever the umask', async () => {
    for (const mask of [0o022, 0o002, 0o000]) {
      restoreUmask.push(process.umask(mask))
      const file = join(tempFolder(), 'custos.db')
      expect([mask, await modesAfterOpening(file)]).toEqual([
        mask,
        { db: 0o600, wal: 0o600, shm: 0o600 },
      ])
      process.umask(restoreUmask.pop() as number)
    }
  })

  it('tightens an existing 0644 database and leftover 0644 -wal and -shm files, keeping the data', async () => {
    const file = join(tempFolder(), 'custos.db')
    const old = new BetterSqlite3(file)
    old.exec('create table t (x integer); insert into t values (42)')
    old.close()
    chmodSync(file, 0o644)
    for (const suffix of ['-wal', '-shm']) {
      writeFileSync(`${file}${suffix}`, new Uint8Array(0))
      chmodSync(`${file}${suffix}`, 0o644)
    }
    expect(await modesAfterOpening(file)).toEqual({ db: 0o600, wal: 0o600, shm: 0o600 })
    const handle = openSqlite(file)
    try {
      const { rows } = await sql<{ x: number }>`select x from t order by x`.execute(handle.db)
      expect(rows.map((r) => r.x)).toEqual([1, 42])
    } finally {
      await handle.close()
    }
  })

  it('takes only group and other bits away: a read-only file stays read-only', () => {
    const file = join(tempFolder(), 'custos.db')
    new BetterSqlite3(file).close()
    chmodSync(file, 0o444)
    try {
      openSqlite(file)
        .close()
        .catch(() => undefined)
    } catch {
      // Opening a read-only file may fail later; the mode is what this test is about.
    }
    expect(modeOf(file)).toBe(0o400)
    expect(existsSync(file)).toBe(true)
  })
})
