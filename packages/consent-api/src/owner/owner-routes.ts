import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { auditRoutes } from './audit-routes.js'
import { exitRoutes } from './exit-routes.js'
import { fieldRoutes, vocabularyRoutes } from './field-routes.js'
import { grantRoutes } from './grant-routes.js'
import { inboxRoutes } from './inbox-routes.js'
import { keyRoutes, passphraseRoutes } from './key-routes.js'
import { type OwnerEnv, noStore } from './owner-auth.js'
import { ownerErrorHandler } from './owner-errors.js'
import { purchaseRoutes } from './purchase-routes.js'
import { receiptSettingsRoutes } from './receipt-settings-routes.js'
import { registrationRoutes } from './registration-routes.js'
import type { RotationJob } from './rotation-job.js'
import { statusRoutes } from './status-routes.js'
import { vendorRoutes } from './vendor-routes.js'

/**
 * The owner API under `/owner` (sessions themselves are `owner/session.ts`): JSON in and out,
 * zod-validated, RFC 9457 problems, `Cache-Control: no-store` on every answer. Each route module
 * puts {@link ownerGuard} (sealed → 503, no session → 401, no CSRF token → 403) in front of its
 * routes itself, so a module cannot be mounted unguarded by accident; only `GET /status` and
 * `POST /unlock` are open.
 *
 * @example
 * app.route('/owner', ownerRoutes(ctx))
 */
/** `keyJob`: rotation and restore both change the keys, so the API and the web pages share one job and they never overlap. */
export function ownerRoutes(app: AppContext, keyJob: RotationJob): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', noStore)
  routes.route('/', statusRoutes(app))
  routes.route('/', exitRoutes(app, keyJob))
  routes.route('/fields', fieldRoutes(app))
  routes.route('/vocabulary', vocabularyRoutes(app))
  routes.route('/purchases', purchaseRoutes(app))
  routes.route('/vendors', vendorRoutes(app))
  routes.route('/grants', grantRoutes(app))
  routes.route('/inbox', inboxRoutes(app))
  routes.route('/audit', auditRoutes(app))
  routes.route('/passphrase', passphraseRoutes(app))
  routes.route('/keys', keyRoutes(app, keyJob))
  routes.route('/registration', registrationRoutes(app))
  routes.route('/receipt-settings', receiptSettingsRoutes(app))
  routes.onError(ownerErrorHandler(app.now))
  return routes
}
