import type { DatabaseHandle, Vault } from '@custos/vault'
import type { AppConfig } from './config.js'
import type { ApiDb } from './db/api-schema.js'
import { SignalDelivery, type SignalDeliveryOptions } from './signals/signal-delivery.js'
import { type Stores, createStores } from './store/stores.js'

/** What the stores are built from (store/stores.ts): the vault, the API's tables, the settings and the clock. */
export interface StoreContext {
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

/**
 * What every route of the API shares; wired by hand in createApp. The stores are built once per
 * app, so what they remember (the token lookup cache, the replay table's sweep clock, remote key
 * sets, the signing key's public half) lives and dies with the app, never in a module.
 */
export interface AppContext extends StoreContext {
  readonly stores: Stores
  /** Pushes the vault's signals to vendors (signals/signal-delivery.ts). */
  readonly signals: SignalDelivery
}

/**
 * The context createApp builds (its stores once, its signal delivery), for createApp and for
 * tests that use the stores directly.
 */
export function createAppContext(
  base: StoreContext,
  signals: SignalDeliveryOptions = {},
): AppContext {
  const stores = createStores(base)
  return { ...base, stores, signals: new SignalDelivery({ ...base, stores }, signals) }
}
