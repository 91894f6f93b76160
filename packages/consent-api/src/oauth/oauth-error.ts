import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { OAUTH_ERRORS, type OAuthJsonErrorCode } from '../api-problems.js'

/**
 * OAuth endpoints answer with the RFC 6749 §5.2 error shape (`error`, `error_description`), not
 * problem+json, so unmodified client libraries understand them. The status is the code's row in
 * `api-problems.ts`; descriptions are fixed text.
 */
export class OAuthError extends Error {
  readonly error: OAuthJsonErrorCode
  readonly status: ContentfulStatusCode
  readonly headers: Record<string, string>
  constructor(
    error: OAuthJsonErrorCode,
    description: string,
    headers: Record<string, string> = {},
  ) {
    super(description)
    this.error = error
    this.status = OAUTH_ERRORS[error].json
    this.headers = headers
  }
}

/**
 * The answer of `/oauth/par` and `/oauth/authorize` when too many authorization requests wait
 * (store/request-store.ts): 429 `temporarily_unavailable` with Retry-After (RFC 9126 §2.3,
 * RFC 6585 §4), until the oldest waiting request expires.
 */
export function requestsWaiting(retryAfterSeconds: number): OAuthError {
  return new OAuthError(
    'temporarily_unavailable',
    'Too many authorization requests are waiting; try again later',
    { 'retry-after': String(retryAfterSeconds) },
  )
}

export function oauthErrorResponse(c: Context, err: OAuthError): Response {
  return c.json({ error: err.error, error_description: err.message }, err.status, {
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...err.headers,
  })
}
