import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { sealedResponse } from '../problem.js'

/**
 * `GET /.well-known/jwks.json` — the vault's public signing key as an RFC 7517 §5 JWK Set, for
 * verifying consent receipts and sealed responses. Public data: served while sealed too, once
 * this process has seen the key (before that, 503 like every route that needs the vault).
 */
export function jwksRoutes(app: AppContext): Hono {
  const routes = new Hono()
  routes.get('/', async (c) => {
    const jwk = await app.stores.signingKeys.publicJwk()
    if (!jwk) return sealedResponse(c)
    return c.json({ keys: [jwk] }, 200, { 'cache-control': 'public, max-age=300' })
  })
  return routes
}
