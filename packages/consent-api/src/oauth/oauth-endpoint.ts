import type { Context } from 'hono'
import { OAuthError, oauthErrorResponse } from './oauth-error.js'

/**
 * Wraps a back-channel OAuth endpoint so that an {@link OAuthError} thrown anywhere in it becomes
 * the RFC 6749 §5.2 JSON error response; anything else goes on to the app's `onError`.
 */
export function oauthEndpoint(
  handler: (c: Context) => Promise<Response>,
): (c: Context) => Promise<Response> {
  return async function handleOAuthEndpoint(c) {
    try {
      return await handler(c)
    } catch (err) {
      if (err instanceof OAuthError) return oauthErrorResponse(c, err)
      throw err
    }
  }
}
