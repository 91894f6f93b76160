/**
 * Test support for the authorization flow: a vault with a profile, the app on a fake clock
 * shared with the vault, and the moves of a vendor (register, PAR, token requests) and of the
 * owner (sign in, read the consent page, decide) — all in-process through `app.request`.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  type CryptoKey,
  type JWK,
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
} from 'jose'
import { type AppDeps, createApp } from '../../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault } from '@custos/vault/testing'

export const ISSUER = 'https://vault.example'
export const REDIRECT = 'https://fjord.example/cb'
export const TOKEN_URL = `${ISSUER}/oauth/token`

export const PROFILE = {
  email: 'ada@example.org',
  'name.given': 'Ada',
  telephone: '+44 20 7946 0000',
  'prefs.sizes.shoe': 'EU 38',
  'prefs.sizes.top': 'Small-canary',
} as const

export type App = Awaited<ReturnType<typeof createApp>>

export interface Client {
  readonly id: string
  readonly secret?: string
  /** Client authentication for a back-channel request: headers and form fields. */
  auth(): Promise<{ headers: Record<string, string>; form: Record<string, string> }>
}

export interface Owner {
  readonly cookie: string
  readonly csrf: string
}

let live: TestVault[] = []

export async function disposeFixtures(): Promise<void> {
  const all = live
  live = []
  await Promise.all(all.map((tv) => tv.dispose()))
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** HTTP Basic as RFC 6749 §2.3.1 wants it: form-urlencoded id and secret, then base64. */
export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

export async function oauthFixture(
  config: Record<string, unknown> = {},
  options: {
    onUnexpectedError?: (err: unknown) => void
    signalDelivery?: NonNullable<AppDeps['signalDelivery']>
  } = {},
) {
  let t = Date.now()
  const now = () => new Date(t)
  const tv = await createTestVault({ now })
  live.push(tv)
  await tv.vault.fields.setMany(PROFILE)
  const app = await createApp({
    vault: tv.vault,
    database: tv.handle,
    config: { issuer: ISSUER, ...config },
    now,
    ...options,
  })

  const f = {
    tv,
    app,
    now,
    advance(seconds: number) {
      t += seconds * 1000
    },

    /** Registers a client through RFC 7591 (client_secret_basic unless the metadata says otherwise). */
    async register(metadata: Record<string, unknown> = {}): Promise<Client> {
      const res = await app.request('/oauth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Fjord Outdoor',
          client_uri: 'https://fjord.example',
          redirect_uris: [REDIRECT],
          ...metadata,
        }),
      })
      if (res.status !== 201) throw new Error(`registration failed: ${res.status}`)
      const body = (await res.json()) as {
        client_id: string
        client_secret?: string
        token_endpoint_auth_method: string
      }
      const method = body.token_endpoint_auth_method
      const secret = body.client_secret
      return {
        id: body.client_id,
        ...(secret !== undefined ? { secret } : {}),
        async auth() {
          if (method === 'client_secret_post')
            return {
              headers: {},
              form: { client_id: body.client_id, client_secret: secret as string },
            }
          return { headers: { authorization: basic(body.client_id, secret as string) }, form: {} }
        },
      }
    },

    /** Registers a private_key_jwt client with a fresh key pair; assertions are signed on the fixture clock. */
    async registerKeyClient(metadata: Record<string, unknown> = {}): Promise<
      Client & {
        sign(
          claims?: Record<string, unknown>,
          options?: { alg?: string; key?: CryptoKey; typ?: string },
        ): Promise<string>
      }
    > {
      const { privateKey, publicKey } = await generateKeyPair('ES256')
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
      const client = await f.register({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [jwk] },
        ...metadata,
      })
      const sign = (
        claims: Record<string, unknown> = {},
        options: { alg?: string; key?: CryptoKey; typ?: string } = {},
      ) => {
        const iat = Math.floor(now().getTime() / 1000)
        return new SignJWT({
          iss: client.id,
          sub: client.id,
          aud: ISSUER,
          jti: randomBytes(16).toString('base64url'),
          iat,
          exp: iat + 60,
          ...claims,
        })
          .setProtectedHeader({
            alg: options.alg ?? 'ES256',
            kid: 'k1',
            ...(options.typ ? { typ: options.typ } : {}),
          })
          .sign(options.key ?? privateKey)
      }
      return {
        id: client.id,
        sign,
        async auth() {
          return {
            headers: {},
            form: {
              client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
              client_assertion: await sign(),
            },
          }
        },
      }
    },

    /** A back-channel POST with client authentication and a form body. */
    async post(
      path: string,
      client: Client | undefined,
      fields: Record<string, string>,
      headers: Record<string, string> = {},
    ): Promise<Response> {
      const auth = client ? await client.auth() : { headers: {}, form: {} }
      return app.request(path, {
        method: 'POST',
        headers: { ...FORM, ...auth.headers, ...headers },
        body: form({ ...auth.form, ...fields }),
      })
    },

    /** RFC 9126: pushes a request, returns its request_uri. */
    async par(
      client: Client,
      params: Record<string, string>,
      headers: Record<string, string> = {},
    ): Promise<string> {
      const res = await f.post('/oauth/par', client, params, headers)
      if (res.status !== 201) throw new Error(`PAR failed: ${res.status} ${await res.text()}`)
      return ((await res.json()) as { request_uri: string }).request_uri
    },

    /** The owner signs in (JSON): the session cookie and the CSRF token. */
    async signIn(): Promise<Owner> {
      const res = await app.request('/owner/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ passphrase: PASSPHRASE }),
      })
      if (res.status !== 201) throw new Error(`sign-in failed: ${res.status}`)
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string
      return { cookie, csrf: ((await res.json()) as { csrf_token: string }).csrf_token }
    },

    /** Opens the authorization endpoint (as the owner's browser, optionally signed in). */
    async authorize(query: Record<string, string>, owner?: Owner): Promise<Response> {
      return app.request(
        `/oauth/authorize?${form(query)}`,
        owner ? { headers: { cookie: owner.cookie } } : {},
      )
    },

    /** Posts the owner's decision on a pending request. */
    async decide(
      owner: Owner,
      fields: [string, string][],
      headers: Record<string, string> = {},
    ): Promise<Response> {
      return app.request('/oauth/authorize/decision', {
        method: 'POST',
        headers: { ...FORM, cookie: owner.cookie, ...headers },
        body: new URLSearchParams(fields).toString(),
      })
    },

    /**
     * The whole front channel for `query`: open the consent page signed in, read the pending
     * request id, approve (all that was asked unless `choices` say otherwise). Returns the redirect.
     */
    async consent(
      query: Record<string, string>,
      choices?: (page: string) => [string, string][],
      owner?: Owner,
    ): Promise<URL> {
      const who = owner ?? (await f.signIn())
      const page = await f.authorize(query, who)
      if (page.status !== 200)
        throw new Error(`consent page: ${page.status} ${page.headers.get('location') ?? ''}`)
      const html = await page.text()
      const decision = choices
        ? choices(html)
        : [...checkedBoxes(html), ['decision', 'approve'] as [string, string]]
      const res = await f.decide(who, [
        ['request_id', pendingId(html)],
        ['csrf_token', who.csrf],
        ...decision,
      ])
      if (res.status !== 303) throw new Error(`decision: ${res.status}`)
      return new URL(res.headers.get('location') as string)
    },

    /** Register → (PAR or front channel) → consent → code; returns what the token request needs. */
    async code(
      client: Client,
      params: Record<string, string | undefined> = {},
      options: {
        par?: boolean
        choices?: (page: string) => [string, string][]
        headers?: Record<string, string>
      } = {},
    ) {
      const { verifier, challenge } = pkce()
      // An undefined parameter is left out of the request.
      const all = {
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'read:email read:prefs.sizes.*',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'st-1',
        ...params,
      }
      const request = Object.fromEntries(
        Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined),
      )
      const query = options.par
        ? { client_id: client.id, request_uri: await f.par(client, request, options.headers) }
        : { client_id: client.id, ...request }
      const back = await f.consent(query, options.choices)
      const code = back.searchParams.get('code')
      if (!code) throw new Error(`no code: ${back.search}`)
      return { code, verifier, back }
    },

    /** Exchanges a code at the token endpoint. */
    exchange(
      client: Client,
      code: string,
      verifier: string,
      extra: Record<string, string> = {},
      headers: Record<string, string> = {},
    ): Promise<Response> {
      return f.post(
        '/oauth/token',
        client,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          code_verifier: verifier,
          ...extra,
        },
        headers,
      )
    },

    refresh(
      client: Client,
      refreshToken: string,
      headers: Record<string, string> = {},
    ): Promise<Response> {
      return f.post(
        '/oauth/token',
        client,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        headers,
      )
    },

    async introspect(client: Client, token: string): Promise<Record<string, unknown>> {
      const res = await f.post('/oauth/introspect', client, { token })
      if (res.status !== 200) throw new Error(`introspection: ${res.status}`)
      return (await res.json()) as Record<string, unknown>
    },
  }
  return f
}

