/**
 * Issue 10 (what real use found), the owner's purchases: amounts with a decimal comma, a forgiving
 * CSV import (spreadsheet headers, semicolons, a mapping step, duplicates skipped by default),
 * seller search by part of a name, and "purchases you made with" a vendor meaning the purchases
 * the owner links to it on the consent page.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  REDIRECT,
  connectedVendor,
  disposePageClients,
  pageClient,
  tableRows,
  text,
} from '../support/page-client.js'

afterEach(disposePageClients)

/** The hidden fields of the confirm form, as the browser would send them back. */
function confirmFields(html: string): Record<string, string> {
  const form =
    html
      .match(
        /<form method="post" action="\/purchases\/import" enctype="multipart\/form-data">[\s\S]*?<\/form>/g,
      )
      ?.find((f) => f.includes('value="confirm"')) ?? ''
  const decode = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  return Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1] as string,
      decode(m[2] as string),
    ]),
  )
}

describe('issue 10: amounts', () => {
  it('the purchase form takes 129,90 and 1.234,56, says how to write amounts, and refuses 1,234 in words', async () => {
    const p = await pageClient()
    const form = await p.get('/purchases/new')
    expect(text(form.html)).toContain('Write amounts like 129.90 or 129,90')
    await p.submit('/purchases/new', {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      total: '129,90',
      currency: 'EUR',
      item_name: ['Jacket'],
      item_quantity: ['1'],
      item_price: ['1.234,56'],
    })
    const [added] = (await p.vault.purchases.list()).items
    expect(added).toMatchObject({
      total: 129.9,
      items: [{ name: 'Jacket', quantity: 1, price: 1234.56 }],
    })
    const refused = await p.post('/purchases/new', {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      total: '1,234',
      currency: 'EUR',
    })
    expect(refused.status).toBe(400)
    expect(refused.html).toMatch(/id="total-error">This amount can be read two ways/)
  })
})

describe('issue 10: import', () => {
  it('reads a semicolon-separated spreadsheet export with its own headers and decimal commas', async () => {
    const p = await pageClient()
    const csv =
      '\ufeffDate;Seller;Order number;Amount;Currency\r\n14.03.2026;Fjord Outdoor;A-1;129,90;EUR\r\n2026-01-02;Nordlys Books;;12;nok\r\n32.01.2026;Bad Shop;;1e3;EUR\r\n'
    const preview = await p.post(
      '/purchases/import',
      { step: 'preview', format: 'auto', file: new File([csv], 'export.csv') },
      { multipart: true },
    )
    expect(preview.status).toBe(200)
    const rows = tableRows(preview.html, 'import-preview')
    expect(rows[0]).toContain('2026-03-14 Fjord Outdoor')
    expect(rows[0]).toContain('129.90')
    // Problems in words naming the row, never the cell.
    expect(rows[2]).toContain(
      'Row 3: the date is not a date (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)',
    )
    expect(rows[2]).toContain('Row 3: the total is not an amount')
    expect(rows[2]).not.toContain('32.01')
    expect(rows[2]).not.toContain('1e3')
    await p.submit('/purchases/import', confirmFields(preview.html), { multipart: true })
    const items = (await p.vault.purchases.list()).items
    expect(items.map((i) => [i.seller, i.orderDate, i.orderNumber, i.total, i.currency])).toEqual([
      ['Fjord Outdoor', '2026-03-14', 'A-1', 129.9, 'EUR'],
      ['Nordlys Books', '2026-01-02', undefined, 12, 'NOK'],
    ])
  })

  it('asks what unknown columns hold (a select per column), with one currency for every row', async () => {
    const p = await pageClient()
    const csv = 'Händler,Datum,Betrag,Kassenbon\nFjord Outdoor,2026-03-14,"129,90",K-17\n'
    const first = await p.post(
      '/purchases/import',
      { step: 'preview', format: 'csv', file: new File([csv], 'x.csv') },
      { multipart: true },
    )
    expect(first.status).toBe(400)
    expect(text(first.html)).toContain('Column 4 has a name this import does not know')
    expect(text(first.html)).toContain('No column holds the currency')
    expect(first.html).toContain('<select id="column-3" name="column">')
    expect(first.html).toMatch(
      /<select id="column-0" name="column">[\s\S]*?<option value="seller" selected>/,
    )
    expect(first.html).toContain('name="currency_all" value="EUR"')
    // The owner says column 4 is the order number and keeps EUR.
    const mapped = await p.post(
      '/purchases/import',
      {
        step: 'preview',
        format: 'csv',
        content: csv,
        column: ['seller', 'orderDate', 'total', 'orderNumber'],
        currency_all: 'EUR',
      },
      { multipart: true },
    )
    expect(mapped.status).toBe(200)
    expect(mapped.html).toContain('>Import 1 purchase</button>')
    await p.submit('/purchases/import', confirmFields(mapped.html), { multipart: true })
    expect(
      (await p.vault.purchases.list()).items.map((i) => [
        i.seller,
        i.total,
        i.currency,
        i.orderNumber,
      ]),
    ).toEqual([['Fjord Outdoor', 129.9, 'EUR', 'K-17']])
  })

  it('marks rows already in the vault or repeated in the file, and skips them unless asked', async () => {
    const p = await pageClient()
    await p.vault.purchases.add({
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      orderNumber: 'A-1',
      currency: 'EUR',
      total: 129.9,
    })
    const csv = [
      'seller,orderDate,orderNumber,currency,total',
      'fjord outdoor,2026-03-14,A-1,EUR,"129,90"',
      'Book Nook,2026-03-01,,EUR,18.50',
      'Book Nook,2026-03-01,,EUR,18.5',
      'Book Nook,2026-03-01,B-2,EUR,18.5',
    ].join('\n')
    const preview = await p.post(
      '/purchases/import',
      { step: 'preview', format: 'csv', file: new File([csv], 'x.csv') },
      { multipart: true },
    )
    const rows = tableRows(preview.html, 'import-preview')
    expect(rows[0]).toContain('Already in your purchases')
    expect(rows[1]).not.toContain('Repeats')
    expect(rows[2]).toContain('Repeats an earlier row')
    expect(rows[3]).not.toContain('Repeats')
    expect(preview.html).toContain('>Import 2 purchases</button>')
    expect(preview.html).toContain('<input type="checkbox" name="import_duplicates" value="yes">')
    await p.submit('/purchases/import', confirmFields(preview.html), { multipart: true })
    expect((await p.vault.purchases.list()).items).toHaveLength(3)
    // The same file again: everything is a duplicate now; ticking the box imports them anyway.
    const again = await p.post(
      '/purchases/import',
      { step: 'preview', format: 'csv', file: new File([csv], 'x.csv') },
      { multipart: true },
    )
    expect(again.html).toContain('>Import 0 purchases</button>')
    await p.submit(
      '/purchases/import',
      { ...confirmFields(again.html), import_duplicates: 'yes' },
      { multipart: true },
    )
    expect((await p.vault.purchases.list()).items).toHaveLength(7)
  })
})

