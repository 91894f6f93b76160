/**
 * Issue 4, page 4: spending charts — the pure SVG renderer (bars proportional to known totals,
 * title/desc, a data table alternative) and the page's totals per currency, by month and seller.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { OrderInput } from '@custos/vault'
import { spendingTotals } from '../../src/pages/purchases-spending.js'
import { spendingChartSvg, spendingFigure } from '../../src/pages/spending-chart.js'
import { disposePageClients, pageClient } from '../support/page-client.js'

afterEach(disposePageClients)

/** Each bar's label, amount and drawn width, in order. */
function bars(svg: string): { label: string; amount: number; width: number }[] {
  return [
    ...svg.matchAll(
      /<rect class="bar" x="\d+" y="\d+" width="([\d.]+)" height="\d+" data-label="([^"]*)" data-amount="([\d.]+)">/g,
    ),
  ].map((m) => ({
    label: m[2] as string,
    amount: Number(m[3]),
    width: Number(m[1]),
  }))
}

describe('spendingChartSvg', () => {
  it('draws one bar per total, the largest full width and the others in proportion', async () => {
    const svg = String(
      await spendingChartSvg({
        id: 'm',
        title: 'Spending by month (EUR)',
        description: 'Per month',
        currency: 'EUR',
        bars: [
          { label: '2026-01', amount: 100 },
          { label: '2026-02', amount: 350 },
          { label: '2026-03', amount: 0 },
          { label: '2026-04', amount: 175 },
        ],
      }),
    )
    const drawn = bars(svg)
    expect(drawn.map((b) => [b.label, b.amount])).toEqual([
      ['2026-01', 100],
      ['2026-02', 350],
      ['2026-03', 0],
      ['2026-04', 175],
    ])
    const full = drawn[1]?.width as number
    expect(full).toBe(350) // the bar area: 640 wide minus the label and value columns
    expect(drawn.map((b) => b.width)).toEqual([100, 350, 0, 175])
    expect(svg).toMatch(/^<svg class="chart" role="img" [^>]*aria-labelledby="m-title m-desc"/)
    expect(svg).toContain(
      '<title id="m-title">Spending by month (EUR)</title><desc id="m-desc">Per month</desc>',
    )
    expect(svg).toContain('<title>2026-02: €350.00</title>')
    expect(svg).not.toContain('style=')
  })

  it('escapes labels, draws nothing for no data, and offers the numbers as a table', async () => {
    const svg = String(
      await spendingChartSvg({
        id: 's',
        title: 'T',
        description: 'D',
        currency: 'XYZ',
        bars: [{ label: '<b>Shop</b>', amount: 5 }],
      }),
    )
    expect(svg).not.toContain('<b>')
    expect(svg).toContain('&lt;b&gt;Shop&lt;/b&gt;')
    expect(
      bars(
        String(
          await spendingChartSvg({
            id: 'e',
            title: 'T',
            description: 'D',
            currency: 'EUR',
            bars: [],
          }),
        ),
      ),
    ).toEqual([])
    const figure = String(
      await spendingFigure(
        {
          id: 'f',
          title: 'By seller',
          description: 'D',
          currency: 'EUR',
          bars: [{ label: 'Fjord', amount: 12.5 }],
        },
        'Seller',
      ),
    )
    expect(figure).toContain('<caption>By seller</caption>')
    expect(figure).toContain('<tr><th scope="row">Fjord</th><td>€12.50</td></tr>')
  })
})

const ORDERS: OrderInput[] = [
  { seller: 'Fjord Outdoor', orderDate: '2026-01-05', currency: 'EUR', total: 0.1 },
  { seller: 'Fjord Outdoor', orderDate: '2026-01-25', currency: 'EUR', total: 0.2 },
  { seller: 'Book Nook', orderDate: '2026-02-11', currency: 'EUR', total: 18.5 },
  { seller: 'Corner Grocer', orderDate: '2026-03-01T23:30:00Z', currency: 'EUR', total: 12.25 },
  { seller: 'London Maps', orderDate: '2026-03-02', currency: 'GBP', total: 40 },
]

describe('spending totals and /purchases/spending', () => {
  it('totals per currency by month and seller, never adding currencies together', async () => {
    const p = await pageClient()
    await p.vault.purchases.addMany(ORDERS)
    const totals = await spendingTotals(p.vault, {})
    expect(totals.truncated).toBe(false)
    expect(totals.scanned).toBe(5)
    expect(totals.currencies.map((c) => [c.currency, c.count, c.total])).toEqual([
      ['EUR', 4, 31.05],
      ['GBP', 1, 40],
    ])
    expect(totals.currencies[0]?.byMonth).toEqual([
      { label: '2026-01', amount: 0.3 },
      { label: '2026-02', amount: 18.5 },
      { label: '2026-03', amount: 12.25 },
    ])
    expect(totals.currencies[0]?.bySeller).toEqual([
      { label: 'Book Nook', amount: 18.5 },
      { label: 'Corner Grocer', amount: 12.25 },
      { label: 'Fjord Outdoor', amount: 0.3 },
    ])
    const page = await p.get('/purchases/spending')
    expect(page.status).toBe(200)
    expect(page.html).toContain('<title id="month-0-title">Spending by month (EUR)</title>')
    expect(page.html).toContain('<title id="seller-1-title">Spending by seller (GBP)</title>')
    expect(bars(page.html).filter((b) => b.label === 'London Maps')).toEqual([
      { label: 'London Maps', amount: 40, width: 350 },
    ])
    expect(page.html).toContain('amounts in different currencies are never added together')
  })

  it('charts only what the filters select, and says when the scan was cut short', async () => {
    const p = await pageClient()
    await p.vault.purchases.addMany(ORDERS)
    const page = await p.get('/purchases/spending?seller=Fjord+Outdoor')
    expect(bars(page.html).map((b) => [b.label, b.amount])).toEqual([
      ['2026-01', 0.3],
      ['Fjord Outdoor', 0.3],
    ])
    const cut = await spendingTotals(p.vault, {}, 3)
    expect(cut).toMatchObject({ scanned: 3, truncated: true })
    expect(cut.currencies.map((c) => c.count)).toEqual([2, 1])
  })
})
