import { describe, expect, it } from 'vitest'
import { keyedHashHex } from './keyed-hash.js'
import { loadSodium } from './sodium.js'

describe('keyedHashHex', () => {
  it('is the keyed BLAKE2b-256 hex the libsodium WASM build computes, for ASCII and non-ASCII secrets and any key', async () => {
    const sodium = await loadSodium()
    for (const secret of ['token-abc', 'Zürich ✓ 鍵', '', 'x'.repeat(600), 'é'.repeat(1000)]) {
      for (const key of [
        sodium.randombytes_buf(32),
        sodium.randombytes_buf(64),
        sodium.randombytes_buf(16),
      ]) {
        expect(keyedHashHex(secret, key)).toBe(sodium.crypto_generichash(32, secret, key, 'hex'))
      }
    }
    expect(keyedHashHex('a', new Uint8Array(32))).not.toBe(keyedHashHex('b', new Uint8Array(32)))
  })
})
