import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { consentReceiptFor } from '../receipts/receipt.js'
import type { ResourceEnv } from './bearer.js'
import { liveGrant } from './live-grant.js'

/**
 * `GET /v1/grant` → what this token may do, until when and for what purpose, with the signed
 * consent receipt of the grant's current revision (a narrowing gives a new receipt). A revoked
 * or expired grant, or a blocked vendor, is refused like every other resource request.
 */
export function grantRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  routes.get('/', async (c) => {
    const { grant, vendor } = await liveGrant(app, c.var.access)
    const receipt = await consentReceiptFor(app, grant, vendor)
    const slice = grant.purchases
    return c.json(
      {
        grant_id: grant.id,
        vendor_id: grant.vendorId,
        fields: grant.fields,
        purchases: slice
          ? { made_with_vendor: slice.madeWithVendor, ...(slice.categories ? { categories: slice.categories } : {}), ...(slice.since ? { since: slice.since } : {}) }
          : null,
        actions: grant.actions,
        purpose: grant.purpose,
        expires_at: grant.expiresAt,
        status: grant.status,
        revision: grant.revision,
        accepted_terms: grant.acceptedTerms,
        receipt,
      },
      200,
      { 'cache-control': 'no-store' },
    )
  })
  return routes
}
