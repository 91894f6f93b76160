import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { authenticateClient } from './client-auth.js'
import { readFormBody, requiredParam } from './form-body.js'
import type { Grant } from '@custos/vault'
import { isRefusal } from '../protocol/credential-refusal.js'
import { OAuthError } from './oauth-error.js'
import { grantedDetails, grantedScope } from './granted-access.js'
import { oauthEndpoint } from './oauth-endpoint.js'
import type { TokenRecord } from '../store/token-store.js'

/**
 * RFC 7662 token introspection, for the authenticated client's own tokens. Inactive — just
 * `{ active: false }`, nothing more (§2.2) — when the token is unknown, expired, revoked, used
 * (a rotated refresh token), of another client (§4: a client must not learn about others'
 * tokens), or when its grant was revoked, expired or its vendor blocked (SECURITY.md 15).
 */
export function introspectRoutes(app: AppContext): Hono {
  const routes = new Hono()
  routes.post(
    '/',
    oauthEndpoint(async (c) => {
      const params = await readFormBody(c)
      const client = await authenticateClient(
        app,
        c,
        params,
        `${app.config.issuer}/oauth/introspect`,
      )
      // RFC 7662 §2.1 wants the caller authorized: a public client proves nothing (metadata.ts lists no `none` here).
      if (client.authMethod === 'none')
        throw new OAuthError(
          'invalid_client',
          'Client authentication failed: public clients may not introspect tokens',
        )
      const token = requiredParam(params, 'token', 4096)
      const headers = { 'cache-control': 'no-store', pragma: 'no-cache' }
      const hint = params.values.get('token_type_hint')
      const kinds: ('access' | 'refresh')[] =
        hint === 'refresh_token' ? ['refresh', 'access'] : ['access', 'refresh']
      let record: TokenRecord | undefined
      for (const kind of kinds) record ??= await app.stores.tokens.find(token, kind)
      const grant =
        record && record.clientId === client.clientId
          ? await liveGrant(app, record.grantId, client.clientId)
          : undefined
      if (!record || !grant) return c.json({ active: false }, 200, headers)
      return c.json(
        {
          active: true,
          client_id: record.clientId,
          scope: grantedScope(grant),
          authorization_details: grantedDetails(grant),
          // A token never outlives its grant.
          exp: Math.floor(
            Math.min(Date.parse(record.expiresAt), Date.parse(grant.expiresAt)) / 1000,
          ),
          // From the row the lookup checked (its MAC covers created_at), not a second, unchecked read.
          iat: Math.floor(Date.parse(record.issuedAt) / 1000),
          iss: app.config.issuer,
          // RFC 7662 §2.2: token_type is an RFC 6749 §5.1 access token type; refresh tokens have none.
          ...(record.kind === 'access'
            ? { token_type: record.dpopJkt !== null ? 'DPoP' : 'Bearer' }
            : {}),
          ...(record.dpopJkt !== null ? { cnf: { jkt: record.dpopJkt } } : {}),
        },
        200,
        headers,
      )
    }),
  )
  return routes
}

/**
 * The grant behind the client's own live token, decided by the vault's refusal policy (a refusal
 * is logged there); undefined when refused. Nothing is recorded when it is live: introspection
 * says what a token may do, it releases none of the owner's data.
 */
async function liveGrant(
  app: AppContext,
  grantId: string,
  clientId: string,
): Promise<Grant | undefined> {
  try {
    return (await app.vault.access.authorize(grantId, { vendorId: clientId })).grant
  } catch (err) {
    if (isRefusal(err)) return undefined
    throw err
  }
}
