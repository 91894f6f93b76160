import type { DatabaseHandle, Vault } from '@custos/vault'
import { apiRowAdopter } from './adopt-api-rows.js'
import { migrateApi } from './api-migrations.js'

/**
 * Makes the vault's database ready for the API, by whoever opens the vault — createApp, and the
 * `custos` command, which may unlock the vault before any server runs (`--unseal-key-file`,
 * `rotate-keys`, `backup`…): the API's migrations, then the adopter of the API's rows stored
 * before row authentication (db/adopt-api-rows.ts), registered with the vault before its first
 * unlock. The vault runs adopters at one unlock only, so an unlock without this one registered
 * would leave those rows refused for good. Calling it twice on one vault is harmless: the second
 * adopter finds nothing left to adopt.
 *
 * @example
 * const vault = await createVault({ database })
 * await prepareApiStorage({ vault, database })
 * await vault.unlock(passphrase)
 */
export async function prepareApiStorage(deps: {
  readonly vault: Vault
  readonly database: DatabaseHandle
  readonly now?: () => Date
}): Promise<void> {
  await migrateApi(deps.database)
  deps.vault.rows.onUpgrade(apiRowAdopter(deps.vault.envelopes, deps.now ?? (() => new Date())))
}
