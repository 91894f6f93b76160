import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { Order, type ValidationIssue } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import {
  BodyTooLargeError,
  IMPORT_BODY_LIMIT,
  limitedChunks,
  ownerBodyLimit,
  tooLarge,
} from './body-limits.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { apiProblem, problemResponse } from '../problem.js'
import { RequestProblem } from './owner-errors.js'
import {
  DateOrDateTime,
  RecordId,
  intParam,
  jsonBody,
  mediaType,
  parseJsonText,
  pathParam,
  queryParams,
  unsupportedMediaType,
} from './owner-input.js'
import { CSV_COLUMNS } from './csv-columns.js'
import { DATE_ORDERS } from './date-order.js'
import type { ImportSource } from './purchase-import-service.js'
import { importSourceLabel, withImportSource } from './import-files.js'

/** `GET /owner/purchases` filters; they combine with AND. */
export const PurchaseListQuery = z
  .object({
    seller: z.string().trim().min(1).max(200).optional(),
    /** Part of a seller's name, case and accents ignored ("amazon" finds "Amazon.co.uk"). */
    sellerContains: z.string().trim().min(1).max(200).optional(),
    category: z.string().trim().min(1).max(80).optional(),
    since: DateOrDateTime.optional(),
    until: DateOrDateTime.optional(),
    cursor: z.string().min(1).max(200).optional(),
    limit: intParam(1, 500).optional(),
  })
  .strict()

/** One CSV column mapping entry per header cell: a column name, `ignore`, or empty/`auto` to keep what the header says. */
const MAPPED = `(|auto|ignore|${CSV_COLUMNS.join('|')})`
const COLUMN_LIST = new RegExp(`^${MAPPED}(,${MAPPED}){0,49}$`)

