import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import type { ResourceEnv } from './bearer.js'

/**
 * `GET /v1/agreements` → this vendor's IEEE 7012 agreement records with the owner (accepted and
 * declined, newest first): each the vault's compact JWS (EdDSA, /.well-known/jwks.json) whose
 * payload is the record, and the record itself — byte for byte the copy the owner holds
 * (`GET /owner/agreements`). Decided and logged like a look at the grant.
 */
export function agreementRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  routes.get('/', async (c) => {
    const { clientId, grantId } = c.var.access
    await app.vault.access.authorize(grantId, { vendorId: clientId, record: 'grant.viewed' })
    const records = await app.stores.agreements.list({ clientId })
    return c.json(
      {
        agreements: records.map((r) => ({
          record_id: r.record.record_id,
          jws: r.jws,
          record: r.record,
        })),
      },
      200,
      { 'cache-control': 'no-store' },
    )
  })
  return routes
}
