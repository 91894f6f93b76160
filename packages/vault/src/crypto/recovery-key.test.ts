import { describe, expect, it } from 'vitest'
import { formatRecoveryKey, parseRecoveryKey } from './recovery-key.js'
import { loadSodium } from './sodium.js'

describe('recovery key text', () => {
  it('round-trips 32 bytes and forgives case, spacing and look-alike letters', async () => {
    const sodium = await loadSodium()
    const key = sodium.randombytes_buf(32)
    const text = formatRecoveryKey(sodium, key)
    expect(text).toMatch(/^CUSTOS(-[0-9A-Z]{1,5})+$/)
    expect(parseRecoveryKey(sodium, text)).toEqual(key)
    const sloppy = ` ${text.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `
    expect(parseRecoveryKey(sodium, sloppy)).toEqual(key)
  })

  it('tells a typo (checksum) from a wrong key: any single changed character is ERR_RECOVERY_KEY_FORMAT', async () => {
    const sodium = await loadSodium()
    const text = formatRecoveryKey(sodium, sodium.randombytes_buf(32))
    const body = text.slice('CUSTOS-'.length)
    for (let i = 0; i < body.length; i++) {
      if (body[i] === '-') continue
      const swapped = body[i] === 'A' ? 'B' : 'A'
      const typo = `CUSTOS-${body.slice(0, i)}${swapped}${body.slice(i + 1)}`
      expect(() => parseRecoveryKey(sodium, typo)).toThrow(
        expect.objectContaining({ code: 'ERR_RECOVERY_KEY_FORMAT' }),
      )
    }
    expect(() => parseRecoveryKey(sodium, 'CUSTOS-ABC')).toThrow(
      expect.objectContaining({ code: 'ERR_RECOVERY_KEY_FORMAT' }),
    )
    expect(() => parseRecoveryKey(sodium, 'not a key at all!')).toThrow(
      expect.objectContaining({ code: 'ERR_RECOVERY_KEY_FORMAT' }),
    )
  })
})
