import sodiumModule from 'libsodium-wrappers-sumo'

export type Sodium = typeof sodiumModule

let loaded: Promise<Sodium> | undefined

/**
 * libsodium for the API's own public-key work: the receipt key pair (`crypto_sign_seed_keypair`)
 * and sealed delivery to a vendor's X25519 key (`crypto_box_seal`). The same pinned sumo build as
 * the vault's, loaded once.
 */
export function loadSodium(): Promise<Sodium> {
  loaded ??= sodiumModule.ready.then(() => {
    if (
      typeof sodiumModule.crypto_box_seal !== 'function' ||
      typeof sodiumModule.crypto_sign_seed_keypair !== 'function'
    ) {
      throw new Error(
        'libsodium-wrappers-sumo with crypto_box_seal and crypto_sign_seed_keypair is required',
      )
    }
    return sodiumModule
  })
  return loaded
}