describe('issue 10: seller search', () => {
  it('finds sellers by part of the name, ignoring case and accents', async () => {
    const p = await pageClient()
    await p.vault.purchases.addMany([
      { seller: 'Amazon.co.uk', orderDate: '2026-01-05', currency: 'GBP', total: 10 },
      { seller: 'Café Müller', orderDate: '2026-01-06', currency: 'EUR', total: 4.5 },
      { seller: 'Book Nook', orderDate: '2026-01-07', currency: 'EUR', total: 18 },
    ])
    const sellers = async (q: string) =>
      tableRows((await p.get(`/purchases?seller=${encodeURIComponent(q)}`)).html, 'purchases').map(
        (r) => r.split(' ')[1],
      )
    expect(await sellers('Amazon')).toEqual(['Amazon.co.uk'])
    expect(await sellers('cafe muller')).toEqual(['Café'])
    expect(await sellers('nook')).toEqual(['Book'])
    expect(await sellers('Nobody')).toEqual([])
  })
})

describe('issue 10: purchases made with a vendor', () => {
  it('offers the look-alike sellers on the consent page with counts, links the ticked ones, and the vendor reads them', async () => {
    const p = await pageClient()
    await p.vault.purchases.addMany([
      { seller: 'Fjord Outdoor', orderDate: '2026-01-05', currency: 'EUR', total: 129.9 },
      { seller: 'fjord-outdoor', orderDate: '2026-01-06', currency: 'EUR', total: 20 },
      { seller: 'Fjord Outdoor Outlet', orderDate: '2026-01-07', currency: 'EUR', total: 5 },
      { seller: 'Book Nook', orderDate: '2026-01-08', currency: 'EUR', total: 18 },
    ])
    const reg = await p.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Fjord Outdoor',
        client_uri: 'https://fjord.example',
        redirect_uris: [REDIRECT],
      }),
    })
    const { client_id } = (await reg.json()) as { client_id: string }
    const query = new URLSearchParams({
      client_id,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'read:purchases',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })
    const page = await p.get(`/oauth/authorize?${query}`)
    const body = text(page.html)
    expect(body).toContain('Which of your sellers are Fjord Outdoor?')
    expect(page.html).toContain(
      '<input type="checkbox" name="link_seller" value="Fjord Outdoor" checked> Fjord Outdoor <span class="muted">(shares 1 purchase)</span>',
    )
    expect(page.html).toContain(
      '<input type="checkbox" name="link_seller" value="fjord-outdoor" checked>',
    )
    expect(page.html).toContain(
      '<input type="checkbox" name="link_seller" value="Fjord Outdoor Outlet">',
    )
    expect(page.html).not.toContain('value="Book Nook"')

    const vendor = await connectedVendor(p, 'read:purchases')
    const res = await p.app.request('/v1/purchases', {
      headers: { authorization: `Bearer ${vendor.accessToken}` },
    })
    expect(res.status).toBe(200)
    const read = (await res.json()) as { items: { seller: string }[] }
    expect(read.items.map((i) => i.seller).sort()).toEqual(['Fjord Outdoor', 'fjord-outdoor'])
  })

  it('links and unlinks a seller to a vendor from the purchase edit form', async () => {
    const p = await pageClient()
    const shop = await p.vault.vendors.register({ name: 'Fjord Outdoor' })
    const [first] = await p.vault.purchases.addMany([
      { seller: 'Fjord', orderDate: '2026-01-05', currency: 'EUR', total: 10 },
      { seller: 'Fjord', orderDate: '2026-01-06', currency: 'EUR', total: 20 },
      { seller: 'Book Nook', orderDate: '2026-01-07', currency: 'EUR', total: 18 },
    ])
    const id = (first as { id: string }).id
    const form = await p.get(`/purchases/${id}/edit`)
    expect(form.html).toContain(`<option value="${shop.id}">Fjord Outdoor</option>`)
    expect((await p.submit(`/purchases/${id}/vendor`, { vendor: shop.id })).html).toContain(
      'now count as made with the vendor',
    )
    const linkedIds = async () =>
      (await p.vault.purchases.list()).items.map((i) => `${i.seller}:${i.vendorId ?? '-'}`)
    expect(await linkedIds()).toEqual(['Book Nook:-', `Fjord:${shop.id}`, `Fjord:${shop.id}`])
    expect(text((await p.get(`/purchases/${id}/edit`)).html)).toContain(
      'Purchases from Fjord count as made with Fjord Outdoor',
    )
    await p.submit(`/purchases/${id}/vendor`, { vendor: '' })
    expect(await linkedIds()).toEqual(['Book Nook:-', 'Fjord:-', 'Fjord:-'])
  })

  it('says in plain words what the vendor agrees to, and whether its website is where the owner goes back', async () => {
    const p = await pageClient()
    const ask = async (metadata: Record<string, unknown>, extra: Record<string, string> = {}) => {
      const reg = await p.app.request('/oauth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Fjord Outdoor',
          redirect_uris: [REDIRECT],
          ...metadata,
        }),
      })
      const { client_id } = (await reg.json()) as { client_id: string }
      const query = new URLSearchParams({
        client_id,
        response_type: 'code',
        redirect_uri: REDIRECT,
        ...(extra.authorization_details ? {} : { scope: 'read:email' }),
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        ...extra,
      })
      return text((await p.get(`/oauth/authorize?${query}`)).html)
    }
    const same = await ask({ client_uri: 'https://www.fjord.example' })
    expect(same).toContain(
      'Fjord Outdoor says its website is fjord.example ; after you decide you go back to fjord.example .',
    )
    expect(same).not.toContain('none named')
    expect(same).not.toContain('accepts your terms')
    const detail = [
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: 'Receipts',
        accepted_terms: ['no resale'],
      },
    ]
    const terms = await ask(
      { client_uri: 'https://fjord.example' },
      { authorization_details: JSON.stringify(detail) },
    )
    expect(terms).toContain('Fjord Outdoor agrees to follow this term of yours: no resale.')
    const other = await ask({ client_uri: 'https://fjord-outdoor.example' })
    expect(other).toContain(
      'Careful: Fjord Outdoor says its website is fjord-outdoor.example , but after you decide you are sent to fjord.example , a different site.',
    )
  })
})

describe('issue 10: phone width', () => {
  it('lets the import preview scroll rather than cut its Total column, and enlarges chart text on phones', async () => {
    const p = await pageClient()
    const css = await (await p.app.request('/assets/custos.css')).text()
    expect(css).toContain('.table-wrap{overflow-x:auto;max-width:100%}')
    expect(css).toMatch(
      /@media \(max-width:40rem\)\{table\.import-preview\{min-width:32rem\}svg\.chart text\{font-size:19px\}\}/,
    )
  })
})
