import { Hono } from 'hono'
import { PURPOSES } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { PurposePolicy } from '../store/purpose-policy.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { jsonBody } from './owner-input.js'

/**
 * The purposes the owner never allows (store/purpose-policy.ts, issue 12):
 * `GET /owner/purpose-policy` → `{ neverFor, purposes }` — the refused IRIs and the catalogue of
 * DPV purposes Custos knows, each with its plain words; `PUT { neverFor }` (IRIs or compact names
 * such as `dpv:Marketing`) replaces the list. Requests already waiting on the consent page are
 * checked again when the owner decides.
 */
export function purposePolicyRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  const policy = actions.purposePolicy
  routes.use('*', ownerGuard(app))
  routes.get('/', async (c) => c.json({ ...(await policy.get()), purposes: PURPOSES }))
  routes.put('/', async (c) => {
    const saved = await policy.set(await jsonBody(c, PurposePolicy))
    return c.json({ ...saved, purposes: PURPOSES })
  })
  return routes
}
