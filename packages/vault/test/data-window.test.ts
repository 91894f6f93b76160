/**
 * Issue 12 (PDPP's `time_range`): a grant's purchase slice may end its data window with `until`,
 * apart from the grant's expiry — the vendor reads orders on or after `since` and strictly before
 * `until`; narrowing may shorten the window, never lengthen or remove its end.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

describe('a purchase slice’s data window', () => {
  it('a vendor reads only the orders inside [since, until)', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
    const order = (orderDate: string) =>
      vault.purchases.add(
        { seller: 'Fjord Outdoor', orderDate, currency: 'EUR', total: 10 },
        { vendorId: shop.id },
      )
    const before = await order('2024-12-31')
    const first = await order('2025-01-01')
    const last = await order('2025-12-31')
    const after = await order('2026-01-01')
    const grant = await vault.grants.create({
      vendorId: shop.id,
      purchases: { madeWithVendor: true, since: '2025-01-01', until: '2026-01-01' },
      actions: ['read'],
      purpose: 'Order history for 2025',
      durationSeconds: 3600,
    })
    const read = await vault.readThroughGrant(grant.id)
    const ids = read.purchases?.items.map((p) => p.id).sort()
    expect(ids).toEqual([first.id, last.id].sort())
    expect(ids).not.toContain(before.id)
    expect(ids).not.toContain(after.id)

    await expect(
      vault.grants.narrow(grant.id, {
        purchases: { madeWithVendor: true, since: '2025-01-01', until: '2026-06-01' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_SCOPE' })
    await expect(
      vault.grants.narrow(grant.id, { purchases: { madeWithVendor: true, since: '2025-01-01' } }),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_SCOPE' })
    const shorter = await vault.grants.narrow(grant.id, {
      purchases: { madeWithVendor: true, since: '2025-01-01', until: '2025-06-01' },
    })
    expect(shorter.purchases?.until).toBe('2025-06-01')
    expect((await vault.readThroughGrant(grant.id)).purchases?.items.map((p) => p.id)).toEqual([
      first.id,
    ])
  })

  it('refuses a window that ends before it starts', async () => {
    tv = await createTestVault()
    const shop = await tv.vault.vendors.register({ name: 'Fjord Outdoor' })
    await expect(
      tv.vault.grants.create({
        vendorId: shop.id,
        purchases: { madeWithVendor: true, since: '2026-01-01', until: '2025-01-01' },
        actions: ['read'],
        purpose: 'x',
        durationSeconds: 3600,
      }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
  })
})
