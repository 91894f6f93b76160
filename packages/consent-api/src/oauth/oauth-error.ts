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
  constructor(error: OAuthJsonErrorCode, description: string, headers: Record<string, string> = {}) {
    super(description)
    this.error = error
    this.status = OAUTH_ERRORS[error].json
    this.headers = headers
  }
}

export function oauthErrorResponse(c: Context, err: OAuthError): Response {
  return c.json({ error: err.error, error_description: err.message }, err.status, { 'cache-control': 'no-store', pragma: 'no-cache', ...err.headers })
}
