import type { Sodium } from '../crypto/sodium.js'
import { type Place, open, seal } from '../crypto/envelope.js'
import { UnknownTermError, VaultError, VaultLockedError } from '../errors.js'

/**
 * Per-purpose subkeys, derived from the root key with `crypto_kdf_derive_from_key`
 * (SECURITY.md, key hierarchy item 4). They do not change when data keys rotate, so blind
 * indexes and the audit MAC stay valid; the ids are frozen forever.
 */
const KDF_CONTEXT = 'CUSTOSv1'
export const SUBKEY_IDS = {
  sellerIndex: 1,
  categoryIndex: 2,
  auditMac: 3,
  backup: 4,
  tokenHash: 5,
  signingSeed: 6,
  rowMac: 7,
  /** Envelopes of the application's own confidential columns (crypto/external-values.ts). */
  externalSeal: 8,
  /** Per-vendor pseudonyms of the owner's intents (intents/intent-pseudonym.ts). */
  intentPseudonym: 9,
} as const
export type SubkeyName = keyof typeof SUBKEY_IDS

/** Where a data key ("term") is stored wrapped by the root key. */
export function termPlace(vaultId: string, term: number): Place {
  return { table: 'keyring', column: 'wrapped_key', recordId: String(term), vaultId }
}

/** Root-key wraps use term 0, a label no data key ever has. */
export const ROOT_WRAP_TERM = 0

export function wrapTermKey(
  sodium: Sodium,
  root: Uint8Array,
  vaultId: string,
  term: number,
  key: Uint8Array,
): Uint8Array {
  return seal(sodium, root, ROOT_WRAP_TERM, termPlace(vaultId, term), key)
}

/**
 * The key material of an unsealed vault, held only in memory and wiped by {@link wipe}.
 * Secrets stay in `Uint8Array`s (never strings) so wiping reaches them.
 */
export class UnsealedKeys {
  readonly vaultId: string
  readonly #sodium: Sodium
  readonly #root: Uint8Array
  readonly #terms = new Map<number, Uint8Array>()
  readonly #subkeys = new Map<SubkeyName, Uint8Array>()
  #currentTerm: number
  #wiped = false

  constructor(sodium: Sodium, vaultId: string, root: Uint8Array, currentTerm: number) {
    this.#sodium = sodium
    this.vaultId = vaultId
    this.#root = root
    this.#currentTerm = currentTerm
  }

  get currentTerm(): number {
    return this.#currentTerm
  }

  /** Whether {@link wipe} ran: what was decrypted under wiped keys must not be kept (grants/grant-read-cache.ts). */
  get wiped(): boolean {
    return this.#wiped
  }

  /**
   * Refuses use after {@link wipe}: whoever still holds this object after a lock (a backup stream
   * or rotation started before it) must fail with ERR_VAULT_LOCKED, not derive subkeys from the
   * zeroed root (SECURITY.md promise 6).
   */
  #live(): void {
    if (this.#wiped) throw new VaultLockedError()
  }

  /** The root key itself; only key management (rewrap, new terms) may use it. */
  get root(): Uint8Array {
    this.#live()
    return this.#root
  }

  /** Adds a data key after unwrapping it with the root key. */
  addWrappedTerm(term: number, wrapped: Uint8Array): void {
    this.#live()
    const key = open(this.#sodium, this.#root, termPlace(this.vaultId, term), wrapped)
    if (key.length !== 32)
      throw new VaultError('ERR_INTEGRITY', 'Stored data failed its integrity check')
    this.#terms.set(term, key)
  }

  setCurrentTerm(term: number, key?: Uint8Array): void {
    this.#live()
    if (key) this.#terms.set(term, key)
    if (!this.#terms.has(term)) throw new UnknownTermError()
    this.#currentTerm = term
  }

  /** The data key of `term`; unknown or retired terms are refused before any decrypt (promise 5). */
  termKey(term: number): Uint8Array {
    this.#live()
    const key = this.#terms.get(term)
    if (!key) throw new UnknownTermError()
    return key
  }

  hasTerm(term: number): boolean {
    return this.#terms.has(term)
  }

  dropTerm(term: number): void {
    const key = this.#terms.get(term)
    if (key) this.#sodium.memzero(key)
    this.#terms.delete(term)
  }

  subkey(name: SubkeyName): Uint8Array {
    this.#live()
    let key = this.#subkeys.get(name)
    if (!key) {
      key = this.#sodium.crypto_kdf_derive_from_key(32, SUBKEY_IDS[name], KDF_CONTEXT, this.#root)
      this.#subkeys.set(name, key)
    }
    return key
  }

  /** Overwrites every key in memory (libsodium `memzero`); the object is useless afterwards. */
  wipe(): void {
    this.#wiped = true
    for (const key of this.#terms.values()) this.#sodium.memzero(key)
    for (const key of this.#subkeys.values()) this.#sodium.memzero(key)
    this.#sodium.memzero(this.#root)
    this.#terms.clear()
    this.#subkeys.clear()
  }
}
