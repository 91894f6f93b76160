import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { currentReceipts } from '../receipts/receipt-history.js'
import type { ResourceEnv } from './bearer.js'
import { toVendorSlice } from '../protocol/vendor-purchase-slice.js'
import { toWireMode } from '../protocol/access-mode.js'

/**
 * `GET /v1/grant` → what this token may do, until when and for what purpose, with the signed
 * consent receipt of the grant's current revision (a narrowing gives a new receipt) in both shapes:
 * Kantara v1.1 (`receipt`) and an ISO/IEC TS 27560 record in the DPV profile (`consent_record`,
 * receipts/consent-record.ts), so a vendor takes whichever its compliance tooling reads. A revoked
 * or expired grant, a blocked vendor or another vendor's grant is refused like every other
 * resource request; allowed or refused, the look is in the access log.
 */
export function grantRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  routes.get('/', async (c) => {
    const { clientId, grantId } = c.var.access
    // Decided and logged by the vault's refusal policy: a look at the grant is an access too.
    const { grant, vendor } = await app.vault.access.authorize(grantId, {
      vendorId: clientId,
      record: 'grant.viewed',
    })
    const { receipt, consentRecord } = await currentReceipts(app, grant, vendor)
    return c.json(
      {
        grant_id: grant.id,
        vendor_id: grant.vendorId,
        fields: grant.fields,
        purchases: grant.purchases ? toVendorSlice(grant.purchases) : null,
        actions: grant.actions,
        purpose: grant.purpose,
        purposes: grant.purposes,
        expires_at: grant.expiresAt,
        status: grant.status,
        access_mode: toWireMode(grant.accessMode),
        revision: grant.revision,
        accepted_terms: grant.acceptedTerms,
        receipt,
        consent_record: consentRecord,
      },
      200,
      { 'cache-control': 'no-store' },
    )
  })
  return routes
}
