/**
 * Issue 4, page 4: the owner's purchases — filters and cursor pagination, add / edit / delete
 * with validation errors in place, CSRF refusals that change nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { OrderInput } from '@custos/vault'
import { disposePageClients, linkHref, pageClient, tableRows } from '../support/page-client.js'

afterEach(disposePageClients)

const ORDERS: OrderInput[] = [
  {
    seller: 'Fjord Outdoor',
    orderDate: '2026-01-05',
    currency: 'EUR',
    total: 129.9,
    category: 'outdoor',
    items: [{ name: 'Rain jacket', quantity: 1, price: 129.9 }],
  },
  { seller: 'Book Nook', orderDate: '2026-01-20', currency: 'EUR', total: 18.5, category: 'books' },
  {
    seller: 'Fjord Outdoor',
    orderDate: '2026-02-11',
    currency: 'EUR',
    total: 45,
    category: 'outdoor',
  },
  {
    seller: 'Corner Grocer',
    orderDate: '2026-02-28',
    currency: 'EUR',
    total: 12.25,
    category: 'food',
  },
  {
    seller: 'Fjord Outdoor',
    orderDate: '2026-03-14',
    currency: 'EUR',
    total: 59,
    category: 'shoes',
  },
]

/** The seller and date of each table row, e.g. "2026-03-14 Fjord Outdoor". */
const listed = (html: string) =>
  tableRows(html, 'purchases').map((row) => row.split(' ').slice(0, 3).join(' '))

