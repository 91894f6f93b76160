/**
 * SECURITY.md promise 25: blind indexes are keyed per vault and per index, truncated so that
 * values share index entries, and every search re-checks candidates by decrypting — so a
 * collision costs work, never a wrong answer.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { OrderInput, Page, Purchase, PurchaseFilter, Vault } from '../../src/index.js'
import { type TestVault, createTestVault } from '../support/test-vault.js'

const vaults: TestVault[] = []
afterEach(async () => {
  await Promise.all(vaults.splice(0).map((v) => v.dispose()))
})

async function newVault(): Promise<TestVault> {
  const tv = await createTestVault()
  vaults.push(tv)
  return tv
}

const order = (seller: string, orderDate: string, extra: Partial<OrderInput> = {}): OrderInput => ({
  seller,
  orderDate,
  currency: 'EUR',
  total: 1,
  ...extra,
})

/** Lists every page of a filter, checking the pagination contract on the way; returns the pages. */
async function allPages(vault: Vault, filter: PurchaseFilter): Promise<Page<Purchase>[]> {
  const pages: Page<Purchase>[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await vault.purchases.list({
      ...filter,
      ...(cursor === undefined ? {} : { cursor }),
    })
    pages.push(page)
    cursor = page.nextCursor
    if (cursor === undefined) return pages
    expect(page.items).toHaveLength(filter.limit as number)
    expect(pages.length).toBeLessThan(100)
  }
}

function sellerIndexes(tv: TestVault) {
  return tv.handle.db
    .selectFrom('purchases')
    .select(['id', 'seller_index', 'category_index'])
    .execute()
}

