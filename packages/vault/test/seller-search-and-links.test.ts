/**
 * Issue 10 (what real use found): sellers searched by part of their name (case and accents
 * ignored) over the decrypted seller list, each match then through its blind index; and
 * "purchases made with" a vendor meaning the purchases whose seller the owner links to it, plus
 * the vendor's accepted receipts — links written through the store, so the rows' MACs still hold.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { OrderInput } from '../src/index.js'
import { type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

const order = (seller: string, orderDate: string, total = 1): OrderInput => ({
  seller,
  orderDate,
  currency: 'EUR',
  total,
})

describe('seller search by part of a name', () => {
  it('finds Amazon.co.uk for "amazon" and Café Müller for "cafe mul", exact names unchanged, pages included', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.purchases.addMany([
      order('Amazon.co.uk', '2026-01-01'),
      order('amazon.de', '2026-01-02'),
      order('Café Müller', '2026-01-03'),
      order('Book Nook', '2026-01-04'),
    ])
    const sellers = async (part: string) =>
      (await vault.purchases.list({ sellerContains: part })).items.map((p) => p.seller)
    expect(await sellers('Amazon')).toEqual(['amazon.de', 'Amazon.co.uk'])
    expect(await sellers('cafe mul')).toEqual(['Café Müller'])
    expect(await sellers('zzz')).toEqual([])
    // The exact filter keeps its meaning: the whole name only.
    expect((await vault.purchases.list({ seller: 'Amazon' })).items).toEqual([])
    expect(await vault.purchases.sellers({ contains: 'AMAZON' })).toEqual([
      { seller: 'Amazon.co.uk', purchases: 1 },
      { seller: 'amazon.de', purchases: 1 },
    ])
    // A seller added after the list was read is found at once; so is a renamed one.
    const added = await vault.purchases.add(order('Amazon Fresh', '2026-01-05'))
    expect(await sellers('amazon')).toEqual(['Amazon Fresh', 'amazon.de', 'Amazon.co.uk'])
    await vault.purchases.update(added.id, order('Zalando', '2026-01-05'))
    expect(await sellers('zala')).toEqual(['Zalando'])
    // Pagination over several matched sellers.
    const first = await vault.purchases.list({ sellerContains: 'amazon', limit: 1 })
    expect(first.items.map((p) => p.seller)).toEqual(['amazon.de'])
    const second = await vault.purchases.list({
      sellerContains: 'amazon',
      limit: 1,
      cursor: first.nextCursor as string,
    })
    expect(second.items.map((p) => p.seller)).toEqual(['Amazon.co.uk'])
  })
})

describe('linking a seller to a vendor', () => {
  it('puts the linked purchases in the "made with" slice beside accepted receipts, and unlinks', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
    const other = await vault.vendors.register({ name: 'Nordlys' })
    await vault.purchases.addMany([
      order('Fjord Outdoor', '2026-01-01'),
      order('fjord  outdoor', '2026-01-02'),
      order('Book Nook', '2026-01-03'),
    ])
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: [],
      purchases: { madeWithVendor: true },
      actions: ['read', 'append'],
      purpose: 'Receipts',
      durationSeconds: 3600,
    })
    const receipt = await vault.inbox.append(grant.id, order('Fjord Outdoor', '2026-01-04'))
    await vault.inbox.accept(receipt.id)
    const sliceSellers = async () =>
      ((await vault.readThroughGrant(grant.id)).purchases?.items ?? []).map(
        (p) => `${p.seller} ${p.orderDate}`,
      )
    // Before issue 10: only the receipt counted.
    expect(await sliceSellers()).toEqual(['Fjord Outdoor 2026-01-04'])

    expect(await vault.purchases.linkSeller('FJORD OUTDOOR', shop.id)).toBe(2)
    // The owner's log says which purchases now count as made with the vendor (no seller name).
    const [linked] = await vault.audit.list({ action: 'purchases.linked', limit: 1 })
    expect(linked).toMatchObject({ actor: 'owner', vendorId: shop.id })
    expect(linked?.purchaseIds).toHaveLength(2)
    expect(await sliceSellers()).toEqual([
      'Fjord Outdoor 2026-01-04',
      'fjord  outdoor 2026-01-02',
      'Fjord Outdoor 2026-01-01',
    ])
    // Linking again changes nothing; the rows still authenticate (every read checks their MAC).
    expect(await vault.purchases.linkSeller('Fjord Outdoor', shop.id)).toBe(0)
    const all = (await vault.purchases.list()).items
    expect(all.filter((p) => p.vendorId === shop.id)).toHaveLength(3)

    // Unlinking from another vendor leaves these links alone; unlinking from this one removes them but not the receipt's.
    expect(await vault.purchases.linkSeller('Fjord Outdoor', null, other.id)).toBe(0)
    expect(await vault.purchases.linkSeller('Fjord Outdoor', null, shop.id)).toBe(2)
    expect(await sliceSellers()).toEqual(['Fjord Outdoor 2026-01-04'])
    await expect(vault.purchases.linkSeller('Fjord Outdoor', 'ven_missing')).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    })
  })
})
