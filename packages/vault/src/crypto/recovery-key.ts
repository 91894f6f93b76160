import { VaultError } from '../errors.js'
import type { Sodium } from './sodium.js'

/**
 * Recovery keys are 32 random bytes shown to the owner once, as Crockford base32 in groups of
 * five with a 2-byte BLAKE2b checksum, so a mistyped key is told apart from a wrong one
 * (ERR_RECOVERY_KEY_FORMAT vs ERR_UNLOCK_FAILED) without revealing anything about the vault.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const PREFIX = 'CUSTOS'

function checksum(sodium: Sodium, key: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(16, key, null).subarray(0, 2)
}

function toBase32(bytes: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

function fromBase32(text: string): Uint8Array | undefined {
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of text) {
    const idx = ALPHABET.indexOf(ch)
    if (idx < 0) return undefined
    value = ((value << 5) | idx) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Uint8Array.from(out)
}

/** Formats 32 key bytes for display: `CUSTOS-XXXXX-XXXXX-…`. */
export function formatRecoveryKey(sodium: Sodium, key: Uint8Array): string {
  const body = toBase32(new Uint8Array([...key, ...checksum(sodium, key)]))
  return [PREFIX, ...(body.match(/.{1,5}/g) ?? [])].join('-')
}

/** Parses what the owner typed: case, spaces, dashes and the O/I/L look-alikes are forgiven. */
export function parseRecoveryKey(sodium: Sodium, text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('recoveryKey must be a string')
  const cleaned = text.toUpperCase().replace(/[\s-]/g, '')
  const unprefixed = cleaned.startsWith(PREFIX) ? cleaned.slice(PREFIX.length) : cleaned
  const body = unprefixed.replace(/O/g, '0').replace(/[IL]/g, '1')
  const bytes = fromBase32(body)
  // Only the canonical encoding is accepted: the last character's unused low bits must be zero,
  // so every single-character typo changes the decoded bytes and trips the checksum.
  if (bytes?.length !== 34 || toBase32(bytes) !== body)
    throw new VaultError('ERR_RECOVERY_KEY_FORMAT', 'That is not a Custos recovery key')
  const key = bytes.slice(0, 32)
  const sum = checksum(sodium, key)
  if (sum[0] !== bytes[32] || sum[1] !== bytes[33]) {
    throw new VaultError(
      'ERR_RECOVERY_KEY_FORMAT',
      'The recovery key has a typo (checksum mismatch)',
    )
  }
  return key
}
