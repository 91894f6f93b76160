import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { DPOP_ALGS } from '../protocol/dpop-proof.js'
import { RECEIPT_ALG } from '../store/signing-key-store.js'
import { CLIENT_ASSERTION_ALGS } from './client-auth.js'
import { SCOPES_SUPPORTED } from './authorization-request.js'

/**
 * RFC 8414 authorization server metadata and RFC 9728 protected resource metadata. Truthful by
 * construction: they list only what this server implements today — endpoints are added here as
 * they are mounted.
 */
export function authorizationServerMetadata(app: AppContext): Record<string, unknown> {
  const { issuer } = app.config
  return {
    issuer,
    registration_endpoint: `${issuer}/oauth/register`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    // `none`: public clients (native and single-page apps), PKCE and DPoP required (RFC 8252 §8.4, RFC 9449 §5).
    token_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ],
    authorization_details_types_supported: ['custos_fields'],
    // The authorization flow (oauth/authorize, par, token, revoke, introspect).
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    pushed_authorization_request_endpoint: `${issuer}/oauth/par`,
    require_pushed_authorization_requests: false,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    // RFC 7009 §2.1: public clients may revoke their own tokens.
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ],
    introspection_endpoint: `${issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    response_modes_supported: ['query'],
    authorization_response_iss_parameter_supported: true,
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    scopes_supported: SCOPES_SUPPORTED,
    // The vault's signing key (consent receipts, sealed responses).
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    // RFC 8414 §2: human-readable documentation for developers — the API reference page.
    service_documentation: `${issuer}/docs`,
  }
}

/** RFC 9728 §2: the vendor resource API under `/v1` — header tokens only, Bearer or DPoP. */
export function protectedResourceMetadata(app: AppContext): Record<string, unknown> {
  const { issuer } = app.config
  return {
    resource: issuer,
    authorization_servers: [issuer],
    // RFC 9728 §2: the scope values a request to this resource may need.
    scopes_supported: SCOPES_SUPPORTED,
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    // Sealed responses (Accept: application/custos-sealed) are signed with this key and alg.
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    resource_signing_alg_values_supported: [RECEIPT_ALG],
  }
}

/** Where the assistant endpoint is mounted (mcp/mcp-routes.ts), and so its RFC 9728 §3.1 metadata path. */
export const MCP_PATH = '/mcp'

/**
 * RFC 9728 §2 metadata of the assistant endpoint (`/mcp`), served at the path-suffixed well-known
 * URI (§3.1) that the MCP authorization spec (2025-06-18 and later, "Authorization Server
 * Discovery") has clients find through the 401's `resource_metadata`. Its own `resource`, so a
 * client's RFC 8707 `resource` names the endpoint it talks to; the same authorization server and
 * token rules as the vendor API, because a token reaches exactly its grant through either door.
 * No `scopes_supported` (RECOMMENDED, not required): the MCP client asks for every scope listed
 * there, and an assistant should ask for what its task needs, which the owner narrows again on the
 * consent page — not for the whole vault.
 */
export function mcpResourceMetadata(app: AppContext): Record<string, unknown> {
  const { issuer } = app.config
  return {
    resource: `${issuer}${MCP_PATH}`,
    resource_name: 'Custos — your assistant’s view of the vault',
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    resource_documentation: `${issuer}/docs`,
  }
}

export function metadataRoutes(app: AppContext): Hono {
  const routes = new Hono()
  const cache = { 'cache-control': 'public, max-age=300' }
  routes.get('/oauth-authorization-server', (c) =>
    c.json(authorizationServerMetadata(app), 200, cache),
  )
  routes.get('/oauth-protected-resource', (c) => c.json(protectedResourceMetadata(app), 200, cache))
  routes.get(`/oauth-protected-resource${MCP_PATH}`, (c) =>
    c.json(mcpResourceMetadata(app), 200, cache),
  )
  return routes
}
