import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import type { ResourceEnv } from './bearer.js'

/**
 * `GET /v1/profile` → `{ "fields": { "<path>": value, … } }`: exactly the granted fields that have
 * a value, as `vault.readThroughGrant` returns them — ungranted paths are never selected nor
 * decrypted (SECURITY.md promise 13) and the read is durably audited before it leaves (19).
 */
export function profileRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  routes.get('/', async (c) => {
    // c.get, not c.var: hono builds a fresh object of all variables on every c.var access.
    const { clientId, grantId, changeToken } = c.get('access')
    // vendorId: the token's client must own the grant (confused deputy) — a compare, no query.
    const { fields } = await app.vault.readThroughGrant(grantId, {
      include: ['fields'],
      vendorId: clientId,
      ...(changeToken !== undefined ? { changeToken } : {}),
    })
    return c.json({ fields }, 200, { 'cache-control': 'no-store' })
  })
  return routes
}
