import { keyedHashHex } from '../crypto/keyed-hash.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'

/**
 * The id a vendor knows an intent by: a keyed BLAKE2b of the intent's id and the vendor's id under
 * the root-derived `intentPseudonym` subkey, truncated to 128 bits. Each vendor gets a different,
 * stable id for the same intent, and without the vault's key neither can compute the other's or
 * the real one — so two vendors comparing notes cannot tell from the ids that they answer the
 * same person (issue 13: "a per-vendor pseudonymous intent").
 */
export function intentPseudonym(keys: UnsealedKeys, intentId: string, vendorId: string): string {
  const hex = keyedHashHex(`${intentId}\n${vendorId}`, keys.subkey('intentPseudonym'))
  return `rfp_${hex.slice(0, 32)}`
}
