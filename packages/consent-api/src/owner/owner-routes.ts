import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { agreementRoutes, termsPolicyRoutes } from './agreement-routes.js'
import { auditRoutes } from './audit-routes.js'
import { exitRoutes } from './exit-routes.js'
import { fieldRoutes, vocabularyRoutes } from './field-routes.js'
import { grantRoutes, receiptListRoutes } from './grant-routes.js'
import { inboxRoutes } from './inbox-routes.js'
import { conversationRoutes } from './conversation-routes.js'
import { intentRoutes } from './intent-routes.js'
import { draftRoutes } from './draft-routes.js'
import { keyRoutes, passphraseRoutes } from './key-routes.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, noStore } from './owner-auth.js'
import { ownerErrorHandler } from './owner-errors.js'
import { purchaseRoutes } from './purchase-routes.js'
import { purposePolicyRoutes } from './purpose-policy-routes.js'
import { receiptSettingsRoutes } from './receipt-settings-routes.js'
import { registrationRoutes } from './registration-routes.js'
import { statusRoutes } from './status-routes.js'
import { vendorRoutes } from './vendor-routes.js'

/**
 * The owner API under `/owner` (sessions themselves are `owner/session.ts`): JSON in and out,
 * zod-validated, RFC 9457 problems, `Cache-Control: no-store` on every answer. Each route module
 * puts {@link ownerGuard} (sealed → 503, no session → 401, no CSRF token → 403) in front of its
 * routes itself, so a module cannot be mounted unguarded by accident; only `GET /status` and
 * `POST /unlock` are open. The routes do HTTP only (parse, guard, answer): every use case is the
 * owner actions' (owner-actions.ts), which the web pages call too.
 *
 * @example
 * app.route('/owner', ownerRoutes(ctx, ownerActionsFor(ctx)))
 */
export function ownerRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', noStore)
  routes.route('/', statusRoutes(app, actions))
  routes.route('/', exitRoutes(app, actions))
  routes.route('/fields', fieldRoutes(app, actions))
  routes.route('/vocabulary', vocabularyRoutes(app))
  routes.route('/purchases', purchaseRoutes(app, actions))
  routes.route('/vendors', vendorRoutes(app, actions))
  routes.route('/grants', grantRoutes(app, actions))
  routes.route('/receipts', receiptListRoutes(app, actions))
  routes.route('/inbox', inboxRoutes(app, actions))
  routes.route('/conversations', conversationRoutes(app, actions))
  routes.route('/intents', intentRoutes(app, actions))
  routes.route('/drafts', draftRoutes(app, actions))
  routes.route('/audit', auditRoutes(app, actions))
  routes.route('/passphrase', passphraseRoutes(app, actions))
  routes.route('/keys', keyRoutes(app, actions))
  routes.route('/registration', registrationRoutes(app, actions))
  routes.route('/receipt-settings', receiptSettingsRoutes(app, actions))
  routes.route('/purpose-policy', purposePolicyRoutes(app, actions))
  routes.route('/terms', termsPolicyRoutes(app, actions))
  routes.route('/agreements', agreementRoutes(app, actions))
  routes.onError(ownerErrorHandler(app.now))
  return routes
}
