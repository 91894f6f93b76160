import { afterEach, describe, expect, it } from 'vitest'
import { createTestVault, type TestVault } from '../test/support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

describe('smoke', () => {
  it('stores a field, grants it and reads it through the grant', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.fields.set('email', 'ada@example.org')
    await vault.fields.set('prefs.sizes.shoe', 'EU 39')
    await vault.fields.set('name.given', 'Ada')
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({ vendorId: shop.id, fields: ['prefs.sizes.*', 'email'], actions: ['read'], purpose: 'fit', durationSeconds: 3600 })
    const slice = await vault.readThroughGrant(grant.id)
    expect(slice.fields).toEqual({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
    await vault.lock()
    await expect(vault.fields.get('email')).rejects.toMatchObject({ code: 'ERR_VAULT_LOCKED' })
    await vault.unlock('correct horse battery staple')
    expect(await vault.fields.get('email')).toBe('ada@example.org')
    await vault.purchases.add({ seller: 'Fjord', orderDate: '2026-01-02', currency: 'EUR', total: 10 }, { vendorId: shop.id })
    const r = await vault.rotateKeys()
    expect(r.reencrypted).toBeGreaterThan(0)
    const chunks: Uint8Array[] = []
    for await (const c of vault.backup()) chunks.push(c)
    const exported = await vault.exportJson()
    expect(exported.purchases).toHaveLength(1)
    await vault.restore(Buffer.concat(chunks), 'correct horse battery staple')
    expect(await vault.fields.get('email')).toBe('ada@example.org')
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
  })
})
