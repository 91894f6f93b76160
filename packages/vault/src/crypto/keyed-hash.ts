import sodiumNative from 'sodium-native'

/** Scratch space for short secrets (tokens are 43 characters), wiped after each use. */
const scratch = Buffer.alloc(2048)
const out = Buffer.alloc(32)

/**
 * Keyed BLAKE2b-256 of a string's UTF-8 bytes, as lowercase hex — `vault.hashSecret`, which the
 * consent API runs on every vendor request to look its token up. Through `sodium-native` (see
 * aead.ts): the same libsodium function the WASM build calls, so stored hashes keep matching
 * (keyed-hash.test.ts checks it), without copying the arguments in and out of the WASM heap.
 * Synchronous from start to end, so the shared buffers are never used by two calls at once.
 */
export function keyedHashHex(secret: string, key: Uint8Array): string {
  const keyView = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  if (secret.length * 3 > scratch.length) {
    sodiumNative.crypto_generichash(out, Buffer.from(secret, 'utf8'), keyView)
  } else {
    const length = scratch.write(secret, 0, 'utf8')
    sodiumNative.crypto_generichash(out, scratch.subarray(0, length), keyView)
    scratch.fill(0, 0, length)
  }
  return out.toString('hex')
}
