import { z } from 'zod'
import { VaultError } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import type { OAuthClientsTable } from '../db/api-schema.js'

/**
 * A registered client as the authorization server uses it: the row written by registration
 * (RFC 7591), its metadata parsed back. Client ids are vault vendor ids; anything that does not
 * look like one is unknown before it reaches the database (no odd bytes in a query).
 */
export const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/

const StoredMetadata = z.object({
  client_name: z.string(),
  client_uri: z.string().optional(),
  logo_uri: z.string().optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
  jwks_uri: z.string().optional(),
  dpop_bound_access_tokens: z.boolean().default(false),
  grant_types: z.array(z.string()).default(['authorization_code', 'refresh_token']),
})

export interface RegisteredClient {
  readonly clientId: string
  readonly name: string
  readonly authMethod: OAuthClientsTable['auth_method']
  readonly secretHash: string | null
  readonly redirectUris: readonly string[]
  readonly jwks?: { keys: Record<string, unknown>[] }
  readonly jwksUri?: string
  readonly dpopBoundAccessTokens: boolean
  readonly grantTypes: readonly string[]
}

export async function loadClient(app: AppContext, clientId: string): Promise<RegisteredClient | undefined> {
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return undefined
  const row = await app.db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst()
  if (!row) return undefined
  const meta = StoredMetadata.parse(JSON.parse(row.metadata))
  return {
    clientId: row.client_id,
    name: meta.client_name,
    authMethod: row.auth_method,
    secretHash: row.secret_hash,
    redirectUris: z.array(z.string()).parse(JSON.parse(row.redirect_uris)),
    ...(meta.jwks ? { jwks: meta.jwks } : {}),
    ...(meta.jwks_uri ? { jwksUri: meta.jwks_uri } : {}),
    dpopBoundAccessTokens: meta.dpop_bound_access_tokens,
    grantTypes: meta.grant_types,
  }
}

/** True when the vendor behind a client is blocked by the owner (or gone): it gets nothing. */
export async function vendorBlocked(app: AppContext, clientId: string): Promise<boolean> {
  try {
    return (await app.vault.vendors.get(clientId)).blocked
  } catch (err) {
    if (err instanceof VaultError && err.code === 'ERR_NOT_FOUND') return true
    throw err
  }
}
