import type { Sodium } from './sodium.js'

/** Constant-time equality that answers false (instead of throwing) when lengths differ. */
export function equalBytes(sodium: Sodium, a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium.memcmp(a, b)
}

/** Drivers hand back Buffers (a Uint8Array subclass); copy into a plain Uint8Array we own. */
export function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))
}

const encoder = new TextEncoder()

/** Passphrases are compared as NFKC-normalized UTF-8, so the same text typed on two keyboards unlocks. */
export function passphraseBytes(passphrase: string | Uint8Array): Uint8Array {
  // new Uint8Array(x) always copies; Buffer#slice would return a view of the caller's (possibly pooled) memory.
  if (passphrase instanceof Uint8Array) return new Uint8Array(passphrase)
  if (typeof passphrase !== 'string')
    throw new TypeError('passphrase must be a string or Uint8Array')
  return encoder.encode(passphrase.normalize('NFKC'))
}
