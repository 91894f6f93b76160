import type { Context } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import type { RegisteredClient } from '../store/client-store.js'
import { authenticateClient } from './client-auth.js'
import type { OAuthParams } from './form-body.js'
import { OAuthError } from './oauth-error.js'

/**
 * Client authentication for the vendor endpoints whose body is JSON (RFC 8936 polling, receipts):
 * as at the token endpoint — HTTP Basic, or `client_id` with `client_secret` or
 * `client_assertion_type` and `client_assertion` (RFC 7523) as members of the same JSON object —
 * since a vendor whose grant was revoked holds no access token and must still be served.
 */
export const ClientAuthMembers = {
  client_id: z.string().max(200).optional(),
  client_secret: z.string().max(512).optional(),
  client_assertion_type: z.string().max(200).optional(),
  client_assertion: z.string().max(8192).optional(),
}

const AUTH_MEMBERS = ['client_id', 'client_secret', 'client_assertion_type', 'client_assertion']

/** The JSON body of a request, or `invalid_request`. */
export async function jsonBody(c: Context): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json')
    throw new OAuthError('invalid_request', 'The body must be application/json')
  try {
    return await c.req.json()
  } catch {
    throw new OAuthError('invalid_request', 'The body must be a JSON object')
  }
}

/**
 * The confidential client the request authenticates (`invalid_client` otherwise). Public clients
 * are refused with `unauthorized_client` and `publicRefusal`: anyone could act as them.
 */
export async function authenticateJsonClient(
  app: AppContext,
  c: Context,
  body: Readonly<Record<string, unknown>>,
  endpoint: string,
  publicRefusal: string,
): Promise<RegisteredClient> {
  const values = new Map<string, string>()
  for (const name of AUTH_MEMBERS) {
    const v = body[name]
    if (typeof v === 'string') values.set(name, v)
  }
  const params: OAuthParams = { values, repeated: new Set() }
  const client = await authenticateClient(app, c, params, endpoint)
  if (client.authMethod === 'none') throw new OAuthError('unauthorized_client', publicRefusal)
  return client
}
