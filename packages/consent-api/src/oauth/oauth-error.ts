import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * OAuth endpoints answer with the RFC 6749 §5.2 error shape (`error`, `error_description`), not
 * problem+json, so unmodified client libraries understand them. Descriptions are fixed text.
 */
export class OAuthError extends Error {
  readonly error: string
  readonly status: ContentfulStatusCode
  readonly headers: Record<string, string>
  constructor(error: string, description: string, status: ContentfulStatusCode = 400, headers: Record<string, string> = {}) {
    super(description)
    this.error = error
    this.status = status
    this.headers = headers
  }
}

export function oauthErrorResponse(c: Context, err: OAuthError): Response {
  return c.json({ error: err.error, error_description: err.message }, err.status, { 'cache-control': 'no-store', pragma: 'no-cache', ...err.headers })
}
