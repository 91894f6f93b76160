/**
 * `vault.envelopes` (issue "P1 — Trust", finding 2): the application's confidential columns are
 * sealed to their place under the root-derived `externalSeal` subkey — moved, edited or opened
 * by another vault, they fail; a key rotation and a passphrase change leave them readable
 * (rotation re-encrypts only the vault's own tables and then crypto-erases old terms).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE, type TestVault, createTestVault } from '../../test/support/test-vault.js'

const vaults: TestVault[] = []
afterEach(async () => {
  await Promise.all(vaults.splice(0).map((tv) => tv.dispose()))
})

async function newVault(): Promise<TestVault> {
  const tv = await createTestVault()
  vaults.push(tv)
  return tv
}

function codeOf(work: () => unknown): string {
  try {
    work()
    return 'no error'
  } catch (err) {
    return (err as { code?: string }).code ?? (err instanceof TypeError ? 'TypeError' : String(err))
  }
}

const place = { table: 'oauth_clients', column: 'sealed', recordId: 'ven_1' }

describe('vault.envelopes', () => {
  it('opens what it sealed, only at the same place and only in the same vault', async () => {
    const tv = await newVault()
    const other = await newVault()
    const value = { client_name: 'Fjord Outdoor', contacts: ['privacy@fjord.example'] }
    const sealed = tv.vault.envelopes.seal(place, value)
    expect(Buffer.from(sealed).includes(Buffer.from('Fjord'))).toBe(false)
    expect(tv.vault.envelopes.open(place, sealed)).toEqual(value)
    // A fresh nonce every time.
    expect(Buffer.from(tv.vault.envelopes.seal(place, value)).equals(Buffer.from(sealed))).toBe(
      false,
    )
    for (const moved of [
      { ...place, recordId: 'ven_2' },
      { ...place, column: 'metadata' },
      { ...place, table: 'oauth_requests' },
    ]) {
      expect(codeOf(() => tv.vault.envelopes.open(moved, sealed))).toBe('ERR_INTEGRITY')
    }
    expect(codeOf(() => other.vault.envelopes.open(place, sealed))).toBe('ERR_INTEGRITY')
    for (const i of [0, 5, 30, sealed.length - 1]) {
      const flipped = Uint8Array.from(sealed)
      flipped[i] = (flipped[i] as number) ^ 1
      expect(['ERR_INTEGRITY', 'ERR_UNSUPPORTED_FORMAT']).toContain(
        codeOf(() => tv.vault.envelopes.open(place, flipped)),
      )
    }
    expect(codeOf(() => tv.vault.envelopes.open(place, null))).toBe('ERR_INTEGRITY')
    expect(codeOf(() => tv.vault.envelopes.seal({ ...place, recordId: 'a\0b' }, value))).toBe(
      'TypeError',
    )
  })

  it('needs the unsealed vault, and outlives key rotation and passphrase changes', async () => {
    const tv = await newVault()
    const sealed = tv.vault.envelopes.seal(place, { n: 1 })
    await tv.vault.rotateKeys()
    await tv.vault.changePassphrase(PASSPHRASE, `${PASSPHRASE} again`)
    expect(tv.vault.envelopes.open(place, sealed)).toEqual({ n: 1 })
    await tv.vault.lock()
    expect(codeOf(() => tv.vault.envelopes.open(place, sealed))).toBe('ERR_VAULT_LOCKED')
    expect(codeOf(() => tv.vault.envelopes.seal(place, { n: 2 }))).toBe('ERR_VAULT_LOCKED')
    await tv.vault.unlock(`${PASSPHRASE} again`)
    expect(tv.vault.envelopes.open(place, sealed)).toEqual({ n: 1 })
  })
})
