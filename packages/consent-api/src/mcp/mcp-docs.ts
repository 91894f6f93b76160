import { z } from 'zod'
import type { RouteDoc } from '../openapi/openapi-document.js'

/** RFC 6750 §3 errors, as for every `/v1` route (resource/resource-docs.ts). */
const BEARER_ERROR = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
})

/** A JSON-RPC 2.0 message or batch, as the MCP streamable HTTP transport carries it. */
const JsonRpc = z.union([
  z.record(z.string(), z.unknown()),
  z.array(z.record(z.string(), z.unknown())),
])

const NOT_ALLOWED = {
  '405': { description: 'Not offered: the endpoint keeps no sessions and no server-sent stream' },
} as const

/** The owner's assistant (mcp/mcp-routes.ts) and its RFC 9728 metadata. */
export const mcpRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/.well-known/oauth-protected-resource/mcp',
    tag: 'Discovery',
    summary: 'Protected resource metadata of the assistant endpoint /mcp (RFC 9728 §3.1)',
    responses: {
      '200': { description: 'The metadata', schema: z.record(z.string(), z.unknown()) },
    },
  },
  {
    method: 'post',
    path: '/mcp',
    tag: 'Vendor resources',
    summary: 'The owner’s assistant: Model Context Protocol over streamable HTTP',
    description:
      'MCP (2025-06-18 and later) for an assistant the owner connected through the consent page like any vendor: tools read_profile, list_purchases, search_purchases, explain_grant and explain_log_entry, each checked against the grant and written to the access log as this client. Stateless: every POST carries its own access token (Bearer, or DPoP for a DPoP-bound one). Without a live token: 401 with `WWW-Authenticate: Bearer resource_metadata="…/.well-known/oauth-protected-resource/mcp"`. Public clients must use DPoP, as everywhere; an MCP client without DPoP registers with client_secret_basic or client_secret_post.',
    auth: 'bearer',
    body: { type: 'application/json', schema: JsonRpc },
    responses: {
      '200': { description: 'The JSON-RPC response (tool refusals are results with isError)' },
      '202': { description: 'A notification or response was accepted' },
      '400': {
        description: 'invalid_request, or a malformed JSON-RPC message',
        schema: BEARER_ERROR,
      },
      '401': {
        description:
          'No token, or invalid_token: the grant is revoked, expired or its vendor blocked; see WWW-Authenticate',
        schema: BEARER_ERROR,
      },
      '403': {
        description:
          'An Origin header of another origin than the vault’s (a web page; DNS rebinding): refused before the token is looked at',
      },
      '406': {
        description: 'The Accept header does not take application/json and text/event-stream',
      },
      '413': { description: 'The request body is too large (problem+json ERR_BODY_TOO_LARGE)' },
      '503': { description: 'The vault is sealed' },
    },
  },
  {
    method: 'get',
    path: '/mcp',
    tag: 'Vendor resources',
    summary: 'No server-sent stream (405)',
    auth: 'bearer',
    responses: NOT_ALLOWED,
  },
  {
    method: 'delete',
    path: '/mcp',
    tag: 'Vendor resources',
    summary: 'No session to end (405)',
    auth: 'bearer',
    responses: NOT_ALLOWED,
  },
]
