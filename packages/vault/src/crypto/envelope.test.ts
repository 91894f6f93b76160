/**
 * Known-answer tests for the v1 envelope and the Argon2id KEK (STYLE.md: "known-answer vectors
 * for crypto"). The vectors in fixtures/envelope-v1.json were generated once with fixed keys and
 * cross-checked against independent implementations (see the file's description). If one of
 * these fails, values written by earlier versions no longer open: fix the code, not the fixture.
 */
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { passphraseBytes } from './bytes.js'
import { type Place, envelopeTerm, open, openJson, seal } from './envelope.js'
import { KdfParams, deriveKek, KDF_PRESETS } from './kdf.js'
import { type Sodium, loadSodium } from './sodium.js'

const Hex = z.string().regex(/^(?:[0-9a-f]{2})*$/)
const Fixture = z.object({
  description: z.string(),
  envelopes: z
    .array(
      z.object({
        name: z.string(),
        key: Hex,
        term: z.number().int().min(0),
        place: z.object({
          table: z.string(),
          column: z.string(),
          recordId: z.string(),
          vaultId: z.string(),
        }),
        plaintextHex: Hex,
        json: z.unknown().optional(),
        envelope: Hex,
      }),
    )
    .min(1),
  kdf: z
    .array(
      z.object({
        name: z.string(),
        passphrase: z.string(),
        nfkcHex: Hex,
        params: KdfParams,
        kek: Hex,
      }),
    )
    .min(1),
})

const fixture = Fixture.parse(
  JSON.parse(readFileSync(new URL('./fixtures/envelope-v1.json', import.meta.url), 'utf8')),
)
const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

let sodium: Sodium
beforeAll(async () => {
  sodium = await loadSodium()
})

function errorCode(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return err instanceof Error && 'code' in err
      ? String(err.code)
      : `not a VaultError: ${String(err)}`
  }
  return 'no error'
}

async function asyncErrorCode(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn()
  } catch (err) {
    return err instanceof Error && 'code' in err
      ? String(err.code)
      : `not a VaultError: ${String(err)}`
  }
  return 'no error'
}

/** Every way of changing one part of a place: another value, a prefix, an extension, empty. */
function variantsOf(place: Place): Place[] {
  const out: Place[] = []
  for (const part of ['table', 'column', 'recordId', 'vaultId'] as const) {
    const v = place[part]
    for (const changed of [
      `${v}x`,
      v.slice(0, -1),
      '',
      `${v.slice(0, -1)}${v.endsWith('a') ? 'b' : 'a'}`,
      v.toUpperCase() === v ? v.toLowerCase() : v.toUpperCase(),
    ]) {
      if (changed !== v) out.push({ ...place, [part]: changed })
    }
  }
  // The NUL separator keeps the encoding injective: shifting text between two parts is another place.
  out.push({ ...place, table: `${place.table}\0${place.column}`, column: '' })
  return out
}

