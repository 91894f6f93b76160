/**
 * Stories of issue 3: a vendor meets Custos with an unmodified, standard OAuth 2.0 client library
 * (oauth4webapi), over real HTTP on 127.0.0.1, exactly as it would meet any RFC-conforming
 * authorization server — discovery (RFC 8414), dynamic registration (RFC 7591), PAR (RFC 9126)
 * with PKCE S256 (RFC 7636) and rich authorization requests (RFC 9396), the owner's consent in a
 * browser, the code and refresh grants (RFC 6749), Bearer (RFC 6750) and DPoP (RFC 9449) access,
 * introspection (RFC 7662), revocation (RFC 7009) and private_key_jwt (RFC 7523).
 *
 * The owner's side (narrowing, revoking, reading the audit log) goes through the vault library;
 * the owner's browser is a cookie-keeping fetch that submits the real consent page.
 */
import { type JsonWebKey, createPublicKey, verify as verifySignature } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import * as oauth from 'oauth4webapi'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '@custos/consent-api'
import { type Vault, createVault, openSqlite } from '@custos/vault'
import { type HtmlForm, OwnerBrowser, parseForms, submitters } from './support/owner-browser.js'

const PASSPHRASE = 'a vault of my own, thank you'
const REDIRECT_URI = 'https://shop.example/oauth/callback'
const SCOPE = 'read:email read:prefs.sizes.* read:purchases'
const OWNER_FIELDS = {
  email: 'ada@example.org',
  'prefs.sizes.shoe': 'EU 42',
  'prefs.sizes.top': 'M',
  'name.given': 'Ada',
  telephone: '+44 20 7946 0000',
  birthDate: '1815-12-10',
}
const SIZES = { 'prefs.sizes.shoe': 'EU 42', 'prefs.sizes.top': 'M' }

/**
 * oauth4webapi refuses any http:// endpoint unless told otherwise, because a token or code sent
 * in clear text can be read and replayed. These stories run the real server on the loopback
 * interface (127.0.0.1, never leaving the machine) without TLS so they need no certificates; a
 * vendor talks to a production vault over https and never sets this.
 */
const loopback = { [oauth.allowInsecureRequests]: true } as const

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

interface World {
  readonly vault: Vault
  readonly issuer: string
  readonly as: oauth.AuthorizationServer
  readonly browser: OwnerBrowser
  /** Moves the vault's and the server's clock forward (oauth4webapi keeps the real time). */
  advance(seconds: number): void
  url(path: string): URL
}

/** A vault on a SQLite file, the consent API served on a free loopback port, and metadata discovered. */
async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-oauth-story-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  let offsetMs = 0
  const now = () => new Date(Date.now() + offsetMs)
  const database = openSqlite(join(dir, 'vault.db'))
  const vault = await createVault({ database, kdf: 'interactive', now })
  cleanups.push(() => vault.close())
  await vault.initialize(PASSPHRASE)
  await vault.fields.setMany(OWNER_FIELDS)

  // Listen first (port 0: the OS picks a free port, no race), then build the app: the issuer
  // must be the real base URL, which is known only once the socket is bound.
  let app: Hono | undefined
  const server = serve({
    fetch: (req, env) => (app ? app.fetch(req, env) : new Response('starting', { status: 503 })),
    hostname: '127.0.0.1',
    port: 0,
  }) as Server
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // Access tokens outlive the story's short grant, so the expiry step proves the *grant* expiry is enforced.
  app = await createApp({ vault, database, config: { issuer, accessTokenSeconds: 3600 }, now })

  const issuerUrl = new URL(issuer)
  const discovery = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', ...loopback })
  const as = await oauth.processDiscoveryResponse(issuerUrl, discovery)
  return {
    vault,
    issuer,
    as,
    browser: new OwnerBrowser(issuer),
    advance: (s) => void (offsetMs += s * 1000),
    url: (p) => new URL(p, issuer),
  }
}

interface Vendor {
  readonly client: oauth.Client
  readonly auth: oauth.ClientAuth
  readonly dpop?: oauth.DPoPHandle
}