export const ImportQuery = z
  .object({
    preview: z.enum(['true', 'false']).optional(),
    /** CSV only: what each header cell holds, comma-separated in header order (e.g. `seller,orderDate,ignore,total`). */
    columns: z.string().max(1000).regex(COLUMN_LIST, 'column names, comma-separated').optional(),
    /** CSV only: the currency of every row (for files without a currency column). */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'ISO 4217 currency code')
      .optional(),
    /** Rows that repeat a purchase already in the vault (or an earlier row): written (`import`, the default) or left out (`skip`). */
    duplicates: z.enum(['import', 'skip']).optional(),
    /**
     * What a `text/csv` body is: a plain CSV with a header (`csv`, the default), Amazon's order
     * history (`amazon`) or PayPal's activity download (`paypal`). A mailbox is told by its media type.
     */
    format: z.enum(['csv', 'amazon', 'paypal']).optional(),
    /** How to read dates like `03/04/2026`: day first (`dmy`) or month first (`mdy`); detected from the file when absent. */
    dateOrder: z.enum(DATE_ORDERS).optional(),
    /** The file's name: each imported purchase records `format: name` as its source (`amazon: Retail.OrderHistory.1.csv`). */
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict()

/** What an import body holds: JSON (an array) or CSV, by media type. */
async function importSource(c: Context, q: z.output<typeof ImportQuery>): Promise<ImportSource> {
  const type = mediaType(c)
  if (type === 'application/json') return { format: 'json', doc: parseJsonText(await c.req.text()) }
  // Mail streams through the importer message by message (import-email.ts), never buffered whole.
  if (type === 'message/rfc822' || type === 'application/mbox') {
    const body = c.req.raw.body
    return {
      format: 'email',
      chunks: body ? limitedChunks(body, IMPORT_BODY_LIMIT) : [],
    }
  }
  if (type === 'text/csv' && q.format === 'amazon')
    return { format: 'amazon', text: await c.req.text() }
  if (type === 'text/csv' && q.format === 'paypal')
    return {
      format: 'paypal',
      text: await c.req.text(),
      options: q.dateOrder !== undefined ? { dateOrder: q.dateOrder } : {},
    }
  if (type === 'text/csv') {
    const options = {
      ...(q.dateOrder !== undefined ? { dateOrder: q.dateOrder } : {}),
      ...(q.columns !== undefined ? { columns: q.columns.split(',') } : {}),
      ...(q.currency !== undefined ? { currency: q.currency } : {}),
    }
    return { format: 'csv', text: await c.req.text(), options }
  }
  throw unsupportedMediaType('application/json, text/csv, message/rfc822 or application/mbox')
}

/**
 * The purchase history: list (filtered, newest first, cursor-paginated), add, read, replace,
 * delete, and import. An import with `?preview=true` parses and checks every row and writes
 * nothing; a real import writes all rows in one transaction or, if any row is invalid, none.
 */
export function purchaseRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const q = queryParams(c, PurchaseListQuery)
    const page = await actions.read.purchases.list({
      ...(q.seller !== undefined ? { seller: q.seller } : {}),
      ...(q.sellerContains !== undefined ? { sellerContains: q.sellerContains } : {}),
      ...(q.category !== undefined ? { categories: [q.category] } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
    })
    return c.json({
      items: page.items,
      ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
    })
  })

  routes.post('/', async (c) => c.json(await actions.purchases.add(await jsonBody(c, Order)), 201))

  routes.post('/import', ownerBodyLimit(IMPORT_BODY_LIMIT), async (c) => {
    const q = queryParams(c, ImportQuery)
    let preview: Awaited<ReturnType<OwnerActions['purchases']['preview']>>
    let format: ImportSource['format']
    try {
      const source = await importSource(c, q)
      format = source.format
      preview = await actions.purchases.preview(source)
    } catch (err) {
      if (err instanceof BodyTooLargeError) return problemResponse(c, tooLarge)
      throw err
    }
    const { layout, dateOrder, mapping } = preview
    const rows =
      q.name === undefined
        ? preview.rows
        : withImportSource(preview.rows, importSourceLabel(format, q.name))
    const invalid = rows.filter((r) => r.issues)
    const skipped = rows.filter((r) => r.skipped).length
    const duplicates = rows.filter((r) => r.duplicate).length
    if (q.preview === 'true')
      return c.json({
        rows,
        valid: rows.length - invalid.length - skipped,
        invalid: invalid.length,
        skipped,
        duplicates,
        ...(layout ? { columns: layout.columns } : {}),
        ...(mapping?.recalled ? { mappingRecalled: true } : {}),
        ...(dateOrder?.order
          ? { dateOrder: dateOrder.order, dateOrderCertain: dateOrder.certain }
          : {}),
      })
    if (invalid.length > 0) {
      const issues: ValidationIssue[] = invalid
        .flatMap((r) =>
          (r.issues ?? []).map((i) => ({ path: `${r.index}.${i.path}`, message: i.message })),
        )
        .slice(0, 100)
      throw new RequestProblem(
        apiProblem(
          'ERR_VALIDATION',
          `${invalid.length} of ${rows.length} rows are invalid; nothing was imported`,
          issues,
        ),
      )
    }
    // Duplicates are written unless asked otherwise: a client that imported before issue 10 keeps its meaning.
    const added = await actions.purchases.commitImport(rows, q.duplicates ?? 'import', mapping)
    return c.json(
      {
        imported: added.length,
        ids: added.map((p) => p.id),
        skippedDuplicates: rows.filter((r) => r.order).length - added.length,
        skipped,
      },
      201,
    )
  })

  routes.get('/:id', async (c) =>
    c.json(await actions.read.purchases.get(pathParam(c, 'id', RecordId))),
  )

  routes.put('/:id', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    return c.json(await actions.purchases.update(id, await jsonBody(c, Order)))
  })

  routes.delete('/:id', async (c) => {
    await actions.purchases.delete(pathParam(c, 'id', RecordId))
    return c.body(null, 204)
  })

  return routes
}
