import { z } from 'zod'
import { Order, type ValidationIssue } from '@custos/vault'
import { CsvSyntaxError, parseCsv } from './csv.js'
import { RequestProblem } from './owner-errors.js'
import { zodIssues } from './owner-input.js'

/**
 * Turning an import file into orders, row by row, without writing anything: a JSON array of
 * schema.org Orders, or CSV with a header row naming some of {@link CSV_COLUMNS}. Each row comes
 * back either as a valid order or with its issues (paths and fixed messages, never the cell's
 * content), so a preview can show every problem at once and a real import can refuse the
 * whole file if any row is wrong.
 */
export const IMPORT_MAX_ROWS = 10_000
export const CSV_COLUMNS = ['seller', 'orderDate', 'orderNumber', 'category', 'currency', 'total', 'notes'] as const
type CsvColumn = (typeof CSV_COLUMNS)[number]
const REQUIRED: readonly CsvColumn[] = ['seller', 'orderDate', 'currency', 'total']

export interface ImportRow {
  /** 0-based position among the data rows (the CSV header is not counted). */
  readonly index: number
  readonly order?: Order
  readonly issues?: ValidationIssue[]
}

const problem = (title: string, issues?: ValidationIssue[]) => new RequestProblem({ status: 400, code: 'ERR_VALIDATION', title, ...(issues ? { issues } : {}) })

function checkRow(index: number, candidate: unknown, extra: ValidationIssue[] = []): ImportRow {
  const parsed = Order.safeParse(candidate)
  const skip = new Set(extra.map((i) => i.path))
  const issues = [...extra, ...(parsed.success ? [] : zodIssues(parsed.error).filter((i) => !skip.has(i.path)))]
  if (issues.length > 0) return { index, issues }
  return { index, order: parsed.data as Order }
}

/** A JSON import: an array of orders. */
export function rowsFromJson(doc: unknown): ImportRow[] {
  const list = z.array(z.unknown()).min(1).max(IMPORT_MAX_ROWS).safeParse(doc)
  if (!list.success) throw problem(`Expected an array of 1 to ${IMPORT_MAX_ROWS} orders`)
  return list.data.map((candidate, index) => checkRow(index, candidate))
}

const COLUMN_BY_NAME = new Map<string, CsvColumn>(CSV_COLUMNS.map((c) => [c.toLowerCase(), c]))
/** A plain decimal amount: digits, optionally a point and up to four more (no exponent, no grouping). */
const DECIMAL = /^[0-9]{1,13}(\.[0-9]{1,4})?$/

function headerColumns(header: readonly string[]): CsvColumn[] {
  const columns: CsvColumn[] = []
  const issues: ValidationIssue[] = []
  header.forEach((name, i) => {
    const column = COLUMN_BY_NAME.get(name.trim().toLowerCase())
    if (!column) issues.push({ path: `header.${i}`, message: `Unknown column; expected some of ${CSV_COLUMNS.join(', ')}` })
    else if (columns.includes(column)) issues.push({ path: `header.${i}`, message: 'Column given twice' })
    else columns.push(column)
  })
  for (const required of REQUIRED) if (!columns.includes(required)) issues.push({ path: 'header', message: `Missing column ${required}` })
  if (issues.length > 0) throw problem('The CSV header is not usable', issues)
  return columns
}

/** A CSV import: header row, then one order per row; empty cells are left out. */
export function rowsFromCsv(text: string): ImportRow[] {
  let records: string[][]
  try {
    records = parseCsv(text, { maxRecords: IMPORT_MAX_ROWS + 1, maxFields: 50 })
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw problem('The CSV is malformed', [{ path: `line ${err.line}`, message: err.message }])
    throw err
  }
  const [header, ...rows] = records
  if (!header || rows.length === 0) throw problem('The CSV needs a header row and at least one order')
  const columns = headerColumns(header)
  return rows.map((cells, index) => {
    if (cells.length !== columns.length) return { index, issues: [{ path: '(row)', message: `Expected ${columns.length} cells` }] }
    const candidate: Record<string, unknown> = {}
    const extra: ValidationIssue[] = []
    columns.forEach((column, i) => {
      const cell = (cells[i] as string).trim()
      if (cell === '') return
      if (column !== 'total') candidate[column] = cell
      else if (DECIMAL.test(cell)) candidate.total = Number(cell)
      else extra.push({ path: 'total', message: 'Expected a decimal amount such as 12.50' })
    })
    return checkRow(index, candidate, extra)
  })
}
