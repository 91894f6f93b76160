import { Hono } from 'hono'
import { IntentNotFoundError, ThreadNotFoundError } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { problemRow } from '../api-problems.js'
import { errorResponse, isVaultError } from '../problem.js'
import { type ResourceEnv, type VendorAccess, bearerAuth } from './bearer.js'
import { grantRoutes } from './grant.js'
import { intentRoutes } from './intents.js'
import { agreementRoutes } from './agreements.js'
import { conversationRoutes } from './conversations.js'
import { profileRoutes } from './profile.js'
import { purchasesRoutes } from './purchases.js'
import { ResourceAuthError, resourceAuthErrorResponse } from './resource-error.js'
import { sealedDelivery } from './sealed-delivery.js'

/**
 * The vendor resource API under `/v1`: every request authenticated by {@link bearerAuth}, then
 * optionally sealed ({@link sealedDelivery}), then served. The vault's refusals become RFC 6750
 * §3.1 errors as the `bearer` column of `api-problems.ts` says: a revoked or expired grant, a
 * blocked vendor, a vanished grant or another vendor's is `invalid_token` (401 — the token no
 * longer stands for a live grant), a missing action or purchase slice is `insufficient_scope`
 * (403). Other vault errors are problem+json.
 */
/**
 * RFC 6750 §3 `scope` of an `insufficient_scope` challenge: the scope the refused request needs.
 * The profile has none to name — any `read:<field>` would do, so none is claimed.
 */
function neededScope(method: string, path: string): string | undefined {
  if (path.includes('/conversations')) return 'converse'
  if (path.includes('/intents')) return 'intents'
  if (!path.endsWith('/purchases')) return undefined
  return method === 'POST' ? 'append:purchases' : 'read:purchases'
}

export function resourceRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  routes.use('*', bearerAuth(app), sealedDelivery(app))
  routes.route('/profile', profileRoutes(app))
  routes.route('/purchases', purchasesRoutes(app))
  routes.route('/grant', grantRoutes(app))
  routes.route('/agreements', agreementRoutes(app))
  routes.route('/conversations', conversationRoutes(app))
  routes.route('/intents', intentRoutes(app))
  routes.onError((err, c) => {
    if (err instanceof ResourceAuthError) return resourceAuthErrorResponse(app, c, err)
    // A thread, intent or offer this vendor may not see is a 404 like any missing record, not a
    // dead grant.
    const bearer =
      isVaultError(err) &&
      !(err instanceof ThreadNotFoundError) &&
      !(err instanceof IntentNotFoundError)
        ? problemRow(err.code).bearer
        : undefined
    if (bearer) {
      const access = c.var.access as VendorAccess | undefined
      const scope =
        bearer.error === 'insufficient_scope' ? neededScope(c.req.method, c.req.path) : undefined
      return resourceAuthErrorResponse(
        app,
        c,
        new ResourceAuthError(bearer.error, bearer.description, access?.scheme ?? 'Bearer', scope),
      )
    }
    // Other vault errors through the table, storage faults 503; anything else one opaque 500 — never a stack, SQL or value.
    return errorResponse(c, err)
  })
  return routes
}
