import type { AddPurchaseOptions, Order, ValidationIssue, Vault } from '@custos/vault'
import type { CsvLayout } from './csv-columns.js'
import { type CsvMappingMemory, hasMapping } from './csv-mapping-memory.js'
import type { DetectedDateOrder } from './date-order.js'
import { rowsFromAmazon } from './import-amazon.js'
import { markDuplicates } from './import-duplicates.js'
import { type MailProgress, rowsFromMail } from './import-email.js'
import { type PaypalImportOptions, paypalDateOrder, rowsFromPaypal } from './import-paypal.js'
import { RequestProblem } from './owner-errors.js'
import {
  type CsvImportOptions,
  CsvHeaderProblem,
  type ImportRow,
  csvDateOrder,
  csvLayoutOf,
  csvRecords,
  rowsFromCsv,
  rowsFromJson,
} from './purchase-import.js'

/**
 * The owner's purchase import, used by the owner actions (owner-data-actions.ts) that
 * `POST /owner/purchases/import` and the web page `/purchases/import` both call: one way to read
 * files, map columns, word problems and spot duplicates.
 */
export type ImportSource =
  | { readonly format: 'csv'; readonly text: string; readonly options?: CsvImportOptions }
  | { readonly format: 'json'; readonly doc: unknown }
  /** Amazon's order history (`Retail.OrderHistory.1.csv`, import-amazon.ts). */
  | { readonly format: 'amazon'; readonly text: string }
  /** PayPal's activity download (CSV, import-paypal.ts). */
  | { readonly format: 'paypal'; readonly text: string; readonly options?: PaypalImportOptions }
  /** Order-confirmation emails: one message (`.eml`) or a mailbox (`.mbox`), read as it streams (import-email.ts). */
  | {
      readonly format: 'email'
      readonly chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>
      readonly onProgress?: (progress: MailProgress) => void
    }

/** The formats of {@link ImportSource}, for the API's `format` parameter, the page's choice and the CLI. */
export const IMPORT_FORMATS = ['csv', 'json', 'amazon', 'paypal', 'email'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]
/**
 * The format a file shows, for "detect from the file": mail by its name or its first line
 * (`From ` opens a mailbox), JSON by its name or first character, Amazon's and PayPal's exports by
 * the columns only they have together, any other CSV otherwise.
 */
export function detectImportFormat(fileName: string, head: string): ImportFormat {
  if (/\.(eml|mbox|mbx)$/i.test(fileName) || /^From /.test(head)) return 'email'
  if (/\.json$/i.test(fileName)) return 'json'
  if (!/\.csv$/i.test(fileName) && head.trimStart().startsWith('[')) return 'json'
  const header = (head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').toLowerCase()
  if (header.includes('order id') && header.includes('product name')) return 'amazon'
  if (header.includes('transaction id') && header.includes('gross')) return 'paypal'
  return 'csv'
}

/** The formats whose whole file is text a page can carry between its steps. */
export type TextImportFormat = ImportFormat

/** A preview: every row (valid, with issues, or a duplicate) and, for CSV, how its columns were understood. */
export interface ImportPreviewRows {
  readonly rows: ImportRow[]
  readonly layout?: CsvLayout
  /** CSV: how dates like `03/04/2026` were read, and whether the file settled it (else the owner should confirm). */
  readonly dateOrder?: DetectedDateOrder
  /**
   * CSV: the header and the options the file was read with — the owner's, or (`recalled`) the
   * mapping she confirmed before for a header of this shape (csv-mapping-memory.ts).
   */
  readonly mapping?: CsvMapping
}

export interface CsvMapping {
  readonly header: readonly string[]
  readonly options: CsvImportOptions
  readonly recalled: boolean
}

/** Parses and checks the file and marks duplicates; writes nothing. A file unusable as a whole throws a 400 problem. */
export async function previewImport(
  vault: Vault,
  source: ImportSource,
  memory?: CsvMappingMemory,
): Promise<ImportPreviewRows> {
  if (source.format === 'json')
    return { rows: await markDuplicates(vault, rowsFromJson(source.doc)) }
  if (source.format === 'email')
    return {
      rows: await markDuplicates(vault, await rowsFromMail(source.chunks, source.onProgress)),
    }
  if (source.format === 'amazon')
    return { rows: await markDuplicates(vault, rowsFromAmazon(source.text)) }
  if (source.format === 'paypal')
    return {
      rows: await markDuplicates(vault, rowsFromPaypal(source.text, source.options)),
      dateOrder: paypalDateOrder(source.text, source.options),
    }
  const given = source.options ?? {}
  const header = csvRecords(source.text).header
  const recalled = !hasMapping(given) && memory ? await memory.recall(header) : undefined
  const options = recalled ?? given
  const rows = rowsFromCsv(source.text, options)
  return {
    rows: await markDuplicates(vault, rows),
    layout: csvLayoutOf(source.text, options),
    dateOrder: csvDateOrder(source.text, options),
    mapping: { header, options, recalled: recalled !== undefined },
  }
}

/** What a rejected file tells the owner: a title, fixed issues and, for a header to map, its layout. */
export interface ImportRefusal {
  readonly title: string
  readonly issues: readonly ValidationIssue[]
  readonly layout?: CsvLayout
}

/** The refusal a thrown problem describes, or undefined for anything else (rethrow it). */
export function importRefusal(err: unknown): ImportRefusal | undefined {
  if (err instanceof CsvHeaderProblem)
    return { title: err.problem.title, issues: err.problem.issues ?? [], layout: err.layout }
  if (err instanceof RequestProblem)
    return { title: err.problem.title, issues: err.problem.issues ?? [] }
  return undefined
}

/** A preview for a page: the rows, or why the file as a whole is unusable (with its CSV layout when mapping columns can fix it). */
export type ImportPreview =
  | ({ readonly ok: true } & ImportPreviewRows)
  | ({ readonly ok: false } & ImportRefusal)

/** Whether rows marked as duplicates are written too (`import`) or left out (`skip`). */
export type DuplicateChoice = 'skip' | 'import'

/** The orders an import writes: valid rows, less duplicates unless asked for. */
export function ordersToImport(rows: readonly ImportRow[], duplicates: DuplicateChoice): Order[] {
  return purchasesToImport(rows, duplicates).orders
}

/**
 * The orders an import writes and the options that record where each came from: provenance
 * `import`, and each row's source file when the rows carry one (import-files.ts).
 */
export function purchasesToImport(
  rows: readonly ImportRow[],
  duplicates: DuplicateChoice,
): { readonly orders: Order[]; readonly options: AddPurchaseOptions } {
  const chosen = rows.filter(
    (r) => r.order && (duplicates === 'import' || r.duplicate === undefined),
  )
  const sources = chosen.map((r) => r.source)
  return {
    orders: chosen.map((r) => r.order as Order),
    options: {
      provenance: 'import',
      ...(sources.some((s) => s !== undefined) ? { importSources: sources } : {}),
    },
  }
}