async function register(
  world: World,
  metadata: Partial<oauth.OmitSymbolProperties<oauth.Client>>,
): Promise<oauth.OmitSymbolProperties<oauth.Client>> {
  const res = await oauth.dynamicClientRegistrationRequest(
    world.as,
    { client_name: 'Fjord Outdoor', redirect_uris: [REDIRECT_URI], ...metadata },
    loopback,
  )
  expect(res.headers.get('cache-control')).toContain('no-store')
  return oauth.processDynamicClientRegistrationResponse(res)
}

/** RFC 9396 authorization details of the Custos type: what for, for how long (the fields come from `scope`). */
function details(durationSeconds: number) {
  return JSON.stringify([
    {
      type: 'custos_fields',
      actions: ['read'],
      purpose: 'Recommend the right size and keep order history',
      duration_seconds: durationSeconds,
    },
  ])
}

/** What the owner does on the consent page: untick some requested fields and approve, or deny. */
interface Decision {
  readonly untick?: readonly string[]
  readonly deny?: boolean
}

/** The owner in the browser: opens the authorization URL, logs in with the passphrase if asked, decides on the consent page. */
async function ownerDecides(
  world: World,
  authorizationUrl: URL,
  decision: Decision,
): Promise<{ callback: URL; offered: string[] }> {
  let step = await world.browser.navigate(authorizationUrl)
  for (let pages = 0; pages < 4; pages++) {
    if (step.kind === 'left')
      throw new Error(
        `left the server before the consent page: ${step.location.origin}${step.location.pathname}`,
      )
    expect(step.status).toBe(200)
    const forms = parseForms(step.html)
    const login = forms.find((f) => f.controls.some((c) => c.type === 'password'))
    if (login) {
      for (const c of login.controls) if (c.type === 'password') c.value = PASSPHRASE
      step = await world.browser.submit(step.url, login, submitters(login)[0])
      continue
    }
    const consent = forms.find((f) => f.controls.some((c) => c.type === 'checkbox'))
    if (!consent) throw new Error('no consent form on the page')
    const boxes = consent.controls.filter((c) => c.type === 'checkbox')
    for (const box of boxes) if (decision.untick?.includes(box.value)) box.checked = false
    const button = pick(
      consent,
      decision.deny ? /deny|refuse|reject|cancel/i : /approve|allow|accept|grant|share/i,
    )
    const done = await world.browser.submit(step.url, consent, button)
    if (done.kind !== 'left')
      throw new Error(`the decision did not redirect to the vendor (status ${done.status})`)
    // RFC 6749 §4.1.2 via a 303, so the browser turns the POST into a GET (RFC 9700 §4.11).
    expect(done.status).toBe(303)
    expect(`${done.location.origin}${done.location.pathname}`).toBe(REDIRECT_URI)
    return { callback: done.location, offered: boxes.map((b) => b.value) }
  }
  throw new Error('never reached the consent page')
}

function pick(form: HtmlForm, label: RegExp) {
  const button = submitters(form).find((b) => label.test(`${b.name} ${b.value} ${b.label}`))
  if (!button) throw new Error(`no ${label.source} button on the consent page`)
  return button
}

interface Authorized {
  readonly tokens: oauth.TokenEndpointResponse
  readonly grantId: string
  /** The checkboxes the consent page offered. */
  readonly offered: string[]
}

/** PAR → the owner's browser → callback → code exchange: the whole authorization code flow. */
async function authorize(
  world: World,
  vendor: Vendor,
  decision: Decision = {},
  durationSeconds = 30 * 86400,
): Promise<Authorized> {
  const { as } = world
  const dpop = vendor.dpop ? { DPoP: vendor.dpop } : {}
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const par = await oauth.pushedAuthorizationRequest(
    as,
    vendor.client,
    vendor.auth,
    {
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      authorization_details: details(durationSeconds),
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    },
    { ...loopback, ...dpop },
  )
  const { request_uri } = await oauth.processPushedAuthorizationResponse(as, vendor.client, par)
  const authorizationUrl = new URL(as.authorization_endpoint as string)
  authorizationUrl.searchParams.set('client_id', vendor.client.client_id)
  authorizationUrl.searchParams.set('request_uri', request_uri)

  const grantsBefore = new Set(
    (await world.vault.grants.list({ vendorId: vendor.client.client_id })).map((g) => g.id),
  )
  const { callback, offered } = await ownerDecides(world, authorizationUrl, decision)
  const params = oauth.validateAuthResponse(as, vendor.client, callback, state)
  const tokenResponse = await oauth.authorizationCodeGrantRequest(
    as,
    vendor.client,
    vendor.auth,
    params,
    REDIRECT_URI,
    verifier,
    { ...loopback, ...dpop },
  )
  // SECURITY.md promise 17 / RFC 6749 §5.1: token responses must never be cached.
  expect(tokenResponse.headers.get('cache-control')).toContain('no-store')
  const tokens = await oauth.processAuthorizationCodeResponse(as, vendor.client, tokenResponse)
  const created = (await world.vault.grants.list({ vendorId: vendor.client.client_id })).filter(
    (g) => !grantsBefore.has(g.id),
  )
  expect(created).toHaveLength(1)
  return { tokens, grantId: created[0]!.id, offered }
}