describe('/purchases', () => {
  it('filters by seller, category and an inclusive date range, newest first', async () => {
    const p = await pageClient()
    await p.vault.purchases.addMany(ORDERS)
    const all = await p.get('/purchases')
    expect(all.status).toBe(200)
    expect(listed(all.html)).toEqual([
      '2026-03-14 Fjord Outdoor',
      '2026-02-28 Corner Grocer',
      '2026-02-11 Fjord Outdoor',
      '2026-01-20 Book Nook',
      '2026-01-05 Fjord Outdoor',
    ])

    expect(listed((await p.get('/purchases?seller=fjord+outdoor')).html)).toEqual([
      '2026-03-14 Fjord Outdoor',
      '2026-02-11 Fjord Outdoor',
      '2026-01-05 Fjord Outdoor',
    ])
    expect(listed((await p.get('/purchases?category=outdoor')).html)).toEqual([
      '2026-02-11 Fjord Outdoor',
      '2026-01-05 Fjord Outdoor',
    ])
    // Both ends inclusive, as the owner reads "from 20 Jan to 28 Feb".
    expect(listed((await p.get('/purchases?from=2026-01-20&to=2026-02-28')).html)).toEqual([
      '2026-02-28 Corner Grocer',
      '2026-02-11 Fjord Outdoor',
      '2026-01-20 Book Nook',
    ])
    expect(
      listed(
        (await p.get('/purchases?seller=Fjord+Outdoor&category=outdoor&from=2026-02-01')).html,
      ),
    ).toEqual(['2026-02-11 Fjord Outdoor'])
    // The filter form shows what is applied, and nothing matches → says so.
    const none = await p.get('/purchases?seller=Nobody')
    expect(none.html).toContain('No purchases match these filters.')
    expect(none.html).toContain('value="Nobody"')
  })

  it('pages with the vault cursor, keeping the filters, until the last page', async () => {
    const p = await pageClient()
    await p.vault.purchases.addMany(ORDERS)
    const first = await p.get('/purchases?limit=2')
    expect(listed(first.html)).toEqual(['2026-03-14 Fjord Outdoor', '2026-02-28 Corner Grocer'])
    const next = linkHref(first.html, 'Next page') as string
    expect(next).toMatch(/^\/purchases\?limit=2&cursor=/)
    const second = await p.get(next)
    expect(listed(second.html)).toEqual(['2026-02-11 Fjord Outdoor', '2026-01-20 Book Nook'])
    expect(linkHref(second.html, 'First page')).toBe('/purchases?limit=2')
    const third = await p.get(linkHref(second.html, 'Next page') as string)
    expect(listed(third.html)).toEqual(['2026-01-05 Fjord Outdoor'])
    expect(linkHref(third.html, 'Next page')).toBeUndefined()

    const filtered = await p.get('/purchases?seller=Fjord+Outdoor&limit=2')
    const filteredNext = linkHref(filtered.html, 'Next page') as string
    expect(filteredNext).toContain('seller=Fjord+Outdoor')
    expect(listed((await p.get(filteredNext)).html)).toEqual(['2026-01-05 Fjord Outdoor'])
  })

  it('survives a forged cursor or a bad date with a message, not an error page', async () => {
    const p = await pageClient()
    await p.vault.purchases.addMany(ORDERS)
    const forged = await p.get('/purchases?cursor=not-a-cursor')
    expect(forged.status).toBe(200)
    expect(forged.html).toContain('That page link is no longer valid')
    expect(listed(forged.html)).toHaveLength(5)
    const badDate = await p.get('/purchases?from=14%2F03%2F2026')
    expect(badDate.status).toBe(200)
    expect(badDate.html).toContain('Some filters were not understood')
  })

  it('adds a purchase from the form, with its items', async () => {
    const p = await pageClient()
    const form = await p.get('/purchases/new')
    expect(form.status).toBe(200)
    for (const label of ['Seller', 'Order date', 'Total paid', 'Currency'])
      expect(form.html).toMatch(new RegExp(`<label for="[a-zA-Z]+">${label}</label>`))
    const list = await p.submit('/purchases/new', {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      total: '129.90',
      currency: 'eur',
      category: 'outdoor',
      item_name: ['Rain jacket', ''],
      item_quantity: ['2', ''],
      item_price: ['64.95', ''],
      item_sku: ['', ''],
    })
    expect(list.html).toContain('Purchase added.')
    const { items } = await p.vault.purchases.list()
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      total: 129.9,
      currency: 'EUR',
      category: 'outdoor',
      provenance: 'owner',
      items: [{ name: 'Rain jacket', quantity: 2, price: 64.95 }],
    })
  })

  it('shows validation errors in place, keeps what was typed, and adds nothing', async () => {
    const p = await pageClient()
    // Issue 10: '12,50' is now a valid amount; '1,250' (a thousand and more, or one and a quarter?) is refused.
    const res = await p.post('/purchases/new', {
      seller: '',
      orderDate: '2026-03-14',
      total: '1,250',
      currency: 'EURO',
      item_name: ['', ''],
      item_quantity: ['3', ''],
      item_price: ['1.5', 'abc'],
    })
    expect(res.status).toBe(400)
    expect(res.html).toContain('role="alert"')
    expect(res.html).toMatch(
      /<p class="field-error" id="seller-error">Enter the seller[^<]*<\/p><input type="text" id="seller" name="seller" value="" required aria-invalid="true" aria-describedby="seller-error">/,
    )
    expect(res.html).toMatch(
      /id="total-error">This amount can be read two ways: write 1234.00 or 1.234,00 for over a thousand/,
    )
    expect(res.html).toMatch(/id="item-1-price-error">Enter an amount such as 129.90 or 129,90</)
    expect(res.html).toMatch(/id="currency-error">Enter a three-letter currency code/)
    // An item row with a price but no name is an error on that row's name.
    expect(res.html).toMatch(/id="item-0-name-error">Enter the item name/)
    expect(res.html).toContain('value="1,250"')
    expect(res.html).toContain('value="2026-03-14"')
    expect(res.html).not.toContain('id="orderDate-error"')
    expect((await p.vault.purchases.list()).items).toHaveLength(0)
  })

  it('edits a purchase (keeping its stored time when the day is unchanged) and refuses invalid edits in place', async () => {
    const p = await pageClient()
    const stored = await p.vault.purchases.add({
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14T10:30:00Z',
      currency: 'EUR',
      total: 59,
      notes: 'gift',
    })
    const form = await p.get(`/purchases/${stored.id}/edit`)
    expect(form.status).toBe(200)
    expect(form.html).toContain('value="Fjord Outdoor"')
    expect(form.html).toContain('>gift</textarea>')
    expect(form.html).toContain('>Save</button>')

    const refused = await p.post(`/purchases/${stored.id}/edit`, {
      seller: 'Fjord Outdoor',
      orderDate: '',
      total: '60',
      currency: 'EUR',
    })
    expect(refused.status).toBe(400)
    expect(refused.html).toMatch(/id="orderDate-error">Enter the order date</)
    expect((await p.vault.purchases.get(stored.id)).total).toBe(59)

    const saved = await p.submit(`/purchases/${stored.id}/edit`, {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      total: '60.5',
      currency: 'EUR',
      notes: 'gift for Ada',
    })
    expect(saved.html).toContain('Purchase saved.')
    expect(await p.vault.purchases.get(stored.id)).toMatchObject({
      total: 60.5,
      notes: 'gift for Ada',
      orderDate: '2026-03-14T10:30:00Z',
      provenance: 'owner',
    })

    await p.submit(`/purchases/${stored.id}/edit`, {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-15',
      total: '60.5',
      currency: 'EUR',
    })
    expect((await p.vault.purchases.get(stored.id)).orderDate).toBe('2026-03-15')
    expect((await p.get('/purchases/pur_missing/edit')).status).toBe(404)
  })

  it('deletes a purchase', async () => {
    const p = await pageClient()
    const [keep, gone] = await p.vault.purchases.addMany(ORDERS.slice(0, 2))
    const list = await p.submit(`/purchases/${gone?.id}/delete`)
    expect(list.html).toContain('Purchase deleted.')
    expect((await p.vault.purchases.list()).items.map((x) => x.id)).toEqual([keep?.id])
    expect((await p.post(`/purchases/${gone?.id}/delete`)).status).toBe(404)
  })

  it('refuses a form without the CSRF token with 403 and changes nothing', async () => {
    const p = await pageClient()
    const stored = await p.vault.purchases.add(ORDERS[0] as OrderInput)
    const valid = { seller: 'Evil', orderDate: '2026-03-14', total: '1', currency: 'EUR' }
    for (const csrf of [null, 'forged-token']) {
      expect((await p.post('/purchases/new', valid, { csrf })).status).toBe(403)
      expect((await p.post(`/purchases/${stored.id}/edit`, valid, { csrf })).status).toBe(403)
      expect((await p.post(`/purchases/${stored.id}/delete`, {}, { csrf })).status).toBe(403)
    }
    const { items } = await p.vault.purchases.list()
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ id: stored.id, seller: 'Fjord Outdoor', total: 129.9 })
  })

  it('sends a visitor without a session to sign in, and shows no purchase', async () => {
    const p = await pageClient()
    await p.vault.purchases.add(ORDERS[0] as OrderInput)
    const res = await p.get('/purchases', { anonymous: true })
    expect(res.status).toBe(303)
    expect(res.location).toBe('/signin?next=%2Fpurchases')
    expect(res.html).not.toContain('Fjord')
  })
})
