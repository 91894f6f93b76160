import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'

/**
 * RFC 8414 authorization server metadata and RFC 9728 protected resource metadata. Truthful by
 * construction: they list only what this server implements today — endpoints are added here as
 * they are mounted.
 */
export function authorizationServerMetadata(app: AppContext): Record<string, unknown> {
  const { issuer } = app.config
  return {
    issuer,
    registration_endpoint: `${issuer}/oauth/register`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    authorization_details_types_supported: ['custos_fields'],
  }
}

export function metadataRoutes(app: AppContext): Hono {
  const routes = new Hono()
  const cache = { 'cache-control': 'public, max-age=300' }
  routes.get('/oauth-authorization-server', (c) => c.json(authorizationServerMetadata(app), 200, cache))
  routes.get('/oauth-protected-resource', (c) =>
    c.json({ resource: app.config.issuer, authorization_servers: [app.config.issuer], bearer_methods_supported: ['header'] }, 200, cache),
  )
  return routes
}
