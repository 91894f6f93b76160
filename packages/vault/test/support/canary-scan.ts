/**
 * Test support for SECURITY.md promise 1 (no plaintext at rest): random canaries, every encoding
 * they could hide under, and the scan of every row of every table — the approach of
 * test/promises/storage.test.ts, shared so the consent API's tables are scanned the same way.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import type { VaultDatabase } from '../../src/db/schema.js'
import { engine } from './test-vault.js'

/** A random marker that cannot occur by chance: `cnry` (n, r, y are not hex digits) + label + 20 random hex digits. */
export function canary(label: string): string {
  return `cnry${label}${randomBytes(10).toString('hex')}`
}

/**
 * The byte strings under which a canary could appear: raw UTF-8, hex (both cases), and base64 /
 * base64url at each of the three alignments (only the groups the canary alone determines).
 */
export function encodingsOf(text: string): { name: string; bytes: Buffer }[] {
  const raw = Buffer.from(text, 'utf8')
  const hex = raw.toString('hex')
  const out = [
    { name: 'utf8', bytes: raw },
    { name: 'hex', bytes: Buffer.from(hex) },
    { name: 'HEX', bytes: Buffer.from(hex.toUpperCase()) },
  ]
  for (let skip = 0; skip < 3; skip++) {
    const whole = raw.subarray(skip, skip + Math.floor((raw.length - skip) / 3) * 3)
    out.push({ name: `base64@${skip}`, bytes: Buffer.from(whole.toString('base64')) })
    out.push({ name: `base64url@${skip}`, bytes: Buffer.from(whole.toString('base64url')) })
  }
  return out
}

/** Which canaries (by name of encoding) occur in `haystack`. */
export function hits(haystack: Uint8Array, canaries: readonly string[]): string[] {
  const buf = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength)
  const found: string[] = []
  for (const c of canaries)
    for (const e of encodingsOf(c)) if (buf.indexOf(e.bytes) !== -1) found.push(`${c} (${e.name})`)
  return found
}

function valueBytes(value: unknown): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0)
  if (value instanceof Uint8Array) return Buffer.from(value)
  if (value instanceof Date) return Buffer.from(value.toISOString())
  return Buffer.from(String(value))
}

/** Every value of every row of every table of the database, as bytes (plus PostgreSQL's text form of each row). */
export async function allStoredRows(
  db: Kysely<VaultDatabase>,
): Promise<{ tables: string[]; bytes: Buffer }> {
  const tables =
    engine === 'sqlite'
      ? (
          await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
            db,
          )
        ).rows.map((r) => r.name)
      : (
          await sql<{
            name: string
          }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
            db,
          )
        ).rows.map((r) => r.name)
  const parts: Buffer[] = []
  for (const table of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
      db,
    )
    for (const row of rows)
      for (const value of Object.values(row)) parts.push(valueBytes(value), Buffer.from([0]))
    if (engine === 'postgres') {
      const text = await sql<{
        row: string
      }>`select t::text as row from ${sql.table(table)} as t`.execute(db)
      for (const r of text.rows) parts.push(Buffer.from(r.row), Buffer.from([0]))
    }
  }
  return { tables, bytes: Buffer.concat(parts) }
}

/** The canaries found in the raw bytes of each file of a SQLite data folder (database, -wal, -shm), by file. */
export function fileHits(
  dir: string,
  canaries: readonly string[],
): { files: string[]; found: string[] } {
  const files = readdirSync(dir)
  const found: string[] = []
  for (const name of files)
    found.push(...hits(readFileSync(join(dir, name)), canaries).map((h) => `${name}: ${h}`))
  return { files, found }
}
