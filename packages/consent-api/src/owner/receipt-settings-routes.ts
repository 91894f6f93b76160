import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { ReceiptSettings } from '../receipts/receipt-settings.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { jsonBody } from './owner-input.js'

/**
 * What new consent receipts say about the owner (receipts/receipt-settings.ts):
 * `GET /owner/receipt-settings` → `{ jurisdiction }`; `PUT` the same shape. Receipts are
 * signed when asked for, so every receipt fetched afterwards names the new jurisdiction; one a
 * vendor saved earlier still verifies with what it said.
 */
export function receiptSettingsRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  const settings = actions.receiptSettings
  routes.use('*', ownerGuard(app))
  routes.get('/', async (c) => c.json(await settings.get()))
  routes.put('/', async (c) => c.json(await settings.set(await jsonBody(c, ReceiptSettings))))
  return routes
}
