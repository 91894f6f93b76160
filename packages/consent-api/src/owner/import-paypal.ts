import type { ValidationIssue } from '@custos/vault'
import { amountProblem, parseAmountText } from './amount-text.js'
import { foldHeader } from './csv-columns.js'
import { type DateOrder, type DetectedDateOrder, dateAs, detectDateOrder } from './date-order.js'
import { type ImportRow, checkRow, csvRecords, problem, rowIssue } from './purchase-import.js'

/**
 * PayPal's activity download ("Activity" → "Download" → CSV): one line per transaction, with
 * "Date", "Time", "TimeZone", "Name", "Type", "Status", "Currency", "Gross", "Fee", "Net",
 * "Transaction ID", "Item Title" and more. Only payments the owner *made* and that *completed*
 * are purchases (a negative gross, of a payment type: express checkout, website, pre-approved,
 * general payments). Everything else is listed as skipped with its reason in words: refunds,
 * money received, transfers to and from the bank or card, currency conversions, holds and
 * authorisations, payments not completed.
 *
 * Exports follow the account's locale: dates day-first (`14/03/2026`, `14.03.2026`) or
 * month-first (`03/14/2026`), amounts with a decimal point or comma (`-1.234,56`). The date order
 * is detected from the whole file (date-order.ts) and may be set by the owner.
 */
export const PAYPAL_SOURCE = 'PayPal activity download'

export interface PaypalImportOptions {
  /** How to read `03/04/2026`; detected from the file when absent. */
  readonly dateOrder?: DateOrder
}

const COLUMNS = {
  date: ['date', 'datum', 'fecha'],
  name: ['name'],
  type: ['type', 'typ', 'tipo'],
  status: ['status', 'estado', 'statut'],
  currency: ['currency', 'wahrung', 'waehrung', 'devise', 'divisa'],
  gross: ['gross', 'brutto', 'bruto', 'avantcommission', 'montantbrut'],
  transactionId: ['transactionid', 'transaktionscode', 'iddetransaction', 'iddetransaccion'],
  itemTitle: ['itemtitle', 'artikelbezeichnung', 'titredelobjet'],
  quantity: ['quantity', 'anzahl', 'quantite'],
} as const
type Column = keyof typeof COLUMNS

/** Why a transaction is not a purchase, in words; undefined when it is one. */
function notAPurchase(type: string, status: string, negative: boolean): string | undefined {
  const t = type.toLowerCase()
  if (/refund|erstattung|rückzahlung|remboursement|reembolso/.test(t)) return 'a refund'
  if (/conversion|umrechnung|währungs/.test(t)) return 'a currency conversion'
  if (
    /transfer|deposit|withdrawal|bank|card deposit|überweisung|einzahlung|abbuchung|auszahlung|retrait|virement/.test(
      t,
    )
  )
    return 'a transfer between your accounts'
  if (/authori[sz]ation|hold|reserve|void|autorisierung|einbehalt/.test(t))
    return 'an authorisation or hold, not a payment'
  if (!/completed|abgeschlossen|termin|completad|complet/i.test(status))
    return 'a payment that did not complete'
  if (!negative) return 'money you received'
  if (!/payment|zahlung|paiement|pago|checkout/.test(t)) return 'not a payment'
  return undefined
}

/** The file's records and where PayPal's columns are; a file without them is refused as a whole. */
function paypalTable(text: string) {
  const { header, rows } = csvRecords(text)
  const folded = header.map(foldHeader)
  const at = Object.fromEntries(
    (Object.keys(COLUMNS) as Column[]).map((c) => [
      c,
      folded.findIndex((h) => (COLUMNS[c] as readonly string[]).includes(h)),
    ]),
  ) as Record<Column, number>
  const missing = (['date', 'name', 'type', 'status', 'currency', 'gross'] as const).filter(
    (c) => at[c] < 0,
  )
  if (missing.length > 0)
    throw problem(
      'This is not a PayPal activity download: it needs the columns "Date", "Name", "Type", "Status", "Currency" and "Gross" (Activity → Download → CSV)',
    )
  const cellOf = (cells: readonly string[], c: Column) =>
    at[c] >= 0 ? (cells[at[c]] ?? '').trim() : ''
  return { rows, at, cellOf }
}

/** How the file's dates are read: the owner's choice, or what its dates show (date-order.ts). */
export function paypalDateOrder(
  text: string,
  options: PaypalImportOptions = {},
): DetectedDateOrder {
  if (options.dateOrder !== undefined) return { order: options.dateOrder, certain: true }
  const { rows, cellOf } = paypalTable(text)
  return detectDateOrder(rows.map((r) => cellOf(r, 'date')))
}

/**
 * The purchases of a PayPal activity CSV, one row per transaction line; lines that are not
 * purchases come back with `skipped`. A file without PayPal's columns is refused as a whole.
 *
 * @example
 * rowsFromPaypal(text) // [{ index: 0, order: { seller: 'Fjord Outdoor', total: 129.9, … } }, { index: 1, skipped: 'a refund' }]
 */
export function rowsFromPaypal(text: string, options: PaypalImportOptions = {}): ImportRow[] {
  const { rows, cellOf } = paypalTable(text)
  const dateOrder = paypalDateOrder(text, options).order ?? 'dmy'
  return rows.map((cells, index): ImportRow => {
    const cell = (c: Column) => cellOf(cells, c)
    const grossText = cell('gross').replace(/\s/g, ' ')
    const negative = /^[-−(]/.test(grossText)
    const why = notAPurchase(cell('type'), cell('status'), negative)
    if (why !== undefined) return { index, skipped: why }
    const extra: ValidationIssue[] = []
    const amount = parseAmountText(grossText.replace(/^[-−(]\s*|\)$/g, ''))
    if (!amount.ok)
      extra.push(rowIssue(index, 'total', `the gross ${amountProblem(amount.reason)}`))
    const title = cell('itemTitle')
    const quantity = Number.parseInt(cell('quantity'), 10)
    const candidate = {
      seller: cell('name'),
      orderDate: dateAs(cell('date'), dateOrder),
      currency: cell('currency').toUpperCase(),
      ...(amount.ok ? { total: amount.value } : {}),
      ...(cell('transactionId') ? { orderNumber: cell('transactionId') } : {}),
      items: title
        ? [
            {
              name: title.slice(0, 300),
              quantity: Number.isInteger(quantity) && quantity > 0 ? quantity : 1,
            },
          ]
        : [],
      notes: `Imported from ${PAYPAL_SOURCE}`,
    }
    return checkRow(index, candidate, extra)
  })
}
