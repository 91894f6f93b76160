import { type CryptoKey, type JWK, calculateJwkThumbprint, importJWK } from 'jose'
import type { Vault } from '@custos/vault'
import { loadSodium } from '../crypto/sodium.js'

/**
 * The vault's Ed25519 signing key: it signs consent receipts and sealed responses, and its public
 * half is published at `/.well-known/jwks.json` so that anyone can verify them.
 *
 * Derivation. The 32-byte Ed25519 seed is `vault.signingSeed()`: the vault's `signingSeed`
 * subkey, derived from the root key by `crypto_kdf_derive_from_key` with its own subkey id
 * (SECURITY.md key hierarchy, item 4). It is never stored, is the same after every restart,
 * data-key rotation and passphrase change (the root key does not change) — so the published key
 * stays stable and old receipts keep verifying — and, being its own KDF output, cannot collide
 * with anything else the vault derives or hashes.
 *
 * The private key exists only for the duration of one signature: it is derived again each time
 * (the vault's hash is what fails closed while sealed), so locking the vault leaves no signing
 * key in this process. Only the public key is remembered — by this store, for the app's life —
 * to serve the JWK Set while sealed.
 */
export const RECEIPT_ALG = 'EdDSA'

/** The public half, as published in the JWK Set (RFC 7517 §4; `kid` = RFC 7638 thumbprint). */
export interface PublicSigningJwk extends JWK {
  readonly kty: 'OKP'
  readonly crv: 'Ed25519'
  readonly x: string
  readonly kid: string
  readonly use: 'sig'
  readonly alg: typeof RECEIPT_ALG
}

export interface SigningKey {
  readonly privateKey: CryptoKey
  readonly publicJwk: PublicSigningJwk
}

/**
 * @example
 * const key = await signingKeys.signingKey() // ERR_VAULT_LOCKED while sealed
 * const jwk = await signingKeys.publicJwk() // also while sealed, once seen
 */
export class SigningKeyStore {
  readonly #vault: Vault
  /** The public key last derived; what the JWK Set serves while sealed. */
  #lastPublicJwk: PublicSigningJwk | undefined

  constructor(vault: Vault) {
    this.#vault = vault
  }

  /** Derives the signing key of this vault (ERR_VAULT_LOCKED while sealed). */
  async signingKey(): Promise<SigningKey> {
    const sodium = await loadSodium()
    return this.#withKeyPair(async (seed, publicJwk) => {
      // RFC 8037 §2: for Ed25519 the JWK's `d` is the 32-byte seed.
      const d = sodium.to_base64(seed, sodium.base64_variants.URLSAFE_NO_PADDING)
      const privateKey = (await importJWK(
        { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x, d },
        RECEIPT_ALG,
      )) as CryptoKey
      return { privateKey, publicJwk }
    })
  }

  /**
   * The public key: derived afresh when the vault is unsealed (a restore may have brought another
   * root key), else the one this store last saw; undefined if it never saw one.
   */
  async publicJwk(): Promise<PublicSigningJwk | undefined> {
    const status = await this.#vault.status()
    if (status.state === 'unsealed') return this.#withKeyPair(async (_seed, publicJwk) => publicJwk)
    return this.#lastPublicJwk
  }

  /**
   * Runs `use` with the derived seed and key pair, then wipes their bytes (the base64 strings made
   * from them cannot be wiped and are dropped at once). ERR_VAULT_LOCKED while sealed.
   */
  async #withKeyPair<T>(
    use: (seed: Uint8Array, publicJwk: PublicSigningJwk) => Promise<T>,
  ): Promise<T> {
    const sodium = await loadSodium()
    const seed = this.#vault.signingSeed()
    const pair = sodium.crypto_sign_seed_keypair(seed)
    try {
      const x = sodium.to_base64(pair.publicKey, sodium.base64_variants.URLSAFE_NO_PADDING)
      const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256')
      const publicJwk: PublicSigningJwk = Object.freeze({
        kty: 'OKP',
        crv: 'Ed25519',
        x,
        kid,
        use: 'sig',
        alg: RECEIPT_ALG,
      })
      this.#lastPublicJwk = publicJwk
      return await use(seed, publicJwk)
    } finally {
      sodium.memzero(seed)
      sodium.memzero(pair.privateKey)
    }
  }
}
