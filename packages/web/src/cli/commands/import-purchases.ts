/**
 * `custos import-purchases FILE --format amazon|paypal|csv|json|email`: the purchase history
 * import of the web page (Purchases → Import) for files of any size. Without `--yes` it shows the
 * preview — how many purchases would be added, what is wrong in words, what is left out and why,
 * which repeat purchases already in the vault — and writes nothing; with `--yes` it writes the
 * valid rows (duplicates left out unless `--duplicates import`) in one transaction, as imported.
 * A mailbox is read as it streams, with progress on stderr; other files are read whole, up to
 * {@link FILE_MAX_BYTES}.
 */
import { createReadStream, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import {
  DATE_ORDERS,
  type DateOrder,
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportRow,
  type ImportSource,
  type CsvMapping,
  detectImportFormat,
  CsvMappingMemory,
  csvRecords,
  importRefusal,
  importSourceLabel,
  previewImport,
  purchasesToImport,
  withImportSource,
} from '@custos/consent-api'
import type { Command, Invocation } from '../args.js'
import { STORAGE_OPTIONS } from '../config.js'
import { columnsFromMap } from '../csv-map-option.js'
import { CliError, EXIT } from '../exit-codes.js'
import { type ImportProgress, importProgress } from '../import-progress.js'
import { PASSPHRASE_OPTIONS, withUnlockedVault } from '../unlocked-vault.js'

/** CSV and JSON files are read whole: 10,000 rows fit well within this. */
export const FILE_MAX_BYTES = 64 * 1024 * 1024
/** Problems and skipped entries listed one per line; the rest are counted. */
const LISTED = 20

const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined)

async function source(
  file: string,
  format: ImportFormat,
  values: Invocation['values'],
  progress: ImportProgress,
): Promise<ImportSource> {
  if (format === 'email')
    return {
      format,
      chunks: createReadStream(file, { highWaterMark: 1024 * 1024 }),
      onProgress: (p) => progress.update(p),
    }
  if (statSync(file).size > FILE_MAX_BYTES)
    throw new CliError(
      EXIT.failure,
      `custos: ${file} is larger than ${FILE_MAX_BYTES / 1024 / 1024} MB; split it`,
    )
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true })
      .decode(await readFile(file))
      .replace(/^\uFEFF/, '')
  } catch {
    throw new CliError(EXIT.failure, `custos: ${file} is not UTF-8 text; save it as UTF-8`)
  }
  if (format === 'json') {
    try {
      return { format, doc: JSON.parse(text) }
    } catch {
      throw new CliError(EXIT.failure, `custos: ${file} is not valid JSON`)
    }
  }
  const dateOrder = str(values['date-order']) as DateOrder | undefined
  if (format === 'amazon') return { format, text }
  if (format === 'paypal') return { format, text, options: dateOrder ? { dateOrder } : {} }
  const currency = str(values.currency)?.toUpperCase()
  let columns = str(values.columns)?.split(',')
  const map = str(values.map)
  if (map !== undefined) {
    const mapped = columnsFromMap(map, csvRecords(text).header)
    if ('error' in mapped)
      throw new CliError(EXIT.usage, `custos import-purchases: ${mapped.error}`)
    columns = mapped.columns
  }
  return {
    format,
    text,
    options: {
      ...(dateOrder ? { dateOrder } : {}),
      ...(currency ? { currency } : {}),
      ...(columns ? { columns } : {}),
    },
  }
}

const label = (r: ImportRow) => r.where ?? `row ${r.index + 1}`

