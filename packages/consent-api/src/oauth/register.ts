import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { zodIssues } from '../problem.js'
import { OAuthError, oauthErrorResponse } from './oauth-error.js'
import { ClientMetadata } from './client-metadata.js'
import { admitRegistration } from './registration-admission.js'
import { addressKey } from '../limits/client-address.js'
import { RateLimiter } from '../limits/rate-limiter.js'
import { type VendorTermsDocument, VendorTermsError } from '../terms/vendor-terms-document.js'

/**
 * RFC 7591 dynamic client registration: a vendor registers itself and becomes a vendor of the
 * vault (which the owner sees and can block). The client id is the vendor id; a client secret
 * (for the secret methods) is returned once and stored only as a keyed hash.
 *
 * Before anything is created: the owner's registration mode (an initial access token may be
 * required, RFC 7591 §3 — store/registration-policy.ts), then, once the metadata is valid, the
 * registration limits per client address and in total (limits/; 429 with Retry-After, RFC 6585
 * §4). Invalid requests create nothing and so use up no allowance — but for a `myterms_uri`
 * whose document cannot be read, which is found only by calling the vendor's server.
 */
export function registerRoutes(app: AppContext): Hono {
  const routes = new Hono()
  const limiter = new RateLimiter(app)
  const { registrationsPerAddress, registrations } = app.config.limits
  routes.post('/', async (c) => {
    try {
      await admitRegistration(app.stores.registration, c)
    } catch (err) {
      if (err instanceof OAuthError) return oauthErrorResponse(c, err)
      throw err
    }
    let json: unknown
    try {
      json = await c.req.json()
    } catch {
      return oauthErrorResponse(
        c,
        new OAuthError('invalid_client_metadata', 'The request body must be a JSON object'),
      )
    }
    const parsed = ClientMetadata.safeParse(json)
    if (!parsed.success) {
      // RFC 7591 §3.2.2: invalid_redirect_uri when a redirect URI is the problem.
      const redirect = parsed.error.issues.some((i) => i.path[0] === 'redirect_uris')
      // Fixed words and schema names only (the one zod translator): the body is never echoed.
      const [issue] = zodIssues(parsed.error, { max: 1 })
      return oauthErrorResponse(
        c,
        new OAuthError(
          redirect ? 'invalid_redirect_uri' : 'invalid_client_metadata',
          issue ? `${issue.path}: ${issue.message}` : 'Invalid client metadata',
        ),
      )
    }
    const m = parsed.data
    await limiter.hit(
      { bucket: `register:address:${addressKey(app, c)}`, window: registrationsPerAddress },
      { bucket: 'register:all', window: registrations },
    )
    // The vendor's own MyTerms document (IEEE 7012; terms/vendor-terms-store.ts), read before
    // anything is created: one that cannot be read is RFC 7591 §3.2.2 invalid_client_metadata and
    // creates nothing. After the limits, so every attempt that makes the vault call a URL a
    // stranger chose counts against them.
    let mytermsDocument: VendorTermsDocument | undefined
    if (m.myterms_uri !== undefined && m.myterms_accepted === undefined) {
      try {
        mytermsDocument = await app.stores.vendorTerms.fetchDocument(m.myterms_uri)
      } catch (err) {
        if (!(err instanceof VendorTermsError)) throw err
        return oauthErrorResponse(
          c,
          new OAuthError('invalid_client_metadata', `myterms_uri: ${err.message}`),
        )
      }
    }
    const vendor = await app.vault.vendors.register({
      name: m.client_name,
      ...(m.client_uri ? { uri: m.client_uri } : {}),
      ...(m.logo_uri ? { logoUri: m.logo_uri } : {}),
      ...(m.contacts ? { contacts: m.contacts } : {}),
    })
    // Key clients prove themselves with their key, public clients (`none`) with nothing: no secret.
    const secret =
      m.token_endpoint_auth_method === 'private_key_jwt' || m.token_endpoint_auth_method === 'none'
        ? undefined
        : randomBytes(32).toString('base64url')
    const issuedAt = Math.floor(app.now().getTime() / 1000)
    const { redirect_uris, token_endpoint_auth_method, ...rest } = m
    // Sealed and MAC'd (store/client-store.ts): the vendor's name, site and contacts are not plaintext at rest.
    await app.stores.clients.store({
      clientId: vendor.id,
      secretHash: secret ? app.vault.hashSecret(secret) : null,
      authMethod: token_endpoint_auth_method,
      redirectUris: redirect_uris,
      metadata: rest,
    })
    if (mytermsDocument && m.myterms_uri)
      await app.stores.vendorTerms.save(vendor.id, m.myterms_uri, mytermsDocument)
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
