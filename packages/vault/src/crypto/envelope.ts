import { aead } from './aead.js'
import type { Sodium } from './sodium.js'
import { IntegrityError, VaultError } from '../errors.js'

/**
 * The v1 value envelope (SECURITY.md, key hierarchy item 5):
 *
 *   version (1 byte = 0x01) ‖ term (uint32 BE) ‖ nonce (24 bytes) ‖ XChaCha20-Poly1305(padded plaintext)
 *
 * The associated data binds the ciphertext to its place — table, column, record id, vault id —
 * and to the header bytes (version and term), so a ciphertext moved to another row, field or
 * vault, or relabelled with another term, fails to decrypt (promise 3). Plaintext is padded
 * (ISO/IEC 7816-4, libsodium `sodium_pad`) to a multiple of PAD_BLOCK so lengths leak less.
 */
export const ENVELOPE_VERSION = 1
export const HEADER_BYTES = 1 + 4
const NONCE_BYTES = 24
const TAG_BYTES = 16
const PAD_BLOCK = 32
const KEY_BYTES = 32

/** Where a ciphertext lives; every part goes into the associated data. */
export interface Place {
  readonly table: string
  readonly column: string
  readonly recordId: string
  readonly vaultId: string
}

const encoder = new TextEncoder()

function associatedData(place: Place, header: Uint8Array): Uint8Array {
  // NUL separators: none of the parts may contain NUL, so the encoding is injective.
  const prefix = encoder.encode(
    `custos/envelope/v1\0${place.table}\0${place.column}\0${place.recordId}\0${place.vaultId}\0`,
  )
  const ad = new Uint8Array(prefix.length + header.length)
  ad.set(prefix, 0)
  ad.set(header, prefix.length)
  return ad
}

function header(term: number): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES)
  h[0] = ENVELOPE_VERSION
  new DataView(h.buffer).setUint32(1, term, false)
  return h
}

/** Reads the term of an envelope after checking its version and length (promise 5: strict formats). */
export function envelopeTerm(envelope: Uint8Array): number {
  if (envelope.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES + PAD_BLOCK) {
    throw new VaultError('ERR_UNSUPPORTED_FORMAT', 'Ciphertext too short')
  }
  if (envelope[0] !== ENVELOPE_VERSION) {
    throw new VaultError('ERR_UNSUPPORTED_FORMAT', 'Unknown ciphertext version')
  }
  return new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength).getUint32(1, false)
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES)
    throw new TypeError('key must be a 32-byte Uint8Array')
}

/** Encrypts `plaintext` for `place` under `key`, labelled with `term`. A fresh random nonce every time (promise 4). */
export function seal(
  _sodium: Sodium,
  key: Uint8Array,
  term: number,
  place: Place,
  plaintext: Uint8Array,
): Uint8Array {
  checkKey(key)
  const h = header(term)
  const nonce = aead.random(NONCE_BYTES)
  const padded = pad(plaintext)
  const ct = aead.encrypt(padded, associatedData(place, h), nonce, key)
  padded.fill(0)
  const out = new Uint8Array(HEADER_BYTES + NONCE_BYTES + ct.length)
  out.set(h, 0)
  out.set(nonce, HEADER_BYTES)
  out.set(ct, HEADER_BYTES + NONCE_BYTES)
  return out
}

/**
 * Decrypts an envelope. Any tampering, wrong place, wrong key or wrong term gives the same
 * opaque {@link IntegrityError}; an unknown version byte is refused before decrypting.
 */
export function open(
  _sodium: Sodium,
  key: Uint8Array,
  place: Place,
  envelope: Uint8Array,
): Uint8Array {
  checkKey(key)
  envelopeTerm(envelope)
  const h = envelope.subarray(0, HEADER_BYTES)
  const nonce = envelope.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES)
  const ct = envelope.subarray(HEADER_BYTES + NONCE_BYTES)
  const padded = aead.decrypt(ct, associatedData(place, h), nonce, key)
  if (!padded) throw new IntegrityError()
  return unpad(padded)
}

/** ISO/IEC 7816-4 padding to a multiple of PAD_BLOCK: 0x80 then zeros (what `sodium_pad` writes). */
function pad(plaintext: Uint8Array): Uint8Array {
  const padded = new Uint8Array((Math.floor(plaintext.length / PAD_BLOCK) + 1) * PAD_BLOCK)
  padded.set(plaintext, 0)
  padded[plaintext.length] = 0x80
  return padded
}

/**
 * ISO/IEC 7816-4 unpadding, in JavaScript: it runs only on plaintext the AEAD has already
 * authenticated, so there is no padding oracle to guard against.
 */
function unpad(padded: Uint8Array): Uint8Array {
  let i = padded.length - 1
  const floor = Math.max(0, padded.length - PAD_BLOCK)
  while (i >= floor && padded[i] === 0) i--
  if (i < floor || padded[i] !== 0x80) throw new IntegrityError()
  return padded.subarray(0, i)
}

/** Envelope of a JSON value. */
export function sealJson(
  sodium: Sodium,
  key: Uint8Array,
  term: number,
  place: Place,
  value: unknown,
): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(value))
  const out = seal(sodium, key, term, place, bytes)
  bytes.fill(0)
  return out
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Opens an envelope holding JSON. A plaintext that is not JSON counts as an integrity failure. */
export function openJson(
  sodium: Sodium,
  key: Uint8Array,
  place: Place,
  envelope: Uint8Array,
): unknown {
  const bytes = open(sodium, key, place, envelope)
  try {
    return JSON.parse(decoder.decode(bytes))
  } catch {
    throw new IntegrityError()
  } finally {
    bytes.fill(0)
  }
}
