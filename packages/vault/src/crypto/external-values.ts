import { IntegrityError } from '../errors.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'
import type { Sodium } from './sodium.js'
import { openJson, sealJson } from './envelope.js'

/**
 * Where an application's ciphertext lives: its table, column and record id. The vault adds its
 * own id; all four go into the associated data, so an envelope moved to another row, column,
 * table or vault fails to open (SECURITY.md promise 3). No part may contain NUL.
 */
export interface SealedPlace {
  readonly table: string
  readonly column: string
  readonly recordId: string
}

/**
 * Encryption for the confidential values an application stores beside the vault in the same
 * database — the consent API's client metadata, pending authorization requests and code redirect
 * URIs. The v1 value envelope (crypto/envelope.ts: XChaCha20-Poly1305, padded, bound to its place)
 * holding JSON.
 *
 * @example
 * const place = { table: 'oauth_clients', column: 'sealed', recordId: clientId }
 * const sealed = vault.envelopes.seal(place, { client_name: 'Fjord Outdoor' })
 * const value = vault.envelopes.open(place, sealed) // ERR_INTEGRITY when moved or edited
 */
export interface ValueSealer {
  /** Encrypts a JSON value for `place` (a fresh nonce every time). Sealed: ERR_VAULT_LOCKED. */
  seal(place: SealedPlace, value: unknown): Uint8Array
  /**
   * Decrypts. Any tampering, another place or a missing envelope: ERR_INTEGRITY (a malformed
   * header: ERR_UNSUPPORTED_FORMAT). Sealed: ERR_VAULT_LOCKED.
   */
  open(place: SealedPlace, envelope: Uint8Array | null | undefined): unknown
}

/**
 * The envelope's term label: no data key has term 0. The key is not a data key at all but the
 * root-derived `externalSeal` subkey (see {@link ExternalValues}).
 */
const EXTERNAL_TERM = 0

/**
 * Why a root-derived subkey and not the current data key ("term"): a key rotation
 * (keys/rotation.ts) re-encrypts the vault's own tables and then crypto-erases the retired terms;
 * an application's ciphertexts under one of those terms would become unreadable at the end of a
 * rotation the application takes no part in — or rotation would have to know every application's
 * tables. Like the blind-index, audit, token-hash and row-MAC subkeys (SECURITY.md key hierarchy
 * item 4), this one lives as long as the root key: a passphrase change leaves these envelopes
 * byte-identical (promise 9), `destroy()` crypto-erases them with the root, and no other key —
 * no data key, no other subkey — can open them. The price: a data-key rotation does not re-key
 * them. What is kept under it is either short-lived (pending requests: minutes; codes: a day) or
 * what a vendor published about itself at registration.
 */
export class ExternalValues implements ValueSealer {
  readonly #sodium: Sodium
  readonly #keys: () => UnsealedKeys

  constructor(sodium: Sodium, keys: () => UnsealedKeys) {
    this.#sodium = sodium
    this.#keys = keys
  }

  seal(place: SealedPlace, value: unknown): Uint8Array {
    const keys = this.#keys()
    return sealJson(
      this.#sodium,
      keys.subkey('externalSeal'),
      EXTERNAL_TERM,
      fullPlace(place, keys.vaultId),
      value,
    )
  }

  open(place: SealedPlace, envelope: Uint8Array | null | undefined): unknown {
    const keys = this.#keys()
    const full = fullPlace(place, keys.vaultId)
    if (!(envelope instanceof Uint8Array)) throw new IntegrityError()
    return openJson(this.#sodium, keys.subkey('externalSeal'), full, envelope)
  }
}

function fullPlace(place: SealedPlace, vaultId: string) {
  // Caller misuse, not bad data: a NUL would make the associated data ambiguous.
  for (const part of [place.table, place.column, place.recordId]) {
    if (typeof part !== 'string' || part.length === 0 || part.includes('\0'))
      throw new TypeError('place parts must be non-empty strings without NUL')
  }
  return { table: place.table, column: place.column, recordId: place.recordId, vaultId }
}