describe('promise 25: keyed, truncated blind indexes', () => {
  it('promise 25: the stored seller and category indexes are 16 bits (4 hex chars)', async () => {
    const tv = await newVault()
    await tv.vault.purchases.addMany(
      Array.from({ length: 20 }, (_, i) =>
        order(`Seller number ${i}`, '2026-01-01', { category: `category ${i % 3}` }),
      ),
    )
    const rows = await sellerIndexes(tv)
    expect(rows).toHaveLength(20)
    for (const row of rows) {
      expect(row.seller_index).toMatch(/^[0-9a-f]{4}$/)
      expect(row.category_index).toMatch(/^[0-9a-f]{4}$/)
    }
    // The same seller always gets the same index within a vault; different sellers mostly do not.
    expect(new Set(rows.map((r) => r.seller_index)).size).toBeGreaterThan(15)
  })

  it('promise 25: the index is keyed — the same sellers index differently in two vaults', async () => {
    const a = await newVault()
    const b = await newVault()
    const sellers = Array.from({ length: 8 }, (_, i) => `Fjord Outdoor ${i}`)
    const indexIn = async (tv: TestVault) => {
      const added = await tv.vault.purchases.addMany(sellers.map((s) => order(s, '2026-01-01')))
      const rows = await sellerIndexes(tv)
      return added.map((p) => rows.find((r) => r.id === p.id)?.seller_index)
    }
    const inA = await indexIn(a)
    const inB = await indexIn(b)
    // With 16-bit indexes one chance agreement in eight is possible (p ≈ 1e-4); more would mean an unkeyed index.
    expect(inA.filter((idx, i) => idx === inB[i]).length).toBeLessThanOrEqual(1)
    // And the category index uses its own subkey: the same text does not index the same as a seller.
    await a.vault.purchases.add(order('shoes', '2026-01-01', { category: 'shoes' }))
    const rows = await a.handle.db
      .selectFrom('purchases')
      .select(['seller_index', 'category_index'])
      .where('category_index', 'is not', null)
      .execute()
    expect(rows).toHaveLength(1)
    const [{ seller_index, category_index }] = rows as [
      { seller_index: string; category_index: string },
    ]
    expect(seller_index).not.toBe(category_index)
  })

  it('promise 25: seller lookups ignore case, spacing and Unicode width', async () => {
    const tv = await newVault()
    const { vault } = tv
    const p1 = await vault.purchases.add(order('Fjord Outdoor', '2026-01-03'))
    const p2 = await vault.purchases.add(order('  FJORD   outdoor ', '2026-01-02'))
    const p3 = await vault.purchases.add(order('Ｆｊｏｒｄ Outdoor', '2026-01-01'))
    await vault.purchases.add(order('Fjord Outdoors', '2026-01-04'))
    await vault.purchases.add(order('FjordOutdoor', '2026-01-05'))
    const rows = await sellerIndexes(tv)
    const idx = (id: string) => rows.find((r) => r.id === id)?.seller_index
    expect(idx(p2.id)).toBe(idx(p1.id))
    expect(idx(p3.id)).toBe(idx(p1.id))
    for (const query of [
      'fjord outdoor',
      'FJORD OUTDOOR',
      ' Fjord\tOutdoor ',
      'fjord\n\noutdoor',
      'ｆｊｏｒｄ　ｏｕｔｄｏｏｒ',
    ]) {
      const { items } = await vault.purchases.list({ seller: query })
      expect(
        items.map((p) => p.id),
        query,
      ).toEqual([p1.id, p2.id, p3.id])
    }
    // Each purchase keeps the seller text as it was written.
    expect(
      (await vault.purchases.list({ seller: 'fjord outdoor' })).items.map((p) => p.seller),
    ).toEqual(['Fjord Outdoor', 'FJORD   outdoor', 'Ｆｊｏｒｄ Outdoor'])
  })

  it('promise 25: when two sellers collide in the index, listing by seller still returns exactly that seller, across ≥ 3 pages', async () => {
    const tv = await newVault()
    const { vault } = tv
    const db = tv.handle.db
    // With 16 bits, 1,500 distinct sellers hold a colliding pair with probability 1 − e^(−1500²/2¹⁷) > 0.9999.
    const names = Array.from({ length: 1500 }, (_, i) => `Generated Seller ${i}`)
    const seeded = await vault.purchases.addMany(
      names.map((n, i) => order(n, `2020-01-${String((i % 28) + 1).padStart(2, '0')}`)),
    )
    const rows = await sellerIndexes(tv)
    const byIndex = new Map<string, string[]>()
    for (const p of seeded) {
      const idx = rows.find((r) => r.id === p.id)?.seller_index as string
      byIndex.set(idx, [...(byIndex.get(idx) ?? []), p.seller])
    }
    const pair = [...byIndex.values()].find((sellers) => sellers.length >= 2)
    expect(pair).toBeDefined()
    const [a, b] = pair as [string, string]

    // Interleave both sellers' purchases in time, with ties on the same date, so every page sees false positives.
    const dates = [
      '2026-01-10',
      '2026-01-10',
      '2026-01-09',
      '2026-01-08T12:00:00Z',
      '2026-01-08T12:00:00Z',
      '2026-01-07',
      '2026-01-06',
    ]
    const ofA = await vault.purchases.addMany(
      dates.map((d, i) => order(a.toUpperCase(), d, { total: i })),
    )
    const ofB = await vault.purchases.addMany(
      [...dates, ...dates].map((d, i) => order(b, d, { total: 100 + i })),
    )
    const indexRows = await db
      .selectFrom('purchases')
      .select(['id', 'seller_index'])
      .where('id', 'in', [ofA[0]?.id as string, ofB[0]?.id as string])
      .execute()
    expect(new Set(indexRows.map((r) => r.seller_index)).size).toBe(1)

    for (const [seller, mine] of [
      [a, [...ofA, seeded.find((p) => p.seller === a) as Purchase]],
      [b, [...ofB, seeded.find((p) => p.seller === b) as Purchase]],
    ] as const) {
      for (const limit of [1, 2, 3, 5]) {
        const pages = await allPages(vault, { seller: ` ${seller.toLowerCase()} `, limit })
        expect(pages.length).toBeGreaterThanOrEqual(Math.min(3, Math.ceil(mine.length / limit)))
        const seen = pages.flatMap((p) => p.items)
        expect(seen.map((p) => p.id).sort(), `${seller} limit ${limit}`).toEqual(
          mine.map((p) => p.id).sort(),
        )
        expect(new Set(seen.map((p) => p.id)).size).toBe(seen.length)
        for (const p of seen) expect(p.seller.toLowerCase()).toBe(seller.toLowerCase())
        // One total order across pages: newest first, ties by id.
        const keys = seen.map(
          (p) =>
            `${new Date(p.orderDate.length === 10 ? `${p.orderDate}T00:00:00Z` : p.orderDate).toISOString()}|${p.id}`,
        )
        expect(keys).toEqual([...keys].sort().reverse())
      }
    }
    expect((await vault.purchases.list({ seller: 'Nobody At All' })).items).toEqual([])
  })

  it('promise 25: seller listing paginates through ≥ 3 pages with cursors, combined with other filters', async () => {
    const tv = await newVault()
    const { vault } = tv
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const mine = await vault.purchases.addMany(
      Array.from({ length: 11 }, (_, i) =>
        order('Fjord Outdoor', `2026-02-${String(20 - i).padStart(2, '0')}`, {
          category: i % 2 === 0 ? 'shoes' : 'outdoor',
        }),
      ),
      { vendorId: shop.id },
    )
    await vault.purchases.addMany(
      Array.from({ length: 9 }, (_, i) =>
        order(`Other ${i}`, `2026-02-${String(20 - i).padStart(2, '0')}`, { category: 'shoes' }),
      ),
    )
    const pages = await allPages(vault, { seller: 'fjord outdoor', limit: 4 })
    expect(pages.map((p) => p.items.length)).toEqual([4, 4, 3])
    expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual(mine.map((p) => p.id))
    const shoes = await allPages(vault, {
      seller: 'Fjord Outdoor',
      categories: ['SHOES'],
      limit: 2,
    })
    expect(shoes.map((p) => p.items.length)).toEqual([2, 2, 2])
    expect(shoes.flatMap((p) => p.items.map((i) => i.id))).toEqual(
      mine.filter((_, i) => i % 2 === 0).map((p) => p.id),
    )
    const since = await allPages(vault, {
      seller: 'Fjord Outdoor',
      since: '2026-02-15',
      vendorId: shop.id,
      limit: 2,
    })
    expect(since.flatMap((p) => p.items.map((i) => i.id))).toEqual(
      mine.slice(0, 6).map((p) => p.id),
    )
    // A cursor from one listing used again gives the same next page (cursors are stable positions, not sessions).
    const first = await vault.purchases.list({ seller: 'Fjord Outdoor', limit: 4 })
    const again = await vault.purchases.list({
      seller: 'Fjord Outdoor',
      limit: 4,
      cursor: first.nextCursor as string,
    })
    expect(again.items.map((p) => p.id)).toEqual(pages[1]?.items.map((p) => p.id))
  })
})
