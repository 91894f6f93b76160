import { Hono } from 'hono'
import { z } from 'zod'
import { GrantNarrowing } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, jsonBody, pathParam, queryParams } from './owner-input.js'

export const GrantListQuery = z
  .object({
    vendorId: RecordId.optional(),
    status: z.enum(['active', 'revoked', 'consumed', 'expired']).optional(),
  })
  .strict()

/**
 * Grants: list (by vendor and status), read, narrow (the vault's `GrantNarrowing`: only ever
 * less), revoke, and the signed consent receipt of the current revision (Kantara v1.1, and an
 * ISO/IEC TS 27560 record in the DPV profile). Revoking also revokes
 * every access and refresh token issued under the grant (the owner actions' `grants.revoke`,
 * SECURITY.md 15; RFC 7662 §2.2), so introspection answers `active: false` at once.
 */
export function grantRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const q = queryParams(c, GrantListQuery)
    const grants = await actions.read.grants.list({
      ...(q.vendorId !== undefined ? { vendorId: q.vendorId } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
    })
    return c.json({ grants })
  })

  routes.get('/:id', async (c) =>
    c.json(await actions.read.grants.get(pathParam(c, 'id', RecordId))),
  )

  routes.post('/:id/narrow', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    return c.json(await actions.grants.narrow(id, await jsonBody(c, GrantNarrowing)))
  })

  routes.post('/:id/revoke', async (c) =>
    c.json(await actions.grants.revoke(pathParam(c, 'id', RecordId))),
  )

  routes.get('/:id/receipt', async (c) =>
    c.json({ receipt: await actions.grants.receipt(pathParam(c, 'id', RecordId)) }),
  )

  routes.get('/:id/consent-record', async (c) =>
    c.json({
      consent_record: await actions.grants.consentRecord(pathParam(c, 'id', RecordId)),
    }),
  )

  return routes
}

export const ReceiptListQuery = z
  .object({
    vendorId: RecordId.optional(),
    grantId: RecordId.optional(),
    after: z.string().max(300).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict()

export const ReceiptExportQuery = z.object({ vendorId: RecordId.optional() }).strict()

/**
 * `GET /owner/receipts`: the owner's copy of every receipt (issue 12, part 3) — each consent event
 * of one vendor, one grant, or all, oldest first, signed in both shapes; the same a vendor fetches
 * of its own at `POST /oauth/receipts`.
 */
export function receiptListRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))
  // Before `/`: every receipt (of one vendor) as one file, to keep and check offline.
  routes.get('/export', async (c) => {
    const q = queryParams(c, ReceiptExportQuery)
    return c.json(
      await actions.grants.exportReceipts(q.vendorId !== undefined ? { vendorId: q.vendorId } : {}),
    )
  })
  routes.get('/', async (c) => {
    const q = queryParams(c, ReceiptListQuery)
    const page = await actions.grants.receipts({
      limit: q.limit,
      ...(q.vendorId !== undefined ? { vendorId: q.vendorId } : {}),
      ...(q.grantId !== undefined ? { grantId: q.grantId } : {}),
      ...(q.after !== undefined ? { after: q.after } : {}),
    })
    return c.json(page)
  })
  return routes
}