async function readProfile(
  world: World,
  accessToken: string,
  dpop?: oauth.DPoPHandle,
): Promise<Record<string, unknown>> {
  const res = await oauth.protectedResourceRequest(
    accessToken,
    'GET',
    world.url('/v1/profile'),
    undefined,
    undefined,
    { ...loopback, ...(dpop ? { DPoP: dpop } : {}) },
  )
  expect(res.status).toBe(200)
  return ((await res.json()) as { fields: Record<string, unknown> }).fields
}

/** The resource server refuses the token: 401 with an RFC 6750 §3 challenge (oauth4webapi raises it). */
async function expectRefused(
  request: Promise<Response>,
  scheme: 'bearer' | 'dpop' = 'bearer',
): Promise<oauth.WWWAuthenticateChallengeError> {
  const outcome = await request.then(
    (res) => `HTTP ${res.status}`,
    (err: unknown) => err,
  )
  if (!(outcome instanceof oauth.WWWAuthenticateChallengeError))
    throw new Error(`expected a 401 challenge, got ${String(outcome)}`)
  const challenge = outcome
  expect(challenge.status).toBe(401)
  expect(challenge.cause.find((c) => c.scheme === scheme)?.parameters.error).toBe('invalid_token')
  const body = await challenge.response.text()
  for (const value of Object.values(OWNER_FIELDS)) expect(body).not.toContain(value)
  return challenge
}

async function introspect(
  world: World,
  vendor: Vendor,
  token: string,
): Promise<oauth.IntrospectionResponse> {
  const res = await oauth.introspectionRequest(
    world.as,
    vendor.client,
    vendor.auth,
    token,
    loopback,
  )
  return oauth.processIntrospectionResponse(world.as, vendor.client, res)
}

async function refresh(
  world: World,
  vendor: Vendor,
  refreshToken: string,
): Promise<oauth.TokenEndpointResponse> {
  const res = await oauth.refreshTokenGrantRequest(
    world.as,
    vendor.client,
    vendor.auth,
    refreshToken,
    { ...loopback, ...(vendor.dpop ? { DPoP: vendor.dpop } : {}) },
  )
  expect(res.headers.get('cache-control')).toContain('no-store')
  return oauth.processRefreshTokenResponse(world.as, vendor.client, res)
}

/** Verifies a consent receipt (compact JWS, EdDSA) against the vault's published JWK Set, as any third party could. */
async function verifyReceipt(world: World, jws: string): Promise<Record<string, unknown>> {
  const jwks = (await (await fetch(world.url('/.well-known/jwks.json'))).json()) as {
    keys: (JsonWebKey & { kid?: string })[]
  }
  const [header = '', payload = '', signature = ''] = jws.split('.')
  const { alg, kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as {
    alg: string
    kid: string
  }
  expect(alg).toBe('EdDSA')
  const jwk = jwks.keys.find((k) => k.kid === kid)
  expect(jwk).toBeDefined()
  const valid = verifySignature(
    null,
    Buffer.from(`${header}.${payload}`),
    createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }),
    Buffer.from(signature, 'base64url'),
  )
  expect(valid).toBe(true)
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}

