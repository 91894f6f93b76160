import { oauthRouteDocs } from '../oauth/oauth-docs.js'
import { ownerRouteDocs } from '../owner/owner-docs.js'
import { resourceRouteDocs } from '../resource/resource-docs.js'
import type { RouteDoc } from './openapi-document.js'

/** Every documented route, gathered from the modules that serve them. */
export const routeDocs: readonly RouteDoc[] = [
  ...oauthRouteDocs,
  ...resourceRouteDocs,
  ...ownerRouteDocs,
  {
    method: 'get',
    path: '/healthz',
    tag: 'Operations',
    summary: 'Liveness',
    responses: { '200': { description: 'The process answers' } },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'Operations',
    summary: 'Readiness: 200 when the vault is unsealed',
    responses: { '200': { description: 'Unsealed' }, '503': { description: 'Sealed or not created', type: 'application/json' } },
  },
]
