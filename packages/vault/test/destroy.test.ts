/**
 * Exit, the last step: destroy() crypto-erases (the wrapped keys go first) and deletes every
 * record; on SQLite the file and its WAL are scrubbed so no ciphertext — nor the wrapped keys
 * that could open an old copy of it — is left on disk.
 */
import { existsSync, readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createVault } from '../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault, engine } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

describe('destroy', () => {
  it('leaves an empty, uninitialized database in which a new vault can be created', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.fields.set('email', 'gone@example.org')
    const shop = await vault.vendors.register({ name: 'Shop' })
    await vault.purchases.add(
      { seller: 'Shop', orderDate: '2026-01-01', currency: 'EUR', total: 1 },
      { vendorId: shop.id },
    )
    await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'p',
      durationSeconds: 600,
    })
    await vault.destroy()
    expect(await vault.status()).toEqual({ state: 'uninitialized' })
    await expect(vault.fields.get('email')).rejects.toMatchObject({ code: 'ERR_VAULT_LOCKED' })
    for (const table of [
      'vault_meta',
      'keyring',
      'fields',
      'purchases',
      'vendors',
      'grants',
      'audit',
    ] as const) {
      expect(await tv.handle.db.selectFrom(table).selectAll().execute(), table).toEqual([])
    }
    await expect(vault.unlock(PASSPHRASE)).rejects.toMatchObject({
      code: 'ERR_VAULT_UNINITIALIZED',
    })
    const again = await vault.initialize('a brand new passphrase')
    expect(again.recoveryKey).toMatch(/^CUSTOS-/)
    expect(await vault.fields.list()).toEqual([])
  })

  it('refuses while sealed, so nobody destroys a vault without unlocking it', async () => {
    tv = await createTestVault()
    await tv.vault.lock()
    await expect(tv.vault.destroy()).rejects.toMatchObject({ code: 'ERR_VAULT_LOCKED' })
    expect((await tv.vault.status()).state).toBe('sealed')
  })

  it.skipIf(engine !== 'sqlite')(
    'scrubs the SQLite file and WAL: no ciphertext, wrapped key or path survives on disk',
    async () => {
      tv = await createTestVault()
      const canaryPath = 'custom.zqxjcanaryzqxj'
      await tv.vault.fields.set(canaryPath, 'value')
      const meta = await tv.handle.db
        .selectFrom('vault_meta')
        .select(['wrapped_root_passphrase', 'vault_id'])
        .executeTakeFirstOrThrow()
      const stored = await tv.handle.db
        .selectFrom('fields')
        .select('value')
        .where('path', '=', canaryPath)
        .executeTakeFirstOrThrow()
      await tv.vault.destroy()
      await tv.vault.close()
      const file = tv.db.file as string
      const bytes = Buffer.concat([
        readFileSync(file),
        existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0),
      ])
      expect(bytes.includes(Buffer.from(canaryPath))).toBe(false)
      expect(bytes.includes(Buffer.from(meta.wrapped_root_passphrase))).toBe(false)
      expect(bytes.includes(Buffer.from(stored.value))).toBe(false)
      expect(bytes.includes(Buffer.from(meta.vault_id))).toBe(false)
      // The file is still a usable, empty vault database.
      const reopened = await createVault({ database: tv.db.open(), kdf: 'interactive' })
      expect(await reopened.status()).toEqual({ state: 'uninitialized' })
      await reopened.close()
    },
  )
})
