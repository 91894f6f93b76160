import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { Order, type Order as OrderType, type ValidationIssue } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { IMPORT_BODY_LIMIT, ownerBodyLimit } from './body-limits.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RequestProblem } from './owner-errors.js'
import { DateOrDateTime, RecordId, intParam, jsonBody, mediaType, parseJsonText, pathParam, queryParams, unsupportedMediaType } from './owner-input.js'
import { type ImportRow, rowsFromCsv, rowsFromJson } from './purchase-import.js'

/** `GET /owner/purchases` filters; they combine with AND. */
export const PurchaseListQuery = z
  .object({
    seller: z.string().trim().min(1).max(200).optional(),
    category: z.string().trim().min(1).max(80).optional(),
    since: DateOrDateTime.optional(),
    until: DateOrDateTime.optional(),
    cursor: z.string().min(1).max(200).optional(),
    limit: intParam(1, 500).optional(),
  })
  .strict()

export const ImportQuery = z.object({ preview: z.enum(['true', 'false']).optional() }).strict()

/** Orders an import body holds: JSON (an array) or CSV, by media type. */
async function importRows(c: Context): Promise<ImportRow[]> {
  const type = mediaType(c)
  if (type === 'application/json') return rowsFromJson(parseJsonText(await c.req.text()))
  if (type === 'text/csv') return rowsFromCsv(await c.req.text())
  throw unsupportedMediaType('application/json or text/csv')
}

/**
 * The purchase history: list (filtered, newest first, cursor-paginated), add, read, replace,
 * delete, and import. An import with `?preview=true` parses and checks every row and writes
 * nothing; a real import writes all rows in one transaction or, if any row is invalid, none.
 */
export function purchaseRoutes(app: AppContext): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const q = queryParams(c, PurchaseListQuery)
    const page = await app.vault.purchases.list({
      ...(q.seller !== undefined ? { seller: q.seller } : {}),
      ...(q.category !== undefined ? { categories: [q.category] } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
    })
    return c.json({ items: page.items, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) })
  })

  routes.post('/', async (c) => c.json(await app.vault.purchases.add(await jsonBody(c, Order)), 201))

  routes.post('/import', ownerBodyLimit(IMPORT_BODY_LIMIT), async (c) => {
    const { preview } = queryParams(c, ImportQuery)
    const rows = await importRows(c)
    const invalid = rows.filter((r) => r.issues)
    if (preview === 'true') return c.json({ rows, valid: rows.length - invalid.length, invalid: invalid.length })
    if (invalid.length > 0) {
      const issues: ValidationIssue[] = invalid.flatMap((r) => (r.issues ?? []).map((i) => ({ path: `${r.index}.${i.path}`, message: i.message }))).slice(0, 100)
      throw new RequestProblem({ status: 400, code: 'ERR_VALIDATION', title: `${invalid.length} of ${rows.length} rows are invalid; nothing was imported`, issues })
    }
    const added = await app.vault.purchases.addMany(
      rows.map((r) => r.order as OrderType),
      { provenance: 'import' },
    )
    return c.json({ imported: added.length, ids: added.map((p) => p.id) }, 201)
  })

  routes.get('/:id', async (c) => c.json(await app.vault.purchases.get(pathParam(c, 'id', RecordId))))

  routes.put('/:id', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    return c.json(await app.vault.purchases.update(id, await jsonBody(c, Order)))
  })

  routes.delete('/:id', async (c) => {
    await app.vault.purchases.delete(pathParam(c, 'id', RecordId))
    return c.body(null, 204)
  })

  return routes
}
