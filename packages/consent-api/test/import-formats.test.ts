/**
 * Issue 14 (P6, "Real data in"): the importers for the exports people have — Amazon's order
 * history and PayPal's activity download — read from fixtures the project wrote itself, and the
 * date-order detection the generic CSV import shares.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { detectDateOrder, dateAs } from '../src/owner/date-order.js'
import { rowsFromAmazon } from '../src/owner/import-amazon.js'
import { rowsFromPaypal } from '../src/owner/import-paypal.js'
import { RequestProblem } from '../src/owner/owner-errors.js'

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/imports/${name}`, import.meta.url), 'utf8')

describe('Amazon order history (Retail.OrderHistory.1.csv)', () => {
  const rows = rowsFromAmazon(fixture('amazon-Retail.OrderHistory.1.csv'))

  it('groups the items of one order into one purchase and sums what was owed', () => {
    expect(rows).toHaveLength(5)
    const [first] = rows
    expect(first?.where).toBe('lines 2–3')
    expect(first?.order).toMatchObject({
      seller: 'Amazon.de',
      orderNumber: '302-1111111-1000001',
      orderDate: '2026-01-09T18:22:31Z',
      currency: 'EUR',
      total: 41.97,
      notes: 'Imported from Amazon order history',
    })
    expect(first?.order?.items).toEqual([
      {
        name: 'Wool hiking socks, 3 pairs, size 39-42',
        quantity: 1,
        sku: 'B0TEST0001',
        price: 16.8,
      },
      { name: 'Trail running shoe insoles', quantity: 2, sku: 'B0TEST0002', price: 18.47 },
    ])
  })

  it('keeps the shop and currency of each order', () => {
    expect(rows[2]?.order).toMatchObject({ seller: 'Amazon.co.uk', currency: 'GBP', total: 12 })
  })

  it('lists a cancelled order as skipped and an unreadable amount as an issue in words', () => {
    expect(rows[3]).toMatchObject({ skipped: 'a cancelled order', where: 'line 6' })
    expect(rows[3]?.order).toBeUndefined()
    expect(rows[4]?.order).toBeUndefined()
    expect(rows[4]?.issues?.[0]?.message).toMatch(/^Row 5: the total on line 7 is not an amount/)
    expect(JSON.stringify(rows[4])).not.toContain('twelve')
  })

  it('refuses a file that is not an Amazon export, saying what it needs', () => {
    expect(() => rowsFromAmazon('seller,date,total\nFjord,2026-01-01,10\n')).toThrow(RequestProblem)
    expect(() => rowsFromAmazon('seller,date,total\nFjord,2026-01-01,10\n')).toThrow(
      /not an Amazon order history file/,
    )
  })

  it('refuses a truncated file (a quoted field never closed) with its line', () => {
    const text = fixture('amazon-Retail.OrderHistory.1.csv')
    const cut = text.slice(0, text.indexOf('Trail running'))
    try {
      rowsFromAmazon(cut)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(RequestProblem)
      expect((err as RequestProblem).problem.title).toBe('The CSV is malformed')
    }
  })
})

describe('PayPal activity download', () => {
  it('imports completed payments you made; refunds, transfers, pending and received money are skipped with a reason', () => {
    const rows = rowsFromPaypal(fixture('paypal-activity-en-GB.csv'))
    expect(rows.map((r) => r.skipped ?? r.order?.seller)).toEqual([
      'Fjord Outdoor Ltd',
      'a transfer between your accounts',
      'a refund',
      'Moss & Fern Books',
      'a payment that did not complete',
      'money you received',
    ])
    expect(rows[0]?.order).toMatchObject({
      orderDate: '2026-01-05',
      currency: 'GBP',
      total: 129.9,
      orderNumber: '1AB23456CD7890001',
      items: [{ name: "Rain jacket, women's M", quantity: 1 }],
      notes: 'Imported from PayPal activity download',
    })
    // Day-first detected from 17/01/2026; thousands separators read.
    expect(rows[3]?.order).toMatchObject({ orderDate: '2026-02-02', total: 1234.5 })
  })

  it('reads a German export: its column names, dotted dates and decimal commas', () => {
    const rows = rowsFromPaypal(fixture('paypal-activity-de-DE.csv'))
    expect(rows.map((r) => r.skipped ?? [r.order?.orderDate, r.order?.total])).toEqual([
      ['2026-03-14', 129.9],
      ['2026-03-15', 1049],
      'a currency conversion',
    ])
  })

  it('reads month-first dates when the file says so, or when the owner does', () => {
    const us = [
      'Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,Transaction ID',
      '03/04/2026,10:00:00,PST,Shop A,Express Checkout Payment,Completed,USD,-10.00,0.00,-10.00,T1',
      '03/14/2026,10:00:00,PST,Shop B,Express Checkout Payment,Completed,USD,-12.50,0.00,-12.50,T2',
    ].join('\n')
    expect(rowsFromPaypal(us).map((r) => r.order?.orderDate)).toEqual(['2026-03-04', '2026-03-14'])
    const ambiguous = us.split('\n').slice(0, 2).join('\n')
    expect(rowsFromPaypal(ambiguous)[0]?.order?.orderDate).toBe('2026-04-03')
    expect(rowsFromPaypal(ambiguous, { dateOrder: 'mdy' })[0]?.order?.orderDate).toBe('2026-03-04')
  })

  it('refuses a file that is not a PayPal download', () => {
    expect(() => rowsFromPaypal(fixture('amazon-Retail.OrderHistory.1.csv'))).toThrow(
      /not a PayPal activity download/,
    )
  })
})

describe('date order', () => {
  it.each([
    [['2026-03-14'], { certain: true }],
    [['03/04/2026', '25/04/2026'], { order: 'dmy', certain: true }],
    [['03/04/2026', '04/25/2026'], { order: 'mdy', certain: true }],
    [['03/04/2026'], { order: 'dmy', certain: false }],
    [['14.03.2026'], { order: 'dmy', certain: true }],
  ] as const)('%j → %j', (cells, expected) => {
    expect(detectDateOrder(cells)).toEqual(expected)
  })

  it('reads a date in the order given, and leaves ISO dates alone', () => {
    expect(dateAs('3/4/26', 'mdy')).toBe('2026-03-04')
    expect(dateAs('3/4/2026', 'dmy')).toBe('2026-04-03')
    expect(dateAs('14.03.2026', 'mdy')).toBe('2026-03-14')
    expect(dateAs('2026-03-14T10:00:00Z', 'mdy')).toBe('2026-03-14T10:00:00Z')
  })
})
