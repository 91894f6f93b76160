import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { MCP_PATH } from '../oauth/metadata.js'
import { problemRow } from '../api-problems.js'
import { errorResponse, isVaultError } from '../problem.js'
import { type ResourceEnv, type VendorAccess, bearerAuth } from '../resource/bearer.js'
import { ResourceAuthError, resourceAuthErrorResponse } from '../resource/resource-error.js'
import { registerAssistantTools } from './assistant-tools.js'

const MCP_METADATA = `/.well-known/oauth-protected-resource${MCP_PATH}`

/** What the server tells an MCP client about itself in `initialize`. */
const SERVER_INFO = { name: 'custos', version: '1' }

/**
 * The owner's assistant at `/mcp`: the MCP streamable HTTP transport (2025-06-18 and later), its
 * callers authenticated exactly like vendors on `/v1` — an access token of the vault's own
 * authorization server in the `Authorization` header, Bearer or DPoP-bound ({@link bearerAuth}:
 * RFC 6750 §2.1, RFC 9449 §7). The MCP authorization spec is OAuth 2.1 with RFC 9728 discovery:
 * a request without a live token gets 401 and `WWW-Authenticate: Bearer resource_metadata=…`
 * naming `/.well-known/oauth-protected-resource/mcp` (oauth/metadata.ts), from which a standard
 * MCP client finds the authorization server, registers (RFC 7591) and runs the consent flow.
 *
 * DPoP (why an MCP client that does none can still connect, and why nothing is weakened for it):
 * the vault binds the tokens of PUBLIC clients (`token_endpoint_auth_method: none`) to a DPoP key,
 * because a public client proves nothing at the token endpoint, so a stolen refresh token would
 * otherwise be enough (RFC 9449 §5, RFC 9700 §4.14.2, oauth/client-metadata.ts). That rule stays
 * for every client, assistants included. An MCP client without DPoP registers instead as a
 * confidential client (`client_secret_basic` or `client_secret_post`) through dynamic
 * registration, which the MCP SDK's OAuth client supports: each installation gets its own secret
 * (the per-instance secret RFC 8252 §8.5 accepts for native apps, not one shipped in the app), and
 * its refresh tokens are bound to that secret (RFC 9700 §4.14.2, the other permitted binding). Its
 * short-lived access tokens are then bearer tokens, as for every confidential vendor (RFC 6750).
 *
 * Stateless (no `Mcp-Session-Id`): each POST is authenticated and authorized on its own, so a
 * revocation — which revokes the grant's tokens — ends the very next call with 401; no session
 * outlives a grant. Each request gets its own server and transport, holding that request's caller.
 * JSON responses rather than SSE: every tool answers at once, and no stream is left open.
 */
export function mcpRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  const ownOrigin = new URL(app.config.issuer).origin
  // Streamable HTTP §"Security Warning": an Origin header that is present must be checked (403),
  // against DNS rebinding — a web page reaching a vault on 127.0.0.1 through the owner's browser.
  // The token already stops such a page (no cookie is used here); this says no before it is asked.
  // MCP clients send no Origin; the vault's own pages would send its own. Fixed words, no echo.
  routes.use('*', async (c, next) => {
    const origin = c.req.header('origin')
    if (origin !== undefined && origin !== ownOrigin)
      return c.json(
        {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32000, message: 'Requests from web pages of other origins are refused' },
        },
        403,
        { 'cache-control': 'no-store' },
      )
    await next()
  })
  // Streamable HTTP §"Listening for Messages": a server that offers no stream answers GET with 405;
  // without sessions there is nothing to DELETE either. Answered before the token is looked at:
  // the SDK's client opens its GET stream beside its first POST, and were an expired token to send
  // both to 401, it would refresh twice with one refresh token — the second use is reuse (RFC 9700
  // §4.14.2) and would end the assistant's whole token family.
  const notAllowed = () =>
    new Response(null, { status: 405, headers: { allow: 'POST', 'cache-control': 'no-store' } })
  routes.get('/', notAllowed)
  routes.delete('/', notAllowed)
  routes.use('*', bearerAuth(app))
  // The grant itself, before any MCP message is looked at: a grant revoked, expired or of a blocked
  // vendor is refused (and logged) by the vault's refusal policy and answered 401 like on `/v1`,
  // so the next call after a revocation ends the connection however the grant was revoked.
  routes.use('*', async (c, next) => {
    const { clientId, grantId } = c.get('access')
    await app.vault.access.authorize(grantId, { vendorId: clientId })
    await next()
  })
  routes.post('/', async (c) => {
    // Loaded at the first call (Node keeps the modules): an app no assistant talks to, and every
    // embedder of createApp, starts without the SDK's server and its JSON-schema validator.
    const [{ McpServer }, { WebStandardStreamableHTTPServerTransport }] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/mcp.js'),
      import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    ])
    const server = new McpServer(SERVER_INFO, {
      instructions:
        'The owner’s personal data vault. You see only what she granted this assistant: call explain_grant to learn what that is. Nothing you call is sent anywhere; every call is in her access log.',
    })
    registerAssistantTools(server, app, c.get('access'))
    // No session id generator: the transport's stateless mode.
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true })
    await server.connect(transport)
    try {
      return await transport.handleRequest(c.req.raw)
    } finally {
      await server.close()
    }
  })
  routes.onError((err, c) => {
    if (err instanceof ResourceAuthError) {
      // RFC 9728 §5.1: the challenge names this endpoint's metadata, not the vendor API's.
      err.metadataPath = MCP_METADATA
      return resourceAuthErrorResponse(app, c, err)
    }
    // A dead grant is `invalid_token`, as api-problems.ts's bearer column says for `/v1`.
    const bearer = isVaultError(err) ? problemRow(err.code).bearer : undefined
    if (bearer) {
      const refusal = new ResourceAuthError(
        bearer.error,
        bearer.description,
        // Unset when the refusal came before the token was accepted.
        (c.get('access') as VendorAccess | undefined)?.scheme ?? 'Bearer',
      )
      refusal.metadataPath = MCP_METADATA
      return resourceAuthErrorResponse(app, c, refusal)
    }
    return errorResponse(c, err)
  })
  return routes
}
