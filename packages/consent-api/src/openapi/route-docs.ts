import { z } from 'zod'
import { oauthRouteDocs } from '../oauth/oauth-docs.js'
import { ownerRouteDocs, ownerSessionRouteDocs } from '../owner/owner-docs.js'
import { resourceRouteDocs } from '../resource/resource-docs.js'
import { intentRouteDocs } from '../resource/intent-docs.js'
import { ownerIntentRouteDocs } from '../owner/intent-docs.js'
import { ownerDraftRouteDocs } from '../owner/draft-docs.js'
import type { RouteDoc } from './openapi-document.js'
import { conversationRouteDocs } from '../conversations/conversation-docs.js'
import { mcpRouteDocs } from '../mcp/mcp-docs.js'

const Readiness = z.object({ ready: z.boolean(), state: z.string() })

/** Every documented route, gathered from the modules that serve them. */
export const routeDocs: readonly RouteDoc[] = [
  ...oauthRouteDocs,
  ...resourceRouteDocs,
  ...intentRouteDocs,
  ...ownerRouteDocs,
  ...ownerSessionRouteDocs,
  ...conversationRouteDocs,
  ...ownerIntentRouteDocs,
  ...ownerDraftRouteDocs,
  ...mcpRouteDocs,
  {
    method: 'get',
    path: '/healthz',
    tag: 'Operations',
    summary: 'Liveness',
    responses: {
      '200': { description: 'The process answers', schema: z.object({ ok: z.literal(true) }) },
    },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'Operations',
    summary: 'Readiness: 200 when the vault is unsealed',
    responses: {
      '200': { description: 'Unsealed', schema: Readiness },
      '503': { description: 'Sealed or not created', schema: Readiness },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'Operations',
    summary: 'This document (OpenAPI 3.1)',
    responses: {
      '200': { description: 'The document', schema: z.record(z.string(), z.unknown()) },
    },
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'Operations',
    summary: 'This document as a script-free HTML reference page',
    responses: { '200': { description: 'The reference page', type: 'text/html' } },
  },
]