describe('story 1: a vendor with client_secret_basic and Bearer tokens', () => {
  it('discover → register → PAR → owner approves a subset → token → read → refresh (reuse kills the family) → narrow → revoke → expiry', async () => {
    const world = await startWorld()
    const { as, issuer, vault } = world

    // Discovery (RFC 8414): the metadata names every endpoint this story uses, under this issuer.
    expect(as).toMatchObject({
      issuer,
      registration_endpoint: `${issuer}/oauth/register`,
      pushed_authorization_request_endpoint: `${issuer}/oauth/par`,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      code_challenge_methods_supported: ['S256'],
    })
    expect(as.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token']),
    )
    expect(as.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'private_key_jwt']),
    )
    expect(as.authorization_details_types_supported).toContain('custos_fields')
    expect(as.dpop_signing_alg_values_supported).toContain('ES256')

    // Registration (RFC 7591): the vendor becomes a vault vendor the owner can see.
    const registered = await register(world, { token_endpoint_auth_method: 'client_secret_basic' })
    expect(registered.client_secret).toEqual(expect.any(String))
    const vendor: Vendor = {
      client: { client_id: registered.client_id },
      auth: oauth.ClientSecretBasic(registered.client_secret as string),
    }
    expect(await vault.vendors.get(registered.client_id)).toMatchObject({
      name: 'Fjord Outdoor',
      blocked: false,
    })
    await vault.purchases.add(
      {
        seller: 'Fjord Outdoor',
        orderDate: '2025-11-02',
        currency: 'EUR',
        total: 89,
        items: [{ name: 'Rain jacket', quantity: 1 }],
      },
      { vendorId: registered.client_id },
    )
    await vault.purchases.add({
      seller: 'Another Shop',
      orderDate: '2025-10-01',
      currency: 'EUR',
      total: 12,
      items: [{ name: 'Socks', quantity: 2 }],
    })

    // The owner says no first: RFC 6749 §4.1.2.1 access_denied, and nothing is granted.
    await expect(authorize(world, vendor, { deny: true })).rejects.toMatchObject({
      error: 'access_denied',
    })
    expect(await vault.grants.list({ vendorId: registered.client_id })).toEqual([])

    // Then approves everything but email.
    const first = await authorize(world, vendor, { untick: ['email'] })
    expect(world.browser.cookieNames().some((n) => n.includes('custos_session'))).toBe(true)
    expect(first.offered).toEqual(expect.arrayContaining(['email']))
    expect(first.offered.some((f) => f.startsWith('prefs.sizes'))).toBe(true)
    expect(first.tokens.token_type).toBe('bearer')
    expect(first.tokens.expires_in).toBeGreaterThan(0)
    // RFC 6749 §5.1 / RFC 9396 §7: the response says what was granted — not the unticked email.
    const grantedScope = (first.tokens.scope ?? '').split(' ')
    expect(grantedScope).toEqual(expect.arrayContaining(['read:prefs.sizes.*', 'read:purchases']))
    expect(grantedScope).not.toContain('read:email')
    expect(first.tokens.authorization_details?.[0]).toMatchObject({ type: 'custos_fields' })
    expect(await vault.grants.get(first.grantId)).toMatchObject({
      status: 'active',
      fields: ['prefs.sizes.*'],
    })

    // Read: exactly the approved fields with values — never the unticked email, never ungranted ones.
    expect(await readProfile(world, first.tokens.access_token)).toEqual(SIZES)
    const purchases = await oauth.protectedResourceRequest(
      first.tokens.access_token,
      'GET',
      world.url('/v1/purchases'),
      undefined,
      undefined,
      loopback,
    )
    expect(purchases.status).toBe(200)
    const purchaseText = await purchases.text()
    expect(purchaseText).toContain('Rain jacket')
    expect(purchaseText).not.toContain('Socks')
    expect(await introspect(world, vendor, first.tokens.access_token)).toMatchObject({
      active: true,
      client_id: registered.client_id,
    })

    // Refresh (RFC 6749 §6): a new pair; the old refresh token is spent.
    const second = await refresh(world, vendor, first.tokens.refresh_token as string)
    expect(second.access_token).not.toBe(first.tokens.access_token)
    expect(second.refresh_token).not.toBe(first.tokens.refresh_token)
    expect(await readProfile(world, second.access_token)).toEqual(SIZES)
    // Reusing the old refresh token is theft as far as the server can tell (RFC 9700 §4.14.2):
    // invalid_grant, and the whole family dies — the newest access and refresh tokens too.
    const reuse = await oauth.refreshTokenGrantRequest(
      as,
      vendor.client,
      vendor.auth,
      first.tokens.refresh_token as string,
      loopback,
    )
    await expect(oauth.processRefreshTokenResponse(as, vendor.client, reuse)).rejects.toMatchObject(
      { error: 'invalid_grant', status: 400 },
    )
    await expectRefused(
      oauth.protectedResourceRequest(
        second.access_token,
        'GET',
        world.url('/v1/profile'),
        undefined,
        undefined,
        loopback,
      ),
    )
    await expect(refresh(world, vendor, second.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    expect(await introspect(world, vendor, second.access_token)).toMatchObject({ active: false })

    // Re-authorize for a fresh family (the owner's session is still open: no second login), all approved.
    const fresh = await authorize(world, vendor)
    expect(await readProfile(world, fresh.tokens.access_token)).toEqual({
      email: OWNER_FIELDS.email,
      ...SIZES,
    })

    // The owner narrows the grant: the next read shows less.
    await vault.grants.narrow(fresh.grantId, { fields: ['prefs.sizes.shoe'] })
    expect(await readProfile(world, fresh.tokens.access_token)).toEqual({
      'prefs.sizes.shoe': 'EU 42',
    })

    // The vendor's copy of the consent: GET /v1/grant carries the receipt of the narrowed
    // revision, a JWS anyone can verify with the vault's public key.
    const grantRes = await oauth.protectedResourceRequest(
      fresh.tokens.access_token,
      'GET',
      world.url('/v1/grant'),
      undefined,
      undefined,
      loopback,
    )
    const grantView = (await grantRes.json()) as {
      grant_id: string
      fields: string[]
      receipt: string
    }
    expect(grantView).toMatchObject({ grant_id: fresh.grantId, fields: ['prefs.sizes.shoe'] })
    const receipt = await verifyReceipt(world, grantView.receipt)
    expect(receipt).toMatchObject({
      iss: issuer,
      jti: `${fresh.grantId}.2`,
      services: expect.arrayContaining([
        expect.objectContaining({
          service: 'Fjord Outdoor',
          purposes: [expect.objectContaining({ piiCategory: ['prefs.sizes.shoe', 'purchases'] })],
        }),
      ]),
    })

    // The owner revokes: the next read is refused (RFC 6750 §3.1 invalid_token), introspection says inactive.
    await vault.grants.revoke(fresh.grantId)
    const refused = await expectRefused(
      oauth.protectedResourceRequest(
        fresh.tokens.access_token,
        'GET',
        world.url('/v1/profile'),
        undefined,
        undefined,
        loopback,
      ),
    )
    expect(refused.response.headers.get('www-authenticate')).toMatch(
      /^Bearer\b.*error="invalid_token"/,
    )
    expect(await introspect(world, vendor, fresh.tokens.access_token)).toMatchObject({
      active: false,
    })
    expect(await introspect(world, vendor, fresh.tokens.refresh_token as string)).toMatchObject({
      active: false,
    })

    // A new grant for ten minutes; past its expiry the token (valid for an hour) reads nothing.
    const short = await authorize(world, vendor, {}, 600)
    expect(
      new Date((await vault.grants.get(short.grantId)).expiresAt).getTime() - Date.now(),
    ).toBeLessThanOrEqual(600_000)
    expect(await readProfile(world, short.tokens.access_token)).toEqual({
      email: OWNER_FIELDS.email,
      ...SIZES,
    })
    world.advance(601)
    await expectRefused(
      oauth.protectedResourceRequest(
        short.tokens.access_token,
        'GET',
        world.url('/v1/profile'),
        undefined,
        undefined,
        loopback,
      ),
    )
    expect(await introspect(world, vendor, short.tokens.access_token)).toMatchObject({
      active: false,
    })

    // The audit log recorded every vendor read with the paths it returned, and the chain verifies.
    const reads = await vault.audit.list({ action: 'grant.read', grantId: first.grantId })
    expect(reads.length).toBeGreaterThanOrEqual(2)
    for (const entry of reads) {
      expect(entry.actor).toBe(`vendor:${registered.client_id}`)
      expect(entry.paths ?? []).not.toContain('email')
    }
    expect(reads.some((e) => (e.paths ?? []).includes('prefs.sizes.shoe'))).toBe(true)
    const narrowedReads = await vault.audit.list({ action: 'grant.read', grantId: fresh.grantId })
    expect(narrowedReads[0]?.paths).toEqual(['prefs.sizes.shoe'])
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
  })
})

