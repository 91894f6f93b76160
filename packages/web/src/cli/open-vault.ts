/**
 * Opens the vault the settings point at — SQLite in DATA/custos.db, or PostgreSQL at the
 * database URL — and turns the vault's typed errors into the command's messages and exit codes.
 * The library is imported only when a command opens the vault, so `--help` and usage errors
 * answer at once (it loads libsodium and the database drivers).
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type {
  Credentials,
  DatabaseHandle,
  Vault,
  VaultError,
  VaultEventListener,
} from '@custos/vault'
import type { Settings } from './config.js'
import { CliError, EXIT, type ExitCode } from './exit-codes.js'

export interface OpenedVault {
  readonly vault: Vault
  readonly database: DatabaseHandle
  /** Where the data lives, for messages: the SQLite file, or `PostgreSQL` (never the URL: it may hold a password). */
  readonly location: string
}

export function sqliteFile(settings: Settings): string {
  return join(settings.data, 'custos.db')
}

/** Whether a vault could exist where the settings point, without creating anything. */
export function storageExists(settings: Settings): boolean {
  return settings.databaseUrl !== undefined || existsSync(sqliteFile(settings))
}

/**
 * @param create make the data folder and database when missing (`serve`, `init`, `restore`, `import`);
 *   otherwise a missing SQLite file is a clear failure instead of a new empty database.
 */
export async function openVault(
  settings: Settings,
  options: { create: boolean; onEvent?: VaultEventListener },
): Promise<OpenedVault> {
  const { createVault, openPostgres, openSqlite } = await import('@custos/vault')
  let database: DatabaseHandle
  let location: string
  if (settings.databaseUrl) {
    database = openPostgres({ connectionString: settings.databaseUrl, max: 10 })
    location = 'PostgreSQL'
  } else {
    const file = sqliteFile(settings)
    if (!existsSync(file)) {
      if (!options.create)
        throw new CliError(
          EXIT.failure,
          `custos: no vault in ${settings.data} (create one with custos init, or custos serve and the set-up page)`,
        )
      mkdirSync(settings.data, { recursive: true, mode: 0o700 })
    }
    database = openSqlite(file)
    location = file
  }
  try {
    const vault = await createVault({
      database,
      kdf: settings.kdf,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    })
    // Before any unlock, whichever command makes it: the first unlock after an upgrade is the one
    // moment the API's older rows can be adopted (consent-api db/api-storage.ts).
    const { prepareApiStorage } = await import('@custos/consent-api')
    await prepareApiStorage({ vault, database })
    return { vault, database, location }
  } catch (err) {
    await database.close().catch(() => undefined)
    if (isVaultError(err)) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(
      EXIT.failure,
      `custos: cannot open the database at ${location}${code ? ` (${code})` : ''}: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
}

/** Unlocks, saying honestly when the next attempt is allowed if throttled. */
export async function unlockVault(vault: Vault, credentials: Credentials): Promise<void> {
  const status = await vault.status()
  if (status.state === 'uninitialized')
    throw new CliError(EXIT.failure, 'custos: the vault is not initialized yet (custos init)')
  await vault.unlock(credentials, { origin: 'cli' })
}

/** Seconds until a time, rounded up, for "try again in N s". */
export function secondsUntil(when: Date, now = new Date()): number {
  return Math.max(1, Math.ceil((when.getTime() - now.getTime()) / 1000))
}

/** A VaultError, recognised by shape: the library's classes are loaded lazily (see above). */
export function isVaultError(err: unknown): err is VaultError {
  if (!(err instanceof Error)) return false
  const { code, issues } = err as Error & { code?: unknown; issues?: unknown }
  return typeof code === 'string' && code.startsWith('ERR_') && Array.isArray(issues)
}

/** The exit code and one-line message for an error a command did not handle itself. */
export function describeError(err: unknown): { exitCode: ExitCode; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message }
  if (isVaultError(err)) {
    const issues =
      err.issues.length > 0
        ? `: ${err.issues.map((i) => `${i.path || '(document)'} ${i.message}`).join('; ')}`
        : ''
    switch (err.code) {
      case 'ERR_UNLOCK_FAILED':
        return { exitCode: EXIT.unlock, message: 'custos: wrong passphrase or recovery key' }
      case 'ERR_UNLOCK_THROTTLED': {
        const retryAt = (err as VaultError & { retryAt?: Date }).retryAt
        const when = retryAt
          ? ` until ${retryAt.toISOString()} (retry after ${secondsUntil(retryAt)} s)`
          : ''
        return {
          exitCode: EXIT.unlock,
          message: `custos: unlocking is throttled after repeated failures${when}`,
        }
      }
      case 'ERR_RECOVERY_KEY_FORMAT':
        return {
          exitCode: EXIT.unlock,
          message: `custos: that is not a valid recovery key (${err.message})`,
        }
      case 'ERR_INTEGRITY':
      case 'ERR_BACKUP_INVALID':
        return {
          exitCode: EXIT.integrity,
          message: `custos: integrity check failed: ${err.message}`,
        }
      case 'ERR_VAULT_UNINITIALIZED':
        return {
          exitCode: EXIT.failure,
          message: 'custos: the vault is not initialized yet (custos init)',
        }
      default:
        return { exitCode: EXIT.failure, message: `custos: ${err.message} (${err.code})${issues}` }
    }
  }
  return {
    exitCode: EXIT.failure,
    message: `custos: unexpected error: ${err instanceof Error ? err.message : String(err)}`,
  }
}
