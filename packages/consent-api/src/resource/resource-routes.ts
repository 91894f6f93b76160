import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { errorResponse, isVaultError } from '../problem.js'
import { type ResourceEnv, type VendorAccess, bearerAuth } from './bearer.js'
import { grantRoutes } from './grant.js'
import { profileRoutes } from './profile.js'
import { purchasesRoutes } from './purchases.js'
import { ResourceAuthError, resourceAuthErrorResponse } from './resource-error.js'
import { sealedDelivery } from './sealed-delivery.js'

/**
 * The vendor resource API under `/v1`: every request authenticated by {@link bearerAuth}, then
 * optionally sealed ({@link sealedDelivery}), then served. The vault's refusals become RFC 6750
 * §3.1 errors: a revoked or expired grant, a blocked vendor, a vanished grant or another
 * vendor's is `invalid_token` (401 — the token no longer stands for a live grant), a missing action or
 * purchase slice is `insufficient_scope` (403). Other vault errors are problem+json.
 */
/**
 * RFC 6750 §3 `scope` of an `insufficient_scope` challenge: the scope the refused request needs.
 * The profile has none to name — any `read:<field>` would do, so none is claimed.
 */
function neededScope(method: string, path: string): string | undefined {
  if (!path.endsWith('/purchases')) return undefined
  return method === 'POST' ? 'append:purchases' : 'read:purchases'
}

export function resourceRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  routes.use('*', bearerAuth(app), sealedDelivery(app))
  routes.route('/profile', profileRoutes(app))
  routes.route('/purchases', purchasesRoutes(app))
  routes.route('/grant', grantRoutes(app))
  routes.onError((err, c) => {
    if (err instanceof ResourceAuthError) return resourceAuthErrorResponse(app, c, err)
    if (isVaultError(err)) {
      const access = c.var.access as VendorAccess | undefined
      const scheme = access?.scheme ?? 'Bearer'
      switch (err.code) {
        case 'ERR_GRANT_REVOKED':
        case 'ERR_GRANT_EXPIRED':
        case 'ERR_VENDOR_BLOCKED':
        case 'ERR_NOT_FOUND':
        // The token's client does not own the grant (a tampered token row): to the vendor, a
        // grant that does not exist; the vault has logged it as this vendor's refusal.
        case 'ERR_GRANT_MISMATCH':
        case 'ERR_TOKEN_REVOKED':
        case 'ERR_TOKEN_EXPIRED':
        case 'ERR_TOKEN_USED':
          return resourceAuthErrorResponse(app, c, new ResourceAuthError('invalid_token', 'The grant behind this access token is no longer valid', scheme))
        case 'ERR_GRANT_SCOPE':
          return resourceAuthErrorResponse(app, c, new ResourceAuthError('insufficient_scope', 'The grant does not allow this request', scheme, neededScope(c.req.method, c.req.path)))
        default:
          return errorResponse(c, err)
      }
    }
    // Storage faults 503; anything else one opaque 500 — never a stack, SQL or value.
    return errorResponse(c, err)
  })
  return routes
}
