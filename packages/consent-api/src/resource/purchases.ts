import { Hono } from 'hono'
import { z } from 'zod'
import { Order, VaultError } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { apiProblem, problemResponse, zodIssues } from '../problem.js'
import type { ResourceEnv } from './bearer.js'
import { vendorJson } from './json-body.js'
import { RateLimiter } from '../limits/rate-limiter.js'

/** Query of `GET /v1/purchases`; unknown parameters are ignored. */
export const PurchasesQuery = z.object({
  cursor: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
})

/** Where and why, in fixed words (the vault's translator): a vendor's input is never echoed back. */
const issuesOf = (error: z.ZodError) => zodIssues(error, { max: 20 })

/**
 * `GET /v1/purchases?cursor=&limit=` — the grant's purchase slice, newest first, one page at a
 * time (`next_cursor` until the last page); a grant without a purchase slice is
 * `insufficient_scope`. `POST /v1/purchases` — with `append`, a schema.org `Order` lands in the
 * owner's inbox as pending (the owner accepts or rejects it): 202 with its id.
 */
export function purchasesRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  const limiter = new RateLimiter(app)

  routes.get('/', async (c) => {
    const query = PurchasesQuery.safeParse(c.req.query())
    if (!query.success)
      return problemResponse(
        c,
        apiProblem('ERR_VALIDATION', 'Invalid query', issuesOf(query.error)),
      )
    const { cursor, limit } = query.data
    const { clientId, grantId, changeToken } = c.get('access')
    const slice = await app.vault.readThroughGrant(grantId, {
      include: ['purchases'],
      vendorId: clientId,
      ...(changeToken !== undefined ? { changeToken } : {}),
      purchases: {
        ...(cursor !== undefined ? { cursor } : {}),
        ...(limit !== undefined ? { limit } : {}),
      },
    })
    if (!slice.purchases)
      throw new VaultError('ERR_GRANT_SCOPE', 'This grant does not allow reading purchases')
    const { items, nextCursor } = slice.purchases
    return c.json(
      { items, ...(nextCursor !== undefined ? { next_cursor: nextCursor } : {}) },
      200,
      { 'cache-control': 'no-store' },
    )
  })

  routes.post('/', async (c) => {
    // The action first: without `append`, nothing about the body is looked at. The vault's
    // refusal policy decides (and logs a refusal); the append itself is checked again, atomically.
    const { clientId, grantId } = c.var.access
    await app.vault.access.authorize(grantId, { vendorId: clientId, action: 'append' })
    const order = await vendorJson(c, Order, 'order')
    if (order instanceof Response) return order
    // One vendor must not flood the owner's inbox (limits/limits-config.ts): a rate per vendor,
    // counted in the database, and a cap on its receipts awaiting review (ERR_INBOX_FULL).
    const { appendsPerVendor, pendingPerVendor } = app.config.limits
    await limiter.hit({ bucket: `append:${c.var.access.clientId}`, window: appendsPerVendor })
    const pending = await app.vault.inbox.append(grantId, order, {
      maxPending: pendingPerVendor,
      vendorId: clientId,
    })
    return c.json({ id: pending.id, status: 'pending' as const }, 202, {
      'cache-control': 'no-store',
    })
  })

  return routes
}
