/**
 * `@custos/vault/peek`: what a SQLite vault file says of itself, read without opening the vault —
 * no keys, no migrations, no query builder, no libsodium — for a command that only reports
 * (`custos status` answers in a fraction of the time a full open takes: README "The `custos`
 * command", BENCHMARKS.md). The file is opened read-only and never written.
 *
 * What it reads is the plaintext a sealed vault shows anyone with the file (SECURITY.md, "What is
 * stored in plaintext"): the same fields `vault.status()` reports while sealed, plus the KDF cost.
 * Nothing here decides access, so nothing here needs the barrier's MACs.
 */
import BetterSqlite3 from 'better-sqlite3'
import type { KdfParams } from './crypto/kdf.js'
import { blockedUntil } from './keys/throttle.js'
import type { VaultStatus } from './vault.js'

/**
 * The stored vault's state as the file shows it: what `vault.status()` says while sealed, with
 * the KDF cost a passphrase now costs.
 */
export type VaultPeek =
  | Extract<VaultStatus, { state: 'uninitialized' }>
  | (Extract<VaultStatus, { state: 'sealed' }> & {
      readonly kdf: { readonly opslimit: number; readonly memlimit: number }
    })

interface MetaRow {
  vault_id: string
  created_at: string
  kdf_params: string
  failed_unlocks: number
  unlock_blocked_until: string | null
}

/**
 * Reads the vault metadata of the SQLite file at `file` (which must exist). A database without
 * the vault's tables, or without its one metadata row, holds no vault yet: `uninitialized`.
 * `sealed` says what the file holds, not whether some server process has unsealed it.
 *
 * @example
 * const peek = peekSqliteVault('./data/custos.db')
 * if (peek.state === 'sealed') console.log(peek.vaultId, peek.kdf.opslimit)
 */
export function peekSqliteVault(file: string, now: Date = new Date()): VaultPeek {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true })
  try {
    const table = db
      .prepare("select 1 from sqlite_master where type = 'table' and name = 'vault_meta'")
      .get()
    if (!table) return { state: 'uninitialized' }
    const meta = db
      .prepare(
        'select vault_id, created_at, kdf_params, failed_unlocks, unlock_blocked_until from vault_meta where id = 1',
      )
      .get() as MetaRow | undefined
    if (!meta) return { state: 'uninitialized' }
    const kdf = JSON.parse(meta.kdf_params) as KdfParams
    return {
      state: 'sealed',
      vaultId: meta.vault_id,
      createdAt: meta.created_at,
      failedUnlocks: meta.failed_unlocks,
      ...blockedUntil(meta.unlock_blocked_until, now),
      kdf: { opslimit: kdf.opslimit, memlimit: kdf.memlimit },
    }
  } finally {
    db.close()
  }
}