export type OAuthFixture = Awaited<ReturnType<typeof oauthFixture>>

/** An owner API call in a fresh session, with its CSRF token (JSON body when given). */
export async function ownerCall(f: OAuthFixture, method: string, path: string, json?: unknown) {
  const owner = await f.signIn()
  return f.app.request(path, {
    method,
    headers: {
      cookie: owner.cookie,
      'x-csrf-token': owner.csrf,
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  })
}

export interface TokenResponse {
  access_token: string
  token_type: string
  expires_in: number
  refresh_token: string
  scope: string
  authorization_details: Record<string, unknown>[]
}

/** The pending request id rendered into the consent form. */
export function pendingId(html: string): string {
  const id =
    /name="request_id" value="([A-Za-z0-9_-]+)"/.exec(html)?.[1] ??
    /\/oauth\/authorize\/pending\/([A-Za-z0-9_-]+)/.exec(html)?.[1]
  if (!id) throw new Error('no pending request id on the page')
  return id
}

/** The checkboxes of the consent form that are ticked, as a browser would submit them. */
export function checkedBoxes(html: string): [string, string][] {
  return [...html.matchAll(/<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>/g)].map(
    (m) => [m[1] as string, (m[2] as string).replace(/&amp;/g, '&')],
  )
}

/** A DPoP key (RFC 9449) making proofs on the fixture's clock. */
export async function dpopKey(now: () => Date): Promise<{
  jwk: JWK
  jkt: string
  proof(method: string, url: string, claims?: Record<string, unknown>): Promise<string>
}> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  return {
    jwk,
    jkt: await calculateJwkThumbprint(jwk),
    proof: (method, url, claims = {}) =>
      new SignJWT({
        jti: randomBytes(16).toString('base64url'),
        iat: Math.floor(now().getTime() / 1000),
        htm: method,
        htu: url,
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .sign(privateKey),
  }
}
