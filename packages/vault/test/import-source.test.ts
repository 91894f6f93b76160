/**
 * Issue 14 (P6): an imported purchase records the file it came from (`amazon:
 * Retail.OrderHistory.1.csv`), sealed with the order — kept through an edit and an export round
 * trip, shown to the owner, never to a vendor reading purchases through a grant.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ValidationError } from '../src/index.js'
import { type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

const order = (seller: string, orderDate: string) => ({
  seller,
  orderDate,
  currency: 'EUR',
  total: 10,
})

describe('the source of an imported purchase', () => {
  it('is kept per order, through an edit and an export round trip, and left out of a grant read', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const added = await vault.purchases.addMany(
      [order('Amazon.de', '2026-01-09'), order('Fjord Outdoor', '2026-03-14')],
      {
        provenance: 'import',
        importSources: ['amazon: Retail.OrderHistory.1.csv', 'email: order-42.eml'],
      },
    )
    expect(added.map((p) => p.importSource)).toEqual([
      'amazon: Retail.OrderHistory.1.csv',
      'email: order-42.eml',
    ])
    const [amazon, fjord] = added
    expect((await vault.purchases.get(fjord?.id as string)).importSource).toBe(
      'email: order-42.eml',
    )
    const edited = await vault.purchases.update(amazon?.id as string, {
      ...order('Amazon.de', '2026-01-10'),
      notes: 'socks',
    })
    expect(edited.importSource).toBe('amazon: Retail.OrderHistory.1.csv')
    expect((await vault.purchases.get(amazon?.id as string)).importSource).toBe(
      'amazon: Retail.OrderHistory.1.csv',
    )
    // Typed in by hand: no source.
    const typed = await vault.purchases.add(order('Bakery Lund', '2026-04-05'))
    expect(typed.importSource).toBeUndefined()

    const shop = await vault.vendors.register({ name: 'Reader' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: [],
      purchases: { madeWithVendor: false },
      actions: ['read'],
      purpose: 'Recommendations',
      durationSeconds: 3600,
    })
    const read = (await vault.readThroughGrant(grant.id)).purchases?.items ?? []
    expect(read).toHaveLength(3)
    for (const p of read) expect(p).not.toHaveProperty('importSource')

    const doc = await vault.exportJson()
    await vault.importJson(JSON.parse(JSON.stringify(doc)), { mode: 'replace' })
    const after = await vault.purchases.list()
    expect(
      after.items
        .map((p) => [p.seller, p.importSource ?? null])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['Amazon.de', 'amazon: Retail.OrderHistory.1.csv'],
      ['Bakery Lund', null],
      ['Fjord Outdoor', 'email: order-42.eml'],
    ])
  })

  it('is refused when empty or too long, and is only for imports', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await expect(
      vault.purchases.addMany([order('A', '2026-01-01')], {
        provenance: 'import',
        importSources: ['x'.repeat(201)],
      }),
    ).rejects.toBeInstanceOf(ValidationError)
    await expect(
      vault.purchases.addMany([order('A', '2026-01-01')], { importSources: ['amazon: a.csv'] }),
    ).rejects.toBeInstanceOf(TypeError)
    await expect(
      vault.purchases.addMany([order('A', '2026-01-01')], {
        provenance: 'import',
        importSources: [],
      }),
    ).rejects.toBeInstanceOf(TypeError)
    expect((await vault.purchases.list()).items).toHaveLength(0)
  })
})
