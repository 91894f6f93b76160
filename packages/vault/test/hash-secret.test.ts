/**
 * hashSecret: what the consent API stores instead of tokens, codes and client secrets. It must be
 * keyed (useless to anyone without the vault's keys), stable across restarts, rotations and
 * passphrase changes (or every issued token would die), and refused while sealed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE, type TestVault, createTestVault } from './support/test-vault.js'

const made: TestVault[] = []
afterEach(async () => {
  for (const tv of made.splice(0)) await tv.dispose()
})

async function vault() {
  const tv = await createTestVault()
  made.push(tv)
  return tv
}

describe('hashSecret', () => {
  it('is a keyed 256-bit hash: stable in one vault, different in another, different per secret', async () => {
    const a = await vault()
    const b = await vault()
    const h = a.vault.hashSecret('token-abc')
    expect(h).toMatch(/^[0-9a-f]{64}$/)
    expect(a.vault.hashSecret('token-abc')).toBe(h)
    expect(a.vault.hashSecret('token-abd')).not.toBe(h)
    expect(b.vault.hashSecret('token-abc')).not.toBe(h)
  })

  it('survives a restart, a key rotation and a passphrase change, and is refused while sealed', async () => {
    const tv = await vault()
    const h = tv.vault.hashSecret('refresh-xyz')
    await tv.vault.rotateKeys()
    expect(tv.vault.hashSecret('refresh-xyz')).toBe(h)
    await tv.vault.changePassphrase(PASSPHRASE, 'another long passphrase')
    const reopened = await tv.reopen()
    expect(() => reopened.hashSecret('refresh-xyz')).toThrow(
      expect.objectContaining({ code: 'ERR_VAULT_LOCKED' }),
    )
    await reopened.unlock('another long passphrase')
    expect(reopened.hashSecret('refresh-xyz')).toBe(h)
    expect(() => reopened.hashSecret(42 as unknown as string)).toThrow(TypeError)
  })
})

describe('verifyOwner', () => {
  it('accepts the passphrase or recovery key without sealing or unsealing, audits it, and is throttled like unlock', async () => {
    const tv = await vault()
    await tv.vault.verifyOwner(PASSPHRASE)
    await tv.vault.verifyOwner({ recoveryKey: tv.recoveryKey })
    expect((await tv.vault.status()).state).toBe('unsealed')
    expect(await tv.vault.audit.list({ action: 'owner.authenticated' })).toHaveLength(2)
    for (let i = 0; i < 5; i++)
      await expect(tv.vault.verifyOwner('wrong passphrase!')).rejects.toMatchObject({
        code: 'ERR_UNLOCK_FAILED',
      })
    await expect(tv.vault.verifyOwner(PASSPHRASE)).rejects.toMatchObject({
      code: 'ERR_UNLOCK_THROTTLED',
    })
    expect((await tv.vault.status()).state).toBe('unsealed')
    expect(await tv.vault.audit.verify()).toMatchObject({ ok: true })
  })
})

describe('signingSeed', () => {
  it('is 32 bytes from its own subkey: stable across rotation, passphrase change and restart; not any hashSecret output; refused while sealed', async () => {
    const tv = await vault()
    const seed = tv.vault.signingSeed()
    expect(seed).toHaveLength(32)
    expect(Buffer.from(seed).toString('hex')).not.toBe(
      tv.vault.hashSecret('custos/receipt-signing-key/v1'),
    )
    seed.fill(0) // a copy: wiping it does not touch the vault's key
    expect(tv.vault.signingSeed().some((b) => b !== 0)).toBe(true)
    const hex = Buffer.from(tv.vault.signingSeed()).toString('hex')
    await tv.vault.rotateKeys()
    await tv.vault.changePassphrase(PASSPHRASE, 'a different passphrase')
    const reopened = await tv.reopen()
    expect(() => reopened.signingSeed()).toThrow(
      expect.objectContaining({ code: 'ERR_VAULT_LOCKED' }),
    )
    await reopened.unlock('a different passphrase')
    expect(Buffer.from(reopened.signingSeed()).toString('hex')).toBe(hex)
  })
})
