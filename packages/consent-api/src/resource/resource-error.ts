import type { Context } from 'hono'
import { type BearerErrorCode, OAUTH_ERRORS } from '../api-problems.js'
import type { AppContext } from '../app-context.js'
import { DPOP_ALGS } from '../protocol/dpop-proof.js'

/**
 * Errors of the vendor resource API in the shapes standard OAuth clients understand: RFC 6750 §3
 * (`WWW-Authenticate: Bearer realm=…, error=…, error_description=…`) and, for DPoP-bound tokens,
 * the DPoP scheme with `algs` (RFC 9449 §7.1). The body repeats `error` and `error_description`
 * as JSON. Descriptions are fixed text (never input) and contain no `"` or `\`, so they are valid
 * quoted-strings. Each challenge also points at the RFC 9728 protected-resource metadata
 * (`resource_metadata`, RFC 9728 §5.1). Codes and statuses are the `challenge` column of
 * `api-problems.ts`'s OAuth table.
 */
export type ResourceErrorCode = BearerErrorCode

/** Which authentication scheme the challenge names: the one in use, or both when none was given. */
export type ChallengeScheme = 'Bearer' | 'DPoP' | 'both'

/** Where the vendor API's RFC 9728 protected-resource metadata is served. */
export const PROTECTED_RESOURCE_METADATA = '/.well-known/oauth-protected-resource'

export class ResourceAuthError extends Error {
  readonly error: ResourceErrorCode | undefined
  readonly scheme: ChallengeScheme
  /** RFC 6750 §3 `scope`: for `insufficient_scope`, the scope the request needs. */
  readonly scope: string | undefined
  /**
   * RFC 9728 §5.1 `resource_metadata`: the path of the metadata of the resource refused — the
   * vendor API's by default, the assistant endpoint's for `/mcp` (mcp/mcp-routes.ts).
   */
  metadataPath = PROTECTED_RESOURCE_METADATA
  /**
   * @param error undefined when the request carried no credentials at all: RFC 6750 §3.1 says the
   *   challenge then SHOULD NOT include an error code (and the body carries none either).
   * @param scope the scope the request needs (`insufficient_scope`, RFC 6750 §3.1), space-delimited.
   */
  constructor(
    error: ResourceErrorCode | undefined,
    description: string,
    scheme: ChallengeScheme,
    scope?: string,
  ) {
    super(description)
    this.error = error
    this.scheme = scheme
    this.scope = scope
  }
}

function challenge(app: AppContext, scheme: 'Bearer' | 'DPoP', err: ResourceAuthError): string {
  const params = [`realm="custos"`]
  if (err.error !== undefined)
    params.push(`error="${err.error}"`, `error_description="${err.message}"`)
  // RFC 6750 §3: scope tokens are NQCHAR (no `"` or `\`), so the value is a valid quoted-string.
  if (err.scope !== undefined) params.push(`scope="${err.scope}"`)
  if (scheme === 'DPoP') params.push(`algs="${DPOP_ALGS.join(' ')}"`)
  params.push(`resource_metadata="${app.config.issuer}${err.metadataPath}"`)
  return `${scheme} ${params.join(', ')}`
}

export function resourceAuthErrorResponse(
  app: AppContext,
  c: Context,
  err: ResourceAuthError,
): Response {
  const schemes = err.scheme === 'both' ? (['Bearer', 'DPoP'] as const) : [err.scheme]
  const status = err.error === undefined ? 401 : OAUTH_ERRORS[err.error].challenge
  // RFC 6750 §3.1: a request without credentials gets no error code, in the challenge or the body.
  const body =
    err.error === undefined
      ? { error_description: err.message }
      : { error: err.error, error_description: err.message }
  return c.json(body, status, {
    // RFC 7235 §4.1: several challenges in one field, comma-separated.
    'www-authenticate': schemes.map((s) => challenge(app, s, err)).join(', '),
    'cache-control': 'no-store',
  })
}
