import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { authenticateClient } from './client-auth.js'
import { readFormBody, requiredParam } from './form-body.js'
import { oauthEndpoint } from './oauth-endpoint.js'

/**
 * RFC 7009 token revocation: the client authenticates and names one of its tokens; a refresh
 * token takes its whole family with it. Unknown tokens, and tokens of other clients (left
 * untouched), get the same 200 (§2.2), so the endpoint tells nothing about tokens it is shown.
 * `token_type_hint` is optional and only a hint (§2.1): every kind is looked up anyway.
 */
export function revokeRoutes(app: AppContext): Hono {
  const routes = new Hono()
  routes.post(
    '/',
    oauthEndpoint(async (c) => {
      const params = await readFormBody(c)
      const client = await authenticateClient(app, c, params, `${app.config.issuer}/oauth/revoke`)
      const token = requiredParam(params, 'token', 4096)
      await app.stores.tokens.revoke(token, client.clientId)
      return c.body(null, 200, { 'cache-control': 'no-store', pragma: 'no-cache' })
    }),
  )
  return routes
}
