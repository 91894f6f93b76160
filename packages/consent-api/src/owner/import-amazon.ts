import type { ValidationIssue } from '@custos/vault'
import { amountProblem, parseAmountText } from './amount-text.js'
import { foldHeader } from './csv-columns.js'
import { type ImportRow, checkRow, csvRecords, problem, rowIssue } from './purchase-import.js'

/**
 * Amazon's order history, as found in the archive a customer receives from "Request your data"
 * (`Retail.OrderHistory.1.csv`): one line per item shipped, so an order of three items is three
 * lines sharing its "Order ID". Each order becomes one purchase: its items listed, its total the
 * sum of the lines' "Total Owed" (what was charged for each item, tax and shipping included) — or,
 * in older exports without that column, "Unit Price" × "Quantity". The seller is the shop the
 * order was placed with ("Website": `Amazon.de`), cancelled orders are listed as skipped.
 *
 * The export writes "Not Available" where it has nothing; such cells count as empty.
 */
export const AMAZON_SOURCE = 'Amazon order history'

const COLUMNS = {
  website: 'website',
  orderId: 'orderid',
  orderDate: 'orderdate',
  currency: 'currency',
  unitPrice: 'unitprice',
  totalOwed: 'totalowed',
  quantity: 'quantity',
  asin: 'asin',
  productName: 'productname',
  orderStatus: 'orderstatus',
} as const
type Column = keyof typeof COLUMNS

const EMPTY = new Set(['', 'notavailable', 'notapplicable', 'na'])

interface Line {
  readonly line: number
  readonly cell: (c: Column) => string
}

/** Amazon writes amounts with a decimal point; `1,234.56` and the like are still read, a bare `-` is zero. */
function amount(cell: string): ReturnType<typeof parseAmountText> {
  const text = cell.replace(/^[^0-9-]*/, '').trim()
  if (/^-?[0-9]+(\.[0-9]{1,4})?$/.test(text)) return { ok: true, value: Math.abs(Number(text)) }
  return parseAmountText(text.replace(/^-/, ''))
}

function order(index: number, lines: readonly Line[]): ImportRow {
  const first = lines[0] as Line
  const where =
    lines.length === 1
      ? `line ${first.line}`
      : `lines ${first.line}–${(lines[lines.length - 1] as Line).line}`
  if (lines.every((l) => /cancel/i.test(l.cell('orderStatus'))))
    return { index, where, skipped: 'a cancelled order' }
  const extra: ValidationIssue[] = []
  let total = 0
  const items = lines.flatMap((l) => {
    const quantity = Number.parseInt(l.cell('quantity') || '1', 10)
    const qty = Number.isInteger(quantity) && quantity > 0 ? quantity : 1
    const price = l.cell('unitPrice') ? amount(l.cell('unitPrice')) : undefined
    const owed = l.cell('totalOwed') ? amount(l.cell('totalOwed')) : undefined
    const charged = owed ?? (price?.ok ? { ok: true as const, value: price.value * qty } : price)
    if (!charged) extra.push(rowIssue(index, 'total', `the item on line ${l.line} has no price`))
    else if (!charged.ok)
      extra.push(
        rowIssue(index, 'total', `the total on line ${l.line} ${amountProblem(charged.reason)}`),
      )
    else total += charged.value
    const name = l.cell('productName')
    if (!name) return []
    return [
      {
        name: name.slice(0, 300),
        quantity: qty,
        ...(l.cell('asin') ? { sku: l.cell('asin').slice(0, 100) } : {}),
        ...(price?.ok ? { price: price.value } : {}),
      },
    ]
  })
  const website = first.cell('website')
  const candidate = {
    seller: website ? (/^amazon/i.test(website) ? website : `Amazon (${website})`) : 'Amazon',
    orderDate: first.cell('orderDate'),
    orderNumber: first.cell('orderId'),
    currency: first.cell('currency').toUpperCase(),
    // Sums of cents: rounding keeps 0.1 + 0.2 from becoming 0.30000000000000004.
    ...(extra.length === 0 ? { total: Math.round(total * 10_000) / 10_000 } : {}),
    items,
    notes: `Imported from ${AMAZON_SOURCE}`,
  }
  // The issues of this order count once each (several lines may lack a price).
  const row = checkRow(index, candidate, extra.slice(0, 1))
  return { ...row, where }
}

/**
 * The orders of an Amazon order-history CSV, one row per order (in the order of their first
 * line). A file that is not such an export (a required column missing) is refused as a whole.
 *
 * @example
 * rowsFromAmazon(readFileSync('Retail.OrderHistory.1.csv', 'utf8'))
 * // [{ index: 0, where: 'lines 2–3', order: { seller: 'Amazon.de', orderNumber: '302-…', total: 41.98, items: [2 items], … } }]
 */
export function rowsFromAmazon(text: string): ImportRow[] {
  const { header, rows } = csvRecords(text)
  const folded = header.map(foldHeader)
  const at = Object.fromEntries(
    (Object.keys(COLUMNS) as Column[]).map((c) => [c, folded.indexOf(COLUMNS[c])]),
  ) as Record<Column, number>
  const missing = (['orderId', 'orderDate', 'currency', 'productName'] as const).filter(
    (c) => at[c] < 0,
  )
  if (missing.length > 0 || (at.totalOwed < 0 && at.unitPrice < 0))
    throw problem(
      'This is not an Amazon order history file: it needs the columns "Order ID", "Order Date", "Currency", "Product Name" and "Total Owed" or "Unit Price" (Retail.OrderHistory.1.csv in the archive from "Request your data")',
    )
  const groups = new Map<string, Line[]>()
  const lonely: ImportRow[] = []
  rows.forEach((cells, i) => {
    const line = i + 2
    const cell = (c: Column) => {
      const value = at[c] >= 0 ? (cells[at[c]] ?? '').trim() : ''
      return EMPTY.has(foldHeader(value)) ? '' : value
    }
    const id = cell('orderId')
    if (id === '') {
      lonely.push({
        index: -1,
        where: `line ${line}`,
        issues: [{ path: 'orderNumber', message: `Line ${line}: the line has no order ID` }],
      })
      return
    }
    const group = groups.get(id)
    if (group) group.push({ line, cell })
    else groups.set(id, [{ line, cell }])
  })
  const orders = [...groups.values()].map((lines, index) => order(index, lines))
  return [...orders, ...lonely.map((r, i) => ({ ...r, index: orders.length + i }))]
}
