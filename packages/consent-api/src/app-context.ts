import type { DatabaseHandle, Vault } from '@custos/vault'
import type { AppConfig } from './config.js'
import type { ApiDb } from './db/api-schema.js'

/** What every route of the API shares; wired by hand in createApp. */
export interface AppContext {
  readonly vault: Vault
  readonly db: ApiDb
  readonly config: AppConfig
  readonly now: () => Date
  /** The vault's database handle, for hot-path reads compiled once (HotQuery); absent in some test contexts. */
  readonly database?: DatabaseHandle
  /**
   * Hears what the client must not: a stored row that failed its integrity check and was refused
   * (db/stored-rows.ts). createApp's `onUnexpectedError`; absent in some test contexts.
   */
  readonly onUnexpectedError?: (err: unknown) => void
}
