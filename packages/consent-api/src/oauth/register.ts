import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { OAuthError, oauthErrorResponse } from './oauth-error.js'
import { ClientMetadata } from './client-metadata.js'

/**
 * RFC 7591 dynamic client registration: a vendor registers itself and becomes a vendor of the
 * vault (which the owner sees and can block). The client id is the vendor id; a client secret
 * (for the secret methods) is returned once and stored only as a keyed hash.
 */
export function registerRoutes(app: AppContext): Hono {
  const routes = new Hono()
  routes.post('/', async (c) => {
    let json: unknown
    try {
      json = await c.req.json()
    } catch {
      return oauthErrorResponse(c, new OAuthError('invalid_client_metadata', 'The request body must be a JSON object'))
    }
    const parsed = ClientMetadata.safeParse(json)
    if (!parsed.success) {
      // RFC 7591 §3.2.2: invalid_redirect_uri when a redirect URI is the problem.
      const redirect = parsed.error.issues.some((i) => i.path[0] === 'redirect_uris')
      const issue = parsed.error.issues[0]
      const where = issue ? issue.path.map(String).join('.') || 'body' : 'body'
      return oauthErrorResponse(c, new OAuthError(redirect ? 'invalid_redirect_uri' : 'invalid_client_metadata', `${where}: ${issue?.message ?? 'invalid'}`))
    }
    const m = parsed.data
    const vendor = await app.vault.vendors.register({
      name: m.client_name,
      ...(m.client_uri ? { uri: m.client_uri } : {}),
      ...(m.logo_uri ? { logoUri: m.logo_uri } : {}),
      ...(m.contacts ? { contacts: m.contacts } : {}),
    })
    const secret = m.token_endpoint_auth_method === 'private_key_jwt' ? undefined : randomBytes(32).toString('base64url')
    const issuedAt = Math.floor(app.now().getTime() / 1000)
    const { redirect_uris, token_endpoint_auth_method, ...rest } = m
    await app.db
      .insertInto('oauth_clients')
      .values({
        client_id: vendor.id,
        secret_hash: secret ? app.vault.hashSecret(secret) : null,
        auth_method: token_endpoint_auth_method,
        redirect_uris: JSON.stringify(redirect_uris),
        metadata: JSON.stringify(rest),
        created_at: app.now().toISOString(),
      })
      .execute()
    return c.json(
      {
        client_id: vendor.id,
        client_id_issued_at: issuedAt,
        ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
        redirect_uris,
        token_endpoint_auth_method,
        ...rest,
      },
      201,
      { 'cache-control': 'no-store', pragma: 'no-cache' },
    )
  })
  return routes
}
