import type { MiddlewareHandler } from 'hono'
import type { AppContext } from '../app-context.js'
import { refuseCredential } from '../protocol/credential-refusal.js'
import { DpopError, verifyDpopProof } from '../protocol/dpop-proof.js'
import { ResourceAuthError } from './resource-error.js'

/** Who is calling, once {@link bearerAuth} has let the request through. */
export interface VendorAccess {
  readonly clientId: string
  readonly grantId: string
  /** The scheme the token was presented with — and the one error challenges must name. */
  readonly scheme: 'Bearer' | 'DPoP'
  /**
   * The database's change token taken when the token was looked up, for the read that follows
   * (`readThroughGrant`'s `changeToken`): the request is answered as of its own arrival, with one
   * read transaction instead of two. Absent on PostgreSQL.
   */
  readonly changeToken?: string
}

export interface ResourceEnv {
  Variables: { access: VendorAccess }
}

/** RFC 6750 §2.1 `b64token`, after the scheme name (case-insensitive, RFC 7235 §2.1). */
const CREDENTIALS = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*)$/i
const OTHER_SCHEME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+( |$)/
const MAX_AUTHORIZATION = 4096

/**
 * Authenticates a vendor on the resource API.
 *
 * - The access token is taken ONLY from the `Authorization` header (RFC 6750 §2.1; SECURITY.md
 *   promise 17). One in the query string (§2.3) or in a form body (§2.2) is refused with
 *   `invalid_request` even if a header is also present: the token has already leaked into URLs or
 *   logs, and §2 forbids more than one method per request.
 * - `Authorization: Bearer <token>` for bearer tokens; `Authorization: DPoP <token>` plus a `DPoP`
 *   proof header for DPoP-bound ones (RFC 9449 §7.1). The proof is checked by verifyDpopProof
 *   (`htm`, `htu` = issuer + path, `iat`, `jti` replay, `ath`) and its key's thumbprint must be
 *   the one the token is bound to (§7.1: key binding; a proof of another key is `invalid_token`).
 *   A bound token presented as Bearer is `invalid_token` (§7.2: the binding may not be
 *   downgraded), and so is an unbound token presented as DPoP.
 * - Missing credentials → 401 with both challenges and no error code (RFC 6750 §3.1).
 *
 * Only the token is checked here; whether its grant still allows the request (the token's client
 * owns it, it is not revoked or expired, the vendor is not blocked, the action) is the vault's
 * answer at the moment of the read — and so is a dead token's refusal, which the vault logs.
 */
export function bearerAuth(app: AppContext): MiddlewareHandler<ResourceEnv> {
  return async function bearerAuth(c, next) {
    // Parsing the URL only when it has a query keeps the common request free of a URL object.
    const url = c.req.url
    if (url.includes('?') && new URL(url).searchParams.has('access_token')) {
      throw new ResourceAuthError(
        'invalid_request',
        'Access tokens are accepted only in the Authorization header',
        'Bearer',
      )
    }
    const type = c.req.header('content-type')?.toLowerCase() ?? ''
    if (type.startsWith('application/x-www-form-urlencoded')) {
      let form: URLSearchParams | undefined
      try {
        form = new URLSearchParams(await c.req.text())
      } catch {
        form = undefined
      }
      if (form?.has('access_token'))
        throw new ResourceAuthError(
          'invalid_request',
          'Access tokens are accepted only in the Authorization header',
          'Bearer',
        )
    }

    const authorization = c.req.header('authorization')?.trim() ?? ''
    if (authorization === '')
      throw new ResourceAuthError(undefined, 'An access token is required', 'both')
    if (authorization.length > MAX_AUTHORIZATION)
      throw new ResourceAuthError(
        'invalid_request',
        'The Authorization header is malformed',
        'Bearer',
      )
    const match = CREDENTIALS.exec(authorization)
    if (!match) {
      const named = OTHER_SCHEME.exec(authorization)?.[0].trim().toLowerCase()
      if (named !== undefined && named !== 'bearer' && named !== 'dpop')
        throw new ResourceAuthError(undefined, 'An access token is required', 'both')
      throw new ResourceAuthError(
        'invalid_request',
        'The Authorization header is malformed',
        named === 'dpop' ? 'DPoP' : 'Bearer',
      )
    }
    const scheme = match[1]?.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer'
    const token = match[2] as string

    const found = await app.stores.tokens.lookup(token, 'access')
    if (!found.live) {
      // Logged as a refusal of the token's vendor and grant (a revoke revokes the grant's tokens,
      // so this is where a read after a revoke ends), or counted as nobody's when it matches no
      // row; the answer is the same opaque invalid_token either way.
      await refuseCredential(
        app,
        found.record
          ? {
              vendorId: found.record.clientId,
              grantId: found.record.grantId,
              credential: found.reason,
            }
          : {},
      )
      throw new ResourceAuthError(
        'invalid_token',
        'The access token is invalid, expired or revoked',
        scheme,
      )
    }
    const record = found.record

    if (record.dpopJkt !== null) {
      if (scheme !== 'DPoP')
        throw new ResourceAuthError(
          'invalid_token',
          'This access token must be used with the DPoP scheme',
          'DPoP',
        )
      const proof = c.req.header('dpop')
      if (proof === undefined)
        throw new ResourceAuthError('invalid_dpop_proof', 'A DPoP proof is required', 'DPoP')
      let jkt: string
      try {
        // RFC 9449 §4.3 step 9: htu is the request URI without query and fragment, here always
        // under the configured issuer (the public base URL), never a Host header.
        ;({ jkt } = await verifyDpopProof(app, proof, {
          method: c.req.method,
          url: `${app.config.issuer}${c.req.path}`,
          accessToken: token,
        }))
      } catch (err) {
        if (err instanceof DpopError)
          throw new ResourceAuthError('invalid_dpop_proof', 'The DPoP proof is invalid', 'DPoP')
        throw err
      }
      if (jkt !== record.dpopJkt)
        throw new ResourceAuthError('invalid_token', 'Invalid DPoP key binding', 'DPoP')
    } else if (scheme === 'DPoP') {
      throw new ResourceAuthError('invalid_token', 'This access token is not DPoP-bound', 'DPoP')
    }

    c.set('access', {
      clientId: record.clientId,
      grantId: record.grantId,
      scheme,
      ...(record.changeToken !== undefined ? { changeToken: record.changeToken } : {}),
    })
    await next()
  }
}
