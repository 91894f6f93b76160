/**
 * Test support for the vendor resource API: a vault with a profile, the app on a fake clock
 * shared with the vault, vendors registered through RFC 7591, grants made as the owner would,
 * and tokens minted straight from the token store (the OAuth flow is tested elsewhere).
 */
import { createHash, randomUUID } from 'node:crypto'
import {
  type CryptoKey,
  type JWK,
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
} from 'jose'
import type { Kysely } from 'kysely'
import type { GrantInput } from '@custos/vault'
import { type AppContext, createAppContext } from '../../src/app-context.js'
import { parseConfig } from '../../src/config.js'
import type { ApiTables } from '../../src/db/api-schema.js'
import { createApp } from '../../src/index.js'
import { type TestVault, createTestVault } from '@custos/vault/testing'

export const ISSUER = 'https://vault.example'

/** The owner's profile: some fields are granted in the tests, the others must never leave. */
export const PROFILE = {
  email: 'ada@example.org',
  'name.given': 'Ada',
  'name.family': 'Lovelace-Canary',
  telephone: '+44 20 7946 0000',
  'prefs.sizes.shoe': 'EU 38',
  'prefs.sizes.top': 'S',
  'prefs.allergies': ['peanut-canary'],
} as const

export interface ResourceFixture {
  readonly tv: TestVault
  readonly app: Awaited<ReturnType<typeof createApp>>
  readonly ctx: AppContext
  now(): Date
  advance(seconds: number): void
  /** Registers a client (= vendor) through POST /oauth/register; returns its client id. */
  registerVendor(metadata?: Record<string, unknown>): Promise<string>
  grant(vendorId: string, input?: Partial<GrantInput>): Promise<string>
  token(vendorId: string, grantId: string, dpopJkt?: string | null): Promise<string>
  /** A vendor with a read grant on email and sizes, and a bearer token for it. */
  vendorWithToken(
    input?: Partial<GrantInput>,
    metadata?: Record<string, unknown>,
  ): Promise<{ vendorId: string; grantId: string; token: string }>
  get(
    path: string,
    token: string,
    init?: { headers?: Record<string, string>; scheme?: string },
  ): Promise<Response>
}

let live: TestVault[] = []

/** Disposes every vault made by {@link resourceFixture} (call in afterEach). */
export async function disposeFixtures(): Promise<void> {
  const all = live
  live = []
  await Promise.all(all.map((tv) => tv.dispose()))
}

export async function resourceFixture(): Promise<ResourceFixture> {
  let t = Date.now()
  const now = () => new Date(t)
  const tv = await createTestVault({ now })
  live.push(tv)
  await tv.vault.fields.setMany(PROFILE)
  const app = await createApp({
    vault: tv.vault,
    database: tv.handle,
    config: { issuer: ISSUER },
    now,
  })
  const base = {
    vault: tv.vault,
    db: tv.handle.db as unknown as Kysely<ApiTables>,
    config: parseConfig({ issuer: ISSUER }),
    now,
  }
  const ctx: AppContext = createAppContext(base)

  const fixture: ResourceFixture = {
    tv,
    app,
    ctx,
    now,
    advance(seconds) {
      t += seconds * 1000
    },
    async registerVendor(metadata = {}) {
      const res = await app.request('/oauth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Fjord Outdoor',
          client_uri: 'https://fjord.example',
          contacts: ['privacy@fjord.example'],
          redirect_uris: ['https://fjord.example/cb'],
          ...metadata,
        }),
      })
      if (res.status !== 201) throw new Error(`registration failed: ${res.status}`)
      return ((await res.json()) as { client_id: string }).client_id
    },
    async grant(vendorId, input = {}) {
      const grant = await tv.vault.grants.create({
        vendorId,
        fields: ['email', 'prefs.sizes.*'],
        actions: ['read'],
        purpose: 'Fit recommendations',
        durationSeconds: 86_400,
        acceptedTerms: ['no-resale'],
        ...input,
      })
      return grant.id
    },
    async token(vendorId, grantId, dpopJkt = null) {
      return (await ctx.stores.tokens.issue({ clientId: vendorId, grantId, dpopJkt })).accessToken
    },
    async vendorWithToken(input = {}, metadata = {}) {
      const vendorId = await fixture.registerVendor(metadata)
      const grantId = await fixture.grant(vendorId, input)
      return { vendorId, grantId, token: await fixture.token(vendorId, grantId) }
    },
    async get(path, token, init = {}) {
      return app.request(path, {
        headers: { authorization: `${init.scheme ?? 'Bearer'} ${token}`, ...init.headers },
      })
    },
  }
  return fixture
}

/** A DPoP key of a client (RFC 9449), making proofs on the fixture's clock. */
export interface DpopKey {
  readonly jwk: JWK
  readonly jkt: string
  proof(
    method: string,
    url: string,
    accessToken: string | undefined,
    claims?: Record<string, unknown>,
  ): Promise<string>
}

export async function dpopKey(now: () => Date): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  return {
    jwk,
    jkt: await calculateJwkThumbprint(jwk),
    proof: (method, url, accessToken, claims = {}) =>
      sign(privateKey, jwk, now, {
        htm: method,
        htu: url,
        ...(accessToken !== undefined ? { ath: ath(accessToken) } : {}),
        ...claims,
      }),
  }
}

function sign(
  privateKey: CryptoKey,
  jwk: JWK,
  now: () => Date,
  claims: Record<string, unknown>,
): Promise<string> {
  return new SignJWT({ jti: randomUUID(), iat: Math.floor(now().getTime() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .sign(privateKey)
}

export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url')
}

/** Parses the RFC 6750 error out of a response: status, scheme(s) and params of WWW-Authenticate, and the body. */
export async function bearerError(res: Response): Promise<{
  status: number
  challenge: string
  error?: string
  body: { error?: string; error_description?: string }
}> {
  const challenge = res.headers.get('www-authenticate') ?? ''
  const error = /error="([^"]*)"/.exec(challenge)?.[1]
  const body = (await res.json()) as { error?: string; error_description?: string }
  return { status: res.status, challenge, ...(error !== undefined ? { error } : {}), body }
}
