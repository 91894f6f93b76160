/**
 * Reliability test support: the consent API in-process (`app.request`) over a database handle the
 * test controls, with what the probes need — a vendor with a bearer token and a refresh token, and
 * a signed-in owner. Tokens are minted straight from the token store (the OAuth flow itself is
 * tested in the stories); everything after that goes through HTTP routes.
 */
import { type DatabaseHandle, type Vault, createVault } from '@custos/vault'
import { type AppDeps, createApp } from '@custos/consent-api'
import type { Hono } from 'hono'
import type { Kysely } from 'kysely'
import { parseConfig } from '../../../packages/consent-api/src/config.js'
import type { ApiTables } from '../../../packages/consent-api/src/db/api-schema.js'
import { TokenStore } from '../../../packages/consent-api/src/store/token-store.js'

export const ISSUER = 'https://vault.example'
export const PASSPHRASE = 'a reliable vault passphrase'
export const PROFILE = {
  email: 'ada@example.org',
  'name.given': 'Ada',
  'prefs.sizes.shoe': 'EU 38',
  'prefs.sizes.top': 'S',
  telephone: '+44 20 7946 0000',
} as const

export interface Owner {
  readonly cookie: string
  readonly csrf: string
}

export interface World {
  readonly vault: Vault
  readonly app: Hono
  readonly clientId: string
  readonly clientSecret: string
  readonly grantId: string
  readonly accessToken: string
  /** The current refresh token (rotated by successful refreshes through {@link World.refresh}). */
  refreshToken: string
  readonly owner: Owner
  /** GET /v1/profile with the vendor's bearer token. */
  readProfile(): Promise<Response>
  /** POST /oauth/token refresh_token; on success remembers the rotated refresh token. */
  refresh(): Promise<Response>
  /** An owner API call with session cookie and CSRF token. */
  ownerCall(method: string, path: string, json?: unknown): Promise<Response>
}

/** `build` makes the served app (default: the consent API; the fuzz passes the whole web app). */
export async function inProcessWorld(
  database: DatabaseHandle,
  build: (deps: AppDeps) => Promise<Hono> = createApp,
): Promise<World> {
  const vault = await createVault({ database, kdf: 'interactive' })
  await vault.initialize(PASSPHRASE)
  await vault.fields.setMany(PROFILE)
  // Access tokens long enough that none expires during a test; refresh is exercised explicitly.
  const config = { issuer: ISSUER, accessTokenSeconds: 3600 }
  const app = await build({ vault, database, config })
  const tokenStore = new TokenStore({
    vault,
    db: database.db as unknown as Kysely<ApiTables>,
    config: parseConfig(config),
    now: () => new Date(),
    database,
  })

  const reg = await app.request('/oauth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Fjord Outdoor',
      client_uri: 'https://fjord.example',
      redirect_uris: ['https://fjord.example/cb'],
    }),
  })
  if (reg.status !== 201) throw new Error(`registration failed: ${reg.status}`)
  const { client_id: clientId, client_secret: clientSecret } = (await reg.json()) as {
    client_id: string
    client_secret: string
  }
  const grant = await vault.grants.create({
    vendorId: clientId,
    fields: ['email', 'prefs.sizes.*'],
    actions: ['read', 'append'],
    purpose: 'Sizing',
    durationSeconds: 86_400,
  })
  const tokens = await tokenStore.issue({ clientId, grantId: grant.id, dpopJkt: null })

  const session = await app.request('/owner/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ passphrase: PASSPHRASE }),
  })
  if (session.status !== 201) throw new Error(`sign-in failed: ${session.status}`)
  const owner: Owner = {
    cookie: (session.headers.get('set-cookie') ?? '').split(';')[0] as string,
    csrf: ((await session.json()) as { csrf_token: string }).csrf_token,
  }
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`

  const world: World = {
    vault,
    app,
    clientId,
    clientSecret,
    grantId: grant.id,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    owner,
    readProfile: async () =>
      app.request('/v1/profile', { headers: { authorization: `Bearer ${tokens.accessToken}` } }),
    async refresh() {
      const res = await app.request('/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: world.refreshToken,
        }).toString(),
      })
      if (res.status === 200)
        world.refreshToken = ((await res.clone().json()) as { refresh_token: string }).refresh_token
      return res
    },
    ownerCall: async (method, path, json) =>
      app.request(path, {
        method,
        headers: {
          cookie: owner.cookie,
          'x-csrf-token': owner.csrf,
          ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      }),
  }
  return world
}
