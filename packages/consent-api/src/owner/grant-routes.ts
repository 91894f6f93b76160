import { Hono } from 'hono'
import { z } from 'zod'
import { type Grant, GrantNarrowing } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { revokeGrantTokens } from '../oauth/tokens.js'
import { consentReceiptFor } from '../receipts/receipt.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, jsonBody, pathParam, queryParams } from './owner-input.js'

/**
 * Revokes a grant and every access and refresh token issued under it — one function for the owner
 * API and the owner's web pages, so neither door can leave a vendor's tokens alive (SECURITY.md 15).
 */
export async function revokeGrant(app: AppContext, id: string): Promise<Grant> {
  const grant = await app.vault.grants.revoke(id)
  await revokeGrantTokens(app, id)
  return grant
}

/** The signed consent receipt (compact JWS) of a grant's current revision. */
export async function grantReceipt(app: AppContext, id: string): Promise<string> {
  const grant = await app.vault.grants.get(id)
  return consentReceiptFor(app, grant, await app.vault.vendors.get(grant.vendorId))
}

export const GrantListQuery = z
  .object({
    vendorId: RecordId.optional(),
    status: z.enum(['active', 'revoked', 'expired']).optional(),
  })
  .strict()

/**
 * Grants: list (by vendor and status), read, narrow (the vault's `GrantNarrowing`: only ever
 * less), revoke, and the signed consent receipt of the current revision. Revoking also revokes
 * every access and refresh token issued under the grant, so introspection answers
 * `active: false` at once (SECURITY.md 15; RFC 7662 §2.2) — the vault already refuses reads
 * through a revoked grant, this closes the token side too.
 */
export function grantRoutes(app: AppContext): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const q = queryParams(c, GrantListQuery)
    const grants = await app.vault.grants.list({ ...(q.vendorId !== undefined ? { vendorId: q.vendorId } : {}), ...(q.status !== undefined ? { status: q.status } : {}) })
    return c.json({ grants })
  })

  routes.get('/:id', async (c) => c.json(await app.vault.grants.get(pathParam(c, 'id', RecordId))))

  routes.post('/:id/narrow', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    return c.json(await app.vault.grants.narrow(id, await jsonBody(c, GrantNarrowing)))
  })

  routes.post('/:id/revoke', async (c) => {
    return c.json(await revokeGrant(app, pathParam(c, 'id', RecordId)))
  })

  routes.get('/:id/receipt', async (c) => c.json({ receipt: await grantReceipt(app, pathParam(c, 'id', RecordId)) }))

  return routes
}
