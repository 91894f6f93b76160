import sodiumModule from 'libsodium-wrappers-sumo'
import { VaultError } from '../errors.js'

export type Sodium = typeof sodiumModule

let loaded: Promise<Sodium> | undefined

/**
 * Loads libsodium (the *sumo* build) once and checks that Argon2 is really there: the plain
 * `libsodium-wrappers` build declares `crypto_pwhash` in its types but has none at run time
 * (SECURITY.md, "facts about the crypto library"), so a wrong install must fail loudly at start.
 */
export function loadSodium(): Promise<Sodium> {
  loaded ??= sodiumModule.ready.then(() => {
    const s = sodiumModule
    if (
      typeof s.crypto_pwhash !== 'function' ||
      typeof s.crypto_pwhash_OPSLIMIT_INTERACTIVE !== 'number' ||
      typeof s.crypto_pwhash_MEMLIMIT_INTERACTIVE !== 'number' ||
      typeof s.crypto_secretstream_xchacha20poly1305_pull !== 'function'
    ) {
      throw new VaultError(
        'ERR_CRYPTO_UNAVAILABLE',
        'libsodium-wrappers-sumo with crypto_pwhash is required',
      )
    }
    return s
  })
  return loaded
}
