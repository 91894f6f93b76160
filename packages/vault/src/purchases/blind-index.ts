import type { Sodium } from '../crypto/sodium.js'

/**
 * Keyed blind indexes (CipherSweet-style, SECURITY.md promise 25): BLAKE2b keyed with a
 * per-index subkey over the normalized value, truncated to 16 bits. Truncation makes each
 * index value shared by many possible plaintexts, so even a leaked index with a dictionary
 * cannot confirm a seller; the price is false positives, which every lookup removes by
 * decrypting and re-checking. With 16 bits, a vault with a few hundred sellers sees a
 * collision between two of its sellers now and then — the listing stays correct, just re-checks more.
 */
export const BLIND_INDEX_BITS = 16

/** Case, width and spacing differences do not make a different seller. */
export function normalizeForIndex(value: string): string {
  return value.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ')
}

export function blindIndex(sodium: Sodium, key: Uint8Array, value: string): string {
  const digest = sodium.crypto_generichash(32, normalizeForIndex(value), key)
  return sodium.to_hex(digest.subarray(0, BLIND_INDEX_BITS / 8))
}
