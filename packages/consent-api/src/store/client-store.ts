import { z } from 'zod'
import { VaultError } from '@custos/vault'
import type { StoreContext } from '../app-context.js'
import type { OAuthClientsTable } from '../db/api-schema.js'
import { type UnmacedRow, authentic, openSealed, rowMac, sealedPlace } from '../db/stored-rows.js'

/**
 * Registered clients as the authorization server uses them: the row written by registration
 * (RFC 7591), its metadata parsed back. Client ids are vault vendor ids; anything that does not
 * look like one is unknown before it reaches the database (no odd bytes in a query).
 *
 * The row carries the vault's MAC over the secret hash, the auth method and the envelope
 * (db/stored-rows.ts), checked on every lookup: edited redirect URIs, keys, auth method or DPoP
 * flag — or another client's envelope moved in — make the client unknown (invalid_client, an
 * error page), never one that authenticates or redirects differently. Redirect URIs and the
 * metadata — the vendor's name, site, logo, contacts, keys — are encrypted in `sealed`.
 */
export const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/

const StoredMetadata = z.object({
  client_name: z.string(),
  client_uri: z.string().optional(),
  logo_uri: z.string().optional(),
  policy_uri: z.string().optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
  jwks_uri: z.string().optional(),
  dpop_bound_access_tokens: z.boolean().default(false),
  grant_types: z.array(z.string()).default(['authorization_code', 'refresh_token']),
  custos_x25519_public_key: z.string().optional(),
  custos_events_endpoint: z.string().optional(),
  myterms_accepted: z.array(z.string()).optional(),
  myterms_uri: z.string().optional(),
})

/** What `sealed` holds: the registered redirect URIs and the rest of the RFC 7591 metadata. */
export const SealedClient = z.object({
  redirect_uris: z.array(z.string()),
  metadata: StoredMetadata,
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
  /** Custos extension: the vendor's X25519 key for sealed responses (base64url). */
  readonly x25519PublicKey?: string
  /** Custos extension (issue 12): where signals are pushed as SETs (RFC 8935); none: the vendor polls (RFC 8936). */
  readonly eventsEndpoint?: string
  /** RFC 7591 `policy_uri`: the vendor's privacy policy, named in its consent receipts. */
  readonly policyUri?: string
  /** IEEE 7012 (issue 12): the MyTerms roster agreements the vendor said it accepts, in its order. */
  readonly mytermsAccepted: readonly string[]
  /**
   * IEEE 7012 (issue 12): the vendor's own MyTerms document (`myterms_uri`), to learn what it
   * accepts from — set only when it registered no `myterms_accepted`, which wins
   * (terms/vendor-terms-store.ts).
   */
  readonly mytermsUri?: string
  /** RFC 7591 `client_uri`: the vendor's stated website, named in agreement records. */
  readonly clientUri?: string
}

/** A new client as registration (RFC 7591) hands it over: the validated metadata, split. */
export interface NewClient {
  readonly clientId: string
  readonly secretHash: string | null
  readonly authMethod: OAuthClientsTable['auth_method']
  readonly redirectUris: readonly string[]
  readonly metadata: Record<string, unknown>
}

/**
 * @example
 * await clients.store({ clientId: vendor.id, secretHash: null, authMethod: 'none', redirectUris, metadata })
 * const client = await clients.load(vendor.id) // undefined when unknown or edited
 */
export class ClientStore {
  readonly #app: StoreContext

  constructor(app: StoreContext) {
    this.#app = app
  }

  /** Stores a registered client: the confidential part sealed, the row MAC'd. */
  async store(client: NewClient): Promise<void> {
    const app = this.#app
    const row: UnmacedRow<'oauth_clients'> = {
      client_id: client.clientId,
      secret_hash: client.secretHash,
      auth_method: client.authMethod,
      redirect_uris: '',
      metadata: '',
      sealed: app.vault.envelopes.seal(sealedPlace('oauth_clients', client.clientId), {
        redirect_uris: client.redirectUris,
        metadata: client.metadata,
      }),
      created_at: app.now().toISOString(),
    }
    await app.db
      .insertInto('oauth_clients')
      .values({ ...row, row_mac: rowMac(app, 'oauth_clients', row) })
      .execute()
  }

  /** The client of `clientId`, if registered and its row authentic. */
  async load(clientId: string): Promise<RegisteredClient | undefined> {
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return undefined
    const app = this.#app
    const row = await app.db
      .selectFrom('oauth_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst()
    if (!row || !authentic(app, 'oauth_clients', row)) return undefined
    const sealed = openSealed(
      app,
      sealedPlace('oauth_clients', row.client_id),
      row.sealed,
      SealedClient,
    )
    const meta = sealed.metadata
    return {
      clientId: row.client_id,
      name: meta.client_name,
      authMethod: row.auth_method,
      secretHash: row.secret_hash,
      redirectUris: sealed.redirect_uris,
      ...(meta.jwks ? { jwks: meta.jwks } : {}),
      ...(meta.jwks_uri ? { jwksUri: meta.jwks_uri } : {}),
      dpopBoundAccessTokens: meta.dpop_bound_access_tokens,
      grantTypes: meta.grant_types,
      ...(meta.custos_x25519_public_key ? { x25519PublicKey: meta.custos_x25519_public_key } : {}),
      ...(meta.custos_events_endpoint ? { eventsEndpoint: meta.custos_events_endpoint } : {}),
      ...(meta.policy_uri ? { policyUri: meta.policy_uri } : {}),
      mytermsAccepted: meta.myterms_accepted ?? [],
      ...(meta.myterms_uri && meta.myterms_accepted === undefined
        ? { mytermsUri: meta.myterms_uri }
        : {}),
      ...(meta.client_uri ? { clientUri: meta.client_uri } : {}),
    }
  }

  /** True when the vendor behind a client is blocked by the owner (or gone): it gets nothing. */
  async vendorBlocked(clientId: string): Promise<boolean> {
    try {
      return (await this.#app.vault.vendors.get(clientId)).blocked
    } catch (err) {
      if (err instanceof VaultError && err.code === 'ERR_NOT_FOUND') return true
      throw err
    }
  }
}
