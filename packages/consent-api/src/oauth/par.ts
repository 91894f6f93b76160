import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { type AuthorizationRequest, REQUEST_URI_PREFIX } from '../store/request-store.js'
import {
  RequestPageError,
  RequestRedirectError,
  validateAuthorizationRequest,
} from './authorization-request.js'
import { authenticateClient } from './client-auth.js'
import { dpopProofKey } from './dpop-header.js'
import { readFormBody } from './form-body.js'
import { OAuthError, requestsWaiting } from './oauth-error.js'
import { oauthEndpoint } from './oauth-endpoint.js'

/**
 * RFC 9126 pushed authorization requests: the client authenticates and pushes the request over
 * the back channel; it is validated exactly as at the authorization endpoint, stored, and named
 * by a single-use `request_uri` that expires after `config.requestUriSeconds`.
 */
export function parRoutes(app: AppContext): Hono {
  const routes = new Hono()
  const endpoint = `${app.config.issuer}/oauth/par`
  routes.post(
    '/',
    oauthEndpoint(async (c) => {
      const params = await readFormBody(c)
      const client = await authenticateClient(app, c, params, endpoint)
      // RFC 9126 §2.1: a pushed request must not itself reference a request_uri.
      if (params.values.has('request_uri'))
        throw new OAuthError('invalid_request', 'request_uri is not accepted at the PAR endpoint')
      let request: AuthorizationRequest
      try {
        request = await validateAuthorizationRequest(app, params, client)
      } catch (err) {
        // RFC 9126 §2.3: errors are answered directly, as RFC 6749 §5.2 JSON.
        if (err instanceof RequestRedirectError) throw new OAuthError(err.error, err.message)
        if (err instanceof RequestPageError) throw new OAuthError('invalid_request', err.message)
        throw err
      }
      // RFC 9449 §10.1: a DPoP proof sent with the pushed request binds the code to its key, as
      // dpop_jkt would; when both are sent they must name the same key.
      const jkt = await dpopProofKey(app, c, endpoint)
      if (jkt !== null) {
        if (request.dpopJkt !== undefined && request.dpopJkt !== jkt)
          throw new OAuthError('invalid_dpop_proof', 'dpop_jkt does not match the DPoP proof')
        request = { ...request, dpopJkt: jkt }
      }
      const stored = await app.stores.requests.store(
        'pushed',
        request,
        app.config.requestUriSeconds,
      )
      if (!stored.ok) throw requestsWaiting(stored.retryAfterSeconds)
      return c.json(
        {
          request_uri: `${REQUEST_URI_PREFIX}${stored.id}`,
          expires_in: app.config.requestUriSeconds,
        },
        201,
        { 'cache-control': 'no-store', pragma: 'no-cache' },
      )
    }),
  )
  return routes
}