describe('story 2: a vendor with DPoP-bound tokens', () => {
  it('tokens are token_type DPoP, reads carry proofs, and a Bearer presentation or another key is refused', async () => {
    const world = await startWorld()
    const registered = await register(world, {
      token_endpoint_auth_method: 'client_secret_basic',
      dpop_bound_access_tokens: true,
    })
    const client: oauth.Client = { client_id: registered.client_id }
    const dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
    const vendor: Vendor = {
      client,
      auth: oauth.ClientSecretBasic(registered.client_secret as string),
      dpop,
    }

    const { tokens } = await authorize(world, vendor, { untick: ['email'] })
    expect(tokens.token_type).toBe('dpop')
    expect(await readProfile(world, tokens.access_token, dpop)).toEqual(SIZES)
    // RFC 9449 §6.2: introspection shows the key the token is bound to (`cnf.jkt`).
    expect(await introspect(world, vendor, tokens.access_token)).toMatchObject({
      active: true,
      cnf: { jkt: await dpop.calculateThumbprint() },
    })

    // The bound token presented as a plain Bearer token (RFC 9449 §7.2): refused.
    const asBearer = await oauth
      .protectedResourceRequest(
        tokens.access_token,
        'GET',
        world.url('/v1/profile'),
        undefined,
        undefined,
        loopback,
      )
      .then(
        (res) => res.status,
        (err: unknown) => (err as oauth.WWWAuthenticateChallengeError).status,
      )
    expect(asBearer).toBe(401)
    // A thief with the token but another key: the proof's key is not the one the token is bound to.
    const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
    await expectRefused(
      oauth.protectedResourceRequest(
        tokens.access_token,
        'GET',
        world.url('/v1/profile'),
        undefined,
        undefined,
        { ...loopback, DPoP: thief },
      ),
      'dpop',
    )

    // Refresh with a proof: the new access token is DPoP-bound to the same key and works.
    const renewed = await refresh(world, vendor, tokens.refresh_token as string)
    expect(renewed.token_type).toBe('dpop')
    expect(await readProfile(world, renewed.access_token, dpop)).toEqual(SIZES)
  })
})