describe('v1 envelope known-answer vectors', () => {
  it.each(fixture.envelopes.map((e) => [e.name, e] as const))(
    'promise 5: the committed v1 envelope "%s" still opens to its plaintext',
    (_name, e) => {
      const envelope = fromHex(e.envelope)
      expect(envelope[0]).toBe(1)
      expect(envelopeTerm(envelope)).toBe(e.term)
      expect(toHex(open(sodium, fromHex(e.key), e.place, envelope))).toBe(e.plaintextHex)
      if (e.json !== undefined)
        expect(openJson(sodium, fromHex(e.key), e.place, envelope)).toEqual(e.json)
    },
  )

  it.each(fixture.envelopes.map((e) => [e.name, e] as const))(
    'promise 3: the committed envelope "%s" fails with ERR_INTEGRITY under any other place',
    (_name, e) => {
      const envelope = fromHex(e.envelope)
      const variants = variantsOf(e.place)
      expect(variants.length).toBeGreaterThan(12)
      for (const place of variants)
        expect(errorCode(() => open(sodium, fromHex(e.key), place, envelope))).toBe('ERR_INTEGRITY')
      // … and under the place of every other vector.
      for (const other of fixture.envelopes) {
        if (other === e) continue
        expect(errorCode(() => open(sodium, fromHex(e.key), other.place, envelope))).toBe(
          'ERR_INTEGRITY',
        )
      }
    },
  )

  it('promise 2: flipping any single bit of a committed envelope fails (header → ERR_UNSUPPORTED_FORMAT or ERR_INTEGRITY, body → ERR_INTEGRITY)', () => {
    const e = fixture.envelopes[0]
    if (!e) throw new Error('fixture has no envelopes')
    const original = fromHex(e.envelope)
    for (let pos = 0; pos < original.length; pos++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = original.slice()
        tampered[pos] = (tampered[pos] as number) ^ (1 << bit)
        const code = errorCode(() => open(sodium, fromHex(e.key), e.place, tampered))
        // Byte 0 is the version (any change is an unknown version); bytes 1–4 the term, which the
        // associated data authenticates, so relabelling fails the tag; the rest is nonce, ciphertext and tag.
        expect([pos, bit, code]).toEqual([
          pos,
          bit,
          pos === 0 ? 'ERR_UNSUPPORTED_FORMAT' : 'ERR_INTEGRITY',
        ])
      }
    }
  })

  it('promise 3: a committed envelope opened with another key fails with ERR_INTEGRITY', () => {
    for (const e of fixture.envelopes) {
      const key = fromHex(e.key)
      key[31] = (key[31] as number) ^ 1
      expect(errorCode(() => open(sodium, key, e.place, fromHex(e.envelope)))).toBe('ERR_INTEGRITY')
    }
  })

  it('promise 4: sealing a vector plaintext again gives a different envelope that opens to the same plaintext', () => {
    for (const e of fixture.envelopes) {
      const again = seal(sodium, fromHex(e.key), e.term, e.place, fromHex(e.plaintextHex))
      expect(toHex(again)).not.toBe(e.envelope)
      expect(again.length).toBe(e.envelope.length / 2)
      expect(toHex(again.subarray(0, 5))).toBe(e.envelope.slice(0, 10))
      expect(toHex(open(sodium, fromHex(e.key), e.place, again))).toBe(e.plaintextHex)
    }
  })
})

describe('Argon2id KEK known-answer vectors', () => {
  it.each(fixture.kdf.map((v) => [v.name, v] as const))(
    'key hierarchy 1: deriveKek at the INTERACTIVE preset still gives the committed KEK for "%s"',
    async (_name, v) => {
      expect(v.params).toMatchObject({ alg: 'argon2id13', ...KDF_PRESETS.interactive })
      const bytes = passphraseBytes(v.passphrase)
      expect(toHex(bytes)).toBe(v.nfkcHex)
      const kek = await deriveKek(sodium, bytes, v.params)
      expect(toHex(kek)).toBe(v.kek)
      // deriveKek works on a copy: the caller's passphrase bytes are left for the caller to wipe.
      expect(toHex(bytes)).toBe(v.nfkcHex)
    },
  )

  it('key hierarchy 1: the NFKC vector really differs from its normalized form, and the normalized form derives the same KEK', async () => {
    const v = fixture.kdf.find((k) => k.passphrase !== k.passphrase.normalize('NFKC'))
    if (!v) throw new Error('fixture lacks a passphrase that NFKC changes')
    const kek = await deriveKek(sodium, passphraseBytes(v.passphrase.normalize('NFC')), v.params)
    expect(toHex(kek)).toBe(v.kek)
  })

  it('key hierarchy 1: another salt gives another KEK', async () => {
    const v = fixture.kdf[0]
    if (!v) throw new Error('fixture has no KDF vectors')
    const salt = `${v.params.salt.slice(0, -1)}${v.params.salt.endsWith('A') ? 'B' : 'A'}`
    const kek = await deriveKek(sodium, passphraseBytes(v.passphrase), { ...v.params, salt })
    expect(kek).toHaveLength(32)
    expect(toHex(kek)).not.toBe(v.kek)
  })

  it('promise 5: KDF parameters below the INTERACTIVE floor are refused with ERR_UNSUPPORTED_FORMAT before any derivation', async () => {
    const v = fixture.kdf[0]
    if (!v) throw new Error('fixture has no KDF vectors')
    const pass = passphraseBytes(v.passphrase)
    for (const params of [
      { ...v.params, opslimit: 1 },
      { ...v.params, memlimit: 8 * 1024 * 1024 },
      { ...v.params, salt: 'short' },
      { ...v.params, alg: 'argon2i13' },
    ]) {
      expect(await asyncErrorCode(async () => deriveKek(sodium, pass, params as KdfParams))).toBe(
        'ERR_UNSUPPORTED_FORMAT',
      )
    }
  })
})
