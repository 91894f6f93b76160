/**
 * Issue 14 (P6): Purchases → Import takes Amazon's order history and PayPal's activity download
 * (detected from the header, or chosen), ends in the same preview — entries that are not
 * purchases listed with their reason — and imports only after the owner confirms.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, pageClient, tableRows, text } from '../support/page-client.js'

afterEach(disposePageClients)

const fixture = (name: string) =>
  readFileSync(
    new URL(`../../../consent-api/test/fixtures/imports/${name}`, import.meta.url),
    'utf8',
  )

function formFields(html: string, step: string): Record<string, string> {
  const form =
    html
      .match(/<form method="post" action="\/purchases\/import"[\s\S]*?<\/form>/g)
      ?.find((f) => f.includes(`name="step" value="${step}"`)) ?? ''
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

describe('/purchases/import: shop and payment exports', () => {
  it('Amazon: detected from its header, orders grouped, a cancelled one left out, imported on confirm', async () => {
    const p = await pageClient()
    const form = await p.get('/purchases/import')
    expect(form.html).toContain('<option value="amazon">')
    const csv = fixture('amazon-Retail.OrderHistory.1.csv').replace('"twelve"', '"12.00"')
    const preview = await p.post(
      '/purchases/import',
      {
        step: 'preview',
        format: 'auto',
        file: new File([csv], 'Retail.OrderHistory.1.csv', { type: 'text/csv' }),
      },
      { multipart: true },
    )
    expect(preview.status).toBe(200)
    expect(text(preview.html)).toContain(
      'Amazon order history file with 5 orders: 4 valid , 1 not purchases',
    )
    const rows = tableRows(preview.html, 'import-preview')
    expect(rows[0]).toContain('lines 2–3')
    expect(rows[0]).toContain('Amazon.de')
    expect(rows[3]).toBe('line 6 Left out: a cancelled order')
    expect((await p.vault.purchases.list()).items).toHaveLength(0)

    const fields = formFields(preview.html, 'confirm')
    expect(fields).toMatchObject({ format: 'amazon', expected: '4' })
    const list = await p.submit('/purchases/import', fields, { multipart: true })
    expect(list.html).toContain('Imported 4 purchases.')
    const { items } = await p.vault.purchases.list()
    expect(items.map((i) => i.orderNumber).sort()).toEqual([
      '205-3333333-3000003',
      '302-1111111-1000001',
      '302-2222222-2000002',
      '302-5555555-5000005',
    ])
  })

  it('PayPal: refunds and transfers listed with their reason; the date order can be switched before importing', async () => {
    const p = await pageClient()
    const text1 = [
      'Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,Transaction ID',
      '03/04/2026,10:00:00,PST,Shop A,Express Checkout Payment,Completed,USD,-10.00,0.00,-10.00,T1',
      '03/05/2026,10:00:00,PST,Shop A,Payment Refund,Completed,USD,10.00,0.00,10.00,T2',
    ].join('\n')
    const preview = await p.post(
      '/purchases/import',
      {
        step: 'preview',
        format: 'paypal',
        file: new File([text1], 'Download.CSV', { type: 'text/csv' }),
      },
      { multipart: true },
    )
    expect(preview.status).toBe(200)
    expect(text(preview.html)).toContain(
      'The file does not show whether dates are day or month first: they are read as day/month/year',
    )
    expect(tableRows(preview.html, 'import-preview')).toEqual([
      expect.stringContaining('2026-04-03'),
      '2 Left out: a refund',
    ])
    const again = await p.post(
      '/purchases/import',
      { ...formFields(preview.html, 'preview'), date_order: 'mdy' },
      { multipart: true },
    )
    expect(tableRows(again.html, 'import-preview')[0]).toContain('2026-03-04')
    const fields = formFields(again.html, 'confirm')
    expect(fields).toMatchObject({ format: 'paypal', date_order: 'mdy', expected: '1' })
    await p.submit('/purchases/import', fields, { multipart: true })
    const { items } = await p.vault.purchases.list()
    expect(items.map((i) => [i.seller, i.orderDate, i.total])).toEqual([
      ['Shop A', '2026-03-04', 10],
    ])
  })

  it('a file that is not the chosen export is refused in words, nothing written', async () => {
    const p = await pageClient()
    const res = await p.post(
      '/purchases/import',
      {
        step: 'preview',
        format: 'amazon',
        file: new File(['seller,date,total\nA,2026-01-01,1\n'], 'x.csv', { type: 'text/csv' }),
      },
      { multipart: true },
    )
    expect(res.status).toBe(400)
    expect(text(res.html)).toContain('This is not an Amazon order history file')
  })

  it('emails: an .mbox is previewed with every message listed, and imported on confirm', async () => {
    const p = await pageClient()
    const mbox = readFileSync(
      new URL('../../../consent-api/test/fixtures/imports/orders.mbox', import.meta.url),
    )
    const preview = await p.post(
      '/purchases/import',
      { step: 'preview', format: 'auto', file: new File([mbox], 'Orders.mbox') },
      { multipart: true },
    )
    expect(preview.status).toBe(200)
    expect(text(preview.html)).toContain('Email file with 5 rows: 3 valid , 2 not purchases')
    const rows = tableRows(preview.html, 'import-preview')
    expect(rows[1]).toBe('message 2 Left out: no order markup')
    expect(rows[0]).toContain('Fjord Outdoor')
    const fields = formFields(preview.html, 'confirm')
    expect(fields).toMatchObject({ format: 'email', expected: '3' })
    const list = await p.submit('/purchases/import', fields, { multipart: true })
    expect(list.html).toContain('Imported 3 purchases.')
    const { items } = await p.vault.purchases.list()
    expect(items.map((i) => i.seller).sort()).toEqual([
      'Fjord Outdoor',
      'Moss & Fern Books',
      'Nordlys Books',
    ])
  })

  it('emails: a message without order markup is refused in words', async () => {
    const p = await pageClient()
    const eml = readFileSync(
      new URL('../../../consent-api/test/fixtures/imports/no-markup.eml', import.meta.url),
    )
    const res = await p.post(
      '/purchases/import',
      { step: 'preview', format: 'email', file: new File([eml], 'message.eml') },
      { multipart: true },
    )
    expect(res.status).toBe(400)
    expect(text(res.html)).toContain('The message has no schema.org order markup')
    expect((await p.vault.purchases.list()).items).toHaveLength(0)
  })
})