describe('story 3: a vendor authenticating with private_key_jwt', () => {
  it('registers a public key, authenticates every back-channel call with a signed assertion, and a foreign key is refused', async () => {
    const world = await startWorld()
    const keys = await oauth.generateKeyPair('ES256')
    const kid = 'fjord-2025'
    const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey)
    const registered = await register(world, {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: {
        keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' }],
      },
    })
    expect(registered.client_secret).toBeUndefined()
    const client: oauth.Client = { client_id: registered.client_id }
    const vendor: Vendor = { client, auth: oauth.PrivateKeyJwt({ key: keys.privateKey, kid }) }

    // An assertion signed by a key the client never registered is refused at PAR (RFC 7523 §3).
    const stranger = await oauth.generateKeyPair('ES256')
    const forged = await oauth.pushedAuthorizationRequest(
      world.as,
      client,
      oauth.PrivateKeyJwt({ key: stranger.privateKey, kid }),
      {
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: SCOPE,
        code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
        code_challenge_method: 'S256',
      },
      loopback,
    )
    await expect(
      oauth.processPushedAuthorizationResponse(world.as, client, forged),
    ).rejects.toMatchObject({ error: 'invalid_client' })

    const { tokens } = await authorize(world, vendor, { untick: ['email'] })
    expect(await readProfile(world, tokens.access_token)).toEqual(SIZES)
    const renewed = await refresh(world, vendor, tokens.refresh_token as string)
    expect(await readProfile(world, renewed.access_token)).toEqual(SIZES)
    expect(await introspect(world, vendor, renewed.access_token)).toMatchObject({ active: true })

    // The vendor logs out (RFC 7009): revoking its refresh token ends the family.
    const revocation = await oauth.revocationRequest(
      world.as,
      client,
      vendor.auth,
      renewed.refresh_token as string,
      loopback,
    )
    await oauth.processRevocationResponse(revocation)
    await expectRefused(
      oauth.protectedResourceRequest(
        renewed.access_token,
        'GET',
        world.url('/v1/profile'),
        undefined,
        undefined,
        loopback,
      ),
    )
    expect(await introspect(world, vendor, renewed.access_token)).toMatchObject({ active: false })
  })
})