async function run(invocation: Invocation): Promise<number> {
  const { values, io } = invocation
  const file = resolve(invocation.positionals[0] as string)
  try {
    statSync(file)
  } catch (err) {
    throw new CliError(
      EXIT.failure,
      `custos: cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`,
    )
  }
  const chosen = str(values.format)
  if (chosen !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(chosen))
    throw new CliError(
      EXIT.usage,
      `custos import-purchases: --format must be ${IMPORT_FORMATS.join(', ')}`,
    )
  const dateOrder = str(values['date-order'])
  if (dateOrder !== undefined && !(DATE_ORDERS as readonly string[]).includes(dateOrder))
    throw new CliError(EXIT.usage, 'custos import-purchases: --date-order must be dmy or mdy')
  const duplicates = str(values.duplicates) ?? 'skip'
  if (duplicates !== 'skip' && duplicates !== 'import')
    throw new CliError(EXIT.usage, 'custos import-purchases: --duplicates must be skip or import')
  const format =
    (chosen as ImportFormat | undefined) ??
    detectImportFormat(basename(file), (await readHead(file)).toString('latin1'))

  const progress = importProgress(io.stderr, statSync(file).size)
  if (values.map !== undefined && values.columns !== undefined)
    throw new CliError(EXIT.usage, 'custos import-purchases: give --map or --columns, not both')
  return withUnlockedVault(invocation, async ({ vault, database }) => {
    // The mappings the owner confirmed per header shape, the same the web page remembers.
    const memory = CsvMappingMemory.of({ vault, database })
    let rows: ImportRow[]
    let mapping: CsvMapping | undefined
    try {
      const preview = await previewImport(
        vault,
        await source(file, format, values, progress),
        memory,
      )
      mapping = preview.mapping
      // Each purchase records the file it came from, as the web page's import does.
      rows = withImportSource(preview.rows, importSourceLabel(format, basename(file)))
    } catch (err) {
      const refusal = importRefusal(err)
      if (!refusal) throw err
      const issues = refusal.issues.map((i) => `\n  ${i.message}`).join('')
      throw new CliError(EXIT.failure, `custos: ${refusal.title}. Nothing was imported.${issues}`)
    } finally {
      progress.done()
    }
    const valid = rows.filter((r) => r.order)
    const dupes = valid.filter((r) => r.duplicate)
    const invalid = rows.filter((r) => r.issues)
    const skipped = rows.filter((r) => r.skipped)
    const out = io.stdout
    if (mapping?.recalled)
      out.write(
        `Read with the columns, currency and date order confirmed before for files with this header (--map or --columns to change them).\n`,
      )
    out.write(
      `${file} (${format}): ${valid.length} purchases, ${invalid.length} with issues, ${skipped.length} not purchases, ${dupes.length} already in the vault or repeated.\n`,
    )
    for (const r of invalid.slice(0, LISTED))
      for (const i of r.issues ?? []) out.write(`  ${label(r)}: ${i.message}\n`)
    for (const r of skipped.slice(0, LISTED)) out.write(`  ${label(r)}: left out, ${r.skipped}\n`)
    for (const r of dupes.slice(0, LISTED))
      out.write(
        `  ${label(r)}: ${r.duplicate === 'vault' ? 'already in your purchases' : 'repeats an earlier entry'}\n`,
      )
    const more = Math.max(0, invalid.length - LISTED) + Math.max(0, skipped.length - LISTED)
    if (more > 0) out.write(`  … and ${more} more\n`)
    const { orders, options } = purchasesToImport(rows, duplicates)
    if (values.yes !== true) {
      out.write(
        `Nothing was written. Run again with --yes to import ${orders.length} purchase${orders.length === 1 ? '' : 's'}.\n`,
      )
      return EXIT.ok
    }
    const added = orders.length > 0 ? await vault.purchases.addMany(orders, options) : []
    // What was confirmed for this header is used again for the next file of its shape.
    if (mapping) await memory.remember(mapping.header, mapping.options)
    out.write(`Imported ${added.length} purchase${added.length === 1 ? '' : 's'} from ${file}.\n`)
    return EXIT.ok
  })
}

/** The first bytes of a file, to tell its format. */
async function readHead(file: string): Promise<Buffer> {
  const stream = createReadStream(file, { start: 0, end: 4095 })
  const parts: Buffer[] = []
  for await (const chunk of stream) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

export const importPurchasesCommand: Command = {
  name: 'import-purchases',
  summary: 'Import purchase history from a shop, payment or email export (preview first).',
  positionals: ['FILE'],
  options: {
    ...STORAGE_OPTIONS,
    ...PASSPHRASE_OPTIONS,
    format: {
      type: 'string',
      arg: 'FORMAT',
      help: 'amazon, paypal, csv, json or email (default: told from the file)',
    },
    yes: { type: 'boolean', help: 'write the purchases (without it, only the preview is shown)' },
    duplicates: {
      type: 'string',
      arg: 'CHOICE',
      help: 'skip (default) or import purchases already in the vault',
    },
    'date-order': {
      type: 'string',
      arg: 'ORDER',
      help: 'dmy or mdy: how to read dates like 03/04/2026 (default: detected)',
    },
    currency: { type: 'string', arg: 'CODE', help: 'csv: the currency of rows that name none' },
    columns: {
      type: 'string',
      arg: 'LIST',
      help: 'csv: what each column holds, comma-separated (seller,orderDate,ignore,total,…)',
    },
    map: {
      type: 'string',
      arg: 'PAIRS',
      help: 'csv: which column holds what by its header, e.g. date=Buchungstag,seller=Empfänger,total=Betrag (remembered for files with this header)',
    },
  },
  details: `Formats: amazon — Retail.OrderHistory.1.csv from Amazon's "Request your data" archive; paypal — PayPal's activity download (CSV); csv — any shop or bank CSV with a header row; json — an array of orders; email — one message (.eml) or a mailbox (.mbox), read for schema.org order markup.
Nothing is written without --yes. Rows with issues and entries that are not purchases are listed and left out; a mailbox is read as it streams, with progress on stderr.`,
  run,
}
