import { z } from 'zod'
import { Order, type ValidationIssue } from '@custos/vault'
import { apiProblem, zodIssues } from '../problem.js'
import { amountProblem, parseAmountText } from './amount-text.js'
import { type ColumnMapping, type CsvLayout, csvLayout, layoutIssues } from './csv-columns.js'
import { CsvSyntaxError, parseCsv } from './csv.js'
import { type DateOrder, type DetectedDateOrder, dateAs, detectDateOrder } from './date-order.js'
import { RequestProblem } from './owner-errors.js'

/**
 * Turning an import file into orders, row by row, without writing anything: a JSON array of
 * schema.org Orders, or CSV with a header row (csv-columns.ts says which names are understood).
 * Each row comes back either as a valid order or with its issues — paths, and messages in words
 * that name the row and say how to write the value, never the cell's content — so a preview can
 * show every problem at once and a real import can refuse the whole file if any row is wrong.
 */
export const IMPORT_MAX_ROWS = 10_000

export interface ImportRow {
  /** 0-based position among the data rows (the CSV header is not counted). */
  readonly index: number
  readonly order?: Order
  readonly issues?: ValidationIssue[]
  /** A valid row that repeats a purchase already in the vault, or an earlier row of the file (import-duplicates.ts). */
  readonly duplicate?: 'vault' | 'file'
  /**
   * Why a well-formed entry is not a purchase and is left out (a refund, a transfer, a message
   * without order markup): fixed words, never the entry's content. Such a row is not an error.
   */
  readonly skipped?: string
  /** Where in the file the row comes from when that is not one CSV line: `lines 4–6`, `message 3`. */
  readonly where?: string
  /** The file the row comes from, as `format: file name`, when an import reads several (import-files.ts). */
  readonly source?: string
}

/** How a CSV file is read: the owner's column mapping, and the currency of rows that name none. */
export interface CsvImportOptions {
  readonly columns?: ColumnMapping
  readonly currency?: string
  /** How to read `03/04/2026` (date-order.ts); detected from the date column when absent. */
  readonly dateOrder?: DateOrder
}

export const problem = (title: string, issues?: ValidationIssue[]) =>
  new RequestProblem(apiProblem('ERR_VALIDATION', title, issues))

/** What is wrong with a field, in words; keyed by the issue path's first part. */
const FIELD_WORDS: Record<string, string> = {
  seller: 'the seller is missing or longer than 200 characters',
  orderDate: 'the date is not a date (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)',
  orderNumber: 'the order number is longer than 100 characters',
  category: 'the category is empty or longer than 80 characters',
  currency: 'the currency is not a three-letter code such as EUR',
  total: 'the total is missing or not an amount (write it like 129.90 or 129,90)',
  items: 'the items are not a list of up to 500 items, each with a name',
  notes: 'the notes are longer than 4000 characters',
}

export const rowIssue = (index: number, path: string, words: string): ValidationIssue => ({
  path,
  message: `Row ${index + 1}: ${words}`,
})

export function checkRow(
  index: number,
  candidate: unknown,
  extra: ValidationIssue[] = [],
): ImportRow {
  const parsed = Order.safeParse(candidate)
  const skip = new Set(extra.map((i) => i.path))
  const found = parsed.success ? [] : zodIssues(parsed.error).filter((i) => !skip.has(i.path))
  const worded = found.map((i) => {
    const field = i.path.split('.')[0] ?? ''
    return rowIssue(
      index,
      i.path,
      FIELD_WORDS[field] ??
        (i.path === ''
          ? 'the order has properties an order does not have'
          : 'this value is not valid'),
    )
  })
  // One message per field: zod may report a field twice (a union's branches).
  const seen = new Set<string>()
  const issues = [...extra, ...worded].filter((i) => {
    if (seen.has(i.path)) return false
    seen.add(i.path)
    return true
  })
  if (issues.length > 0) return { index, issues }
  return { index, order: parsed.data as Order }
}

/** A JSON import: an array of orders. */
export function rowsFromJson(doc: unknown): ImportRow[] {
  const list = z.array(z.unknown()).min(1).max(IMPORT_MAX_ROWS).safeParse(doc)
  if (!list.success) throw problem(`Expected an array of 1 to ${IMPORT_MAX_ROWS} orders`)
  return list.data.map((candidate, index) => checkRow(index, candidate))
}

/** Reads a CSV file's header and records; a malformed file is refused with its line. */
export function csvRecords(text: string): { header: string[]; rows: string[][] } {
  let records: string[][]
  try {
    records = parseCsv(text, { maxRecords: IMPORT_MAX_ROWS + 1, maxFields: 50 })
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      throw problem('The CSV is malformed', [{ path: `line ${err.line}`, message: err.message }])
    throw err
  }
  const [header, ...rows] = records
  if (!header || rows.length === 0)
    throw problem('The CSV needs a header row and at least one order')
  return { header, rows }
}

/** How a CSV file's header is understood with the given options (for the preview's mapping step). */
export function csvLayoutOf(text: string, options: CsvImportOptions = {}): CsvLayout {
  return csvLayout(csvRecords(text).header, options.columns, options.currency)
}

/** Thrown when a CSV header is not usable as it stands: carries the layout, so the owner can map it. */
export class CsvHeaderProblem extends RequestProblem {
  readonly layout: CsvLayout
  constructor(layout: CsvLayout) {
    super(apiProblem('ERR_VALIDATION', 'The CSV header is not usable', layoutIssues(layout)))
    this.layout = layout
  }
}

/** How the dates of a CSV file were read: the owner's choice, or what its date column shows. */
export function csvDateOrder(text: string, options: CsvImportOptions = {}): DetectedDateOrder {
  if (options.dateOrder !== undefined) return { order: options.dateOrder, certain: true }
  const { header, rows } = csvRecords(text)
  const at = csvLayout(header, options.columns, options.currency).columns.indexOf('orderDate')
  return at < 0 ? { certain: true } : detectDateOrder(rows.map((r) => r[at] ?? ''))
}

/** A CSV import: header row, then one order per row; empty cells are left out. */
export function rowsFromCsv(text: string, options: CsvImportOptions = {}): ImportRow[] {
  const { header, rows } = csvRecords(text)
  const layout = csvLayout(header, options.columns, options.currency)
  if (layoutIssues(layout).length > 0) throw new CsvHeaderProblem(layout)
  const dateOrder = csvDateOrder(text, options).order
  return rows.map((cells, index) => {
    if (cells.length !== header.length)
      return {
        index,
        issues: [
          rowIssue(
            index,
            '(row)',
            `has ${cells.length} cells where the header has ${header.length}`,
          ),
        ],
      }
    const candidate: Record<string, unknown> =
      options.currency !== undefined ? { currency: options.currency } : {}
    const extra: ValidationIssue[] = []
    layout.columns.forEach((column, i) => {
      const cell = (cells[i] ?? '').trim()
      if (column === null || cell === '') return
      if (column === 'total') {
        const amount = parseAmountText(cell)
        if (amount.ok) candidate.total = amount.value
        else extra.push(rowIssue(index, 'total', `the total ${amountProblem(amount.reason)}`))
      } else if (column === 'orderDate') candidate.orderDate = dateAs(cell, dateOrder)
      else if (column === 'currency') candidate.currency = cell.toUpperCase()
      else candidate[column] = cell
    })
    return checkRow(index, candidate, extra)
  })
}
