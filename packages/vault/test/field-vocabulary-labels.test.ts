/**
 * Issue 10 ("Validation matches the labels"): the profile's labels ask for a two-letter country
 * code and an international number; the vocabulary now checks exactly that — an assigned ISO
 * 3166-1 alpha-2 code and an E.164 number — in words that never repeat what was typed. Custom
 * fields may carry the owner's own label beside the value.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { VaultError, schemaFor } from '../src/index.js'
import { COUNTRY_CODES } from '../src/fields/country-codes.js'
import { type TestVault, createTestVault } from './support/test-vault.js'

const vaults: TestVault[] = []
afterEach(async () => {
  await Promise.all(vaults.splice(0).map((v) => v.dispose()))
})

const parse = (path: string, value: unknown) => schemaFor(path)?.safeParse(value)
const address = (addressCountry: string) => ({
  streetAddress: 'Main St 1',
  addressLocality: 'Berlin',
  addressCountry,
})

describe('field vocabulary: what the labels say (issue 10)', () => {
  it('knows the 249 assigned ISO 3166-1 alpha-2 codes, each a region the platform can name', () => {
    expect(COUNTRY_CODES.size).toBe(249)
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' })
    for (const code of COUNTRY_CODES) expect(names.of(code), code).not.toBe(code)
  })

  it('accepts an assigned country code (in either case) and refuses a name or an unassigned code', () => {
    expect(parse('nationality', 'FR')).toMatchObject({ success: true, data: 'FR' })
    expect(parse('nationality', ' de ')).toMatchObject({ success: true, data: 'DE' })
    expect(parse('address.home', address('no'))).toMatchObject({
      success: true,
      data: address('NO'),
    })
    for (const bad of ['Germany', 'UK', 'XX', 'ZZ', 'EU', 'D', '']) {
      expect(parse('nationality', bad)?.success, bad).toBe(false)
      expect(parse('address.home', address(bad))?.success, bad).toBe(false)
    }
  })

  it('accepts an international (E.164) number written with spaces, dashes or brackets, and refuses a national one', () => {
    for (const good of [
      '+49 30 1234567',
      '+44 20 7946 0000',
      '+1 (415) 555-0100',
      '+4915112345678',
      '+47 22.00.00.00',
    ]) {
      expect(parse('telephone', good), good).toMatchObject({ success: true, data: good })
    }
    // No country code; too few or too many digits; a country code cannot start with 0; letters.
    for (const bad of [
      '030 1234567',
      '0049 30 1234567',
      '+49 123',
      '+1234567890123456',
      '+0 30 1234567',
      '+49 30 CALL-NOW',
      '+',
      '',
    ]) {
      expect(parse('telephone', bad)?.success, bad).toBe(false)
    }
  })

  it('says what is wrong in words, never echoing the input', async () => {
    const tv = await createTestVault()
    vaults.push(tv)
    for (const [path, value] of [
      ['nationality', 'Germany'],
      ['telephone', '030 1234567'],
      ['address.home', address('Germany')],
    ] as const) {
      const err = await tv.vault.fields.set(path, value).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err, path).toBeInstanceOf(VaultError)
      const text = JSON.stringify({
        message: (err as VaultError).message,
        issues: (err as VaultError).issues,
      })
      expect(text).not.toMatch(/Germany|030 1234567/)
      expect(text).toMatch(
        path === 'telephone' ? /international number/ : /two-letter country code/,
      )
    }
    expect(await tv.vault.fields.get('nationality')).toBeUndefined()
  })

  it('stores a custom field with the label the owner typed, and still reads plain custom values', async () => {
    const tv = await createTestVault()
    vaults.push(tv)
    await tv.vault.fields.set('custom.favourite-colour', {
      label: 'favourite colour',
      value: 'teal',
    })
    await tv.vault.fields.set('custom.loyalty.airline', 'FF 1234')
    expect(await tv.vault.fields.get('custom.favourite-colour')).toEqual({
      label: 'favourite colour',
      value: 'teal',
    })
    expect(await tv.vault.fields.get('custom.loyalty.airline')).toBe('FF 1234')
    expect(parse('custom.x', { label: '', value: 'x' })?.success).toBe(false)
    expect(parse('custom.x', { label: 'x', value: { nested: true } })?.success).toBe(false)
    expect(parse('custom.x', { label: 'x', value: 'y', extra: 1 })?.success).toBe(false)
  })
})
