import { timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import {
  type JWTVerifyGetKey,
  type JSONWebKeySet,
  createLocalJWKSet,
  decodeJwt,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import type { AppContext } from '../app-context.js'
import type { RegisteredClient } from '../store/client-store.js'
import type { OAuthParams } from './form-body.js'
import { OAuthError } from './oauth-error.js'

/**
 * Client authentication at the token, PAR, revocation and introspection endpoints.
 *
 * - `client_secret_basic` — RFC 6749 §2.3.1: HTTP Basic where user-id and password are the
 *   form-urlencoded client id and secret.
 * - `client_secret_post` — RFC 6749 §2.3.1: `client_id` + `client_secret` in the form body.
 * - `private_key_jwt` — RFC 7523 §2.2 and §3, RFC 7521 §4.2: a JWT signed with a key of the
 *   client's registered `jwks` / `jwks_uri`; `iss` = `sub` = client id, `aud` this server,
 *   `exp` required and at most five minutes ahead, `jti` used once (kept hashed in the shared
 *   replay table, so every process refuses a replay).
 * - `none` — a public client (RFC 6749 §2.1, RFC 8252 §8.4): `client_id` only; it proves nothing,
 *   so its tokens are DPoP-bound and its codes PKCE-bound (token.ts).
 *
 * A client holding a secret may present it either way: RFC 7591 §2 makes `client_secret_basic`
 * the default of a client that names no method, while common libraries (openid-client) send
 * `client_secret_post` by default — the secret is the same, and so is what it proves. A key
 * client must use its key, a public client has no secret. A request may use only one method
 * (RFC 6749 §2.3).
 *
 * Every failure is 401 `invalid_client`, with `WWW-Authenticate: Basic` when Basic was tried
 * (RFC 6749 §5.2), and a description naming the rule that failed (unknown client, method, secret,
 * assertion audience, expiry, replay…) in fixed words: never the secret, assertion or id sent.
 * Blocked vendors fail too.
 */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** Asymmetric algorithms only: `client_secret_jwt` (HMAC) is not offered. */
export const CLIENT_ASSERTION_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
]
const MAX_ASSERTION_LIFETIME_SECONDS = 300
const CLOCK_TOLERANCE_SECONDS = 30
const MAX_SECRET_LENGTH = 512

export type ClientAuthMethod = RegisteredClient['authMethod']

/** Which rule refused the client: the `error_description` of its `invalid_client` (fixed words). */
const REASONS = {
  none: 'Client authentication failed: no client credentials were sent',
  malformed: 'Client authentication failed: the credentials are malformed',
  unknown: 'Client authentication failed: unknown client',
  method:
    'Client authentication failed: this client is registered for another authentication method',
  secret: 'Client authentication failed: the client secret is wrong',
  blocked: 'Client authentication failed: the vault owner has blocked this client',
  assertion: 'Client authentication failed: the client assertion is malformed or not a JWT',
  signature:
    'Client authentication failed: the client assertion signature does not verify with a registered key',
  audience: 'Client authentication failed: the client assertion audience is not this server',
  issuer: 'Client authentication failed: the client assertion iss and sub must be the client id',
  expiry:
    'Client authentication failed: the client assertion has expired, is not yet valid, or lives longer than five minutes',
  jti: 'Client authentication failed: the client assertion needs a jti',
  replay: 'Client authentication failed: the client assertion was already used',
} as const
export type ClientAuthFailure = keyof typeof REASONS

function failed(basic: boolean, reason: ClientAuthFailure): OAuthError {
  return new OAuthError(
    'invalid_client',
    REASONS[reason],
    basic ? { 'www-authenticate': 'Basic realm="custos", charset="UTF-8"' } : {},
  )
}

const SECRET_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post']

/**
 * Authenticates the client of a back-channel request, or throws `invalid_client`.
 * `endpoint` is the full URL of the endpoint, an accepted `aud` of client assertions.
 */
export async function authenticateClient(
  app: AppContext,
  c: Context,
  params: OAuthParams,
  endpoint: string,
): Promise<RegisteredClient> {
  const authorization = c.req.header('authorization')
  const basic = authorization !== undefined && /^basic\s/i.test(authorization)
  const post = params.values.has('client_secret')
  const assertion =
    params.values.has('client_assertion') || params.values.has('client_assertion_type')
  if (Number(basic) + Number(post) + Number(assertion) > 1)
    throw new OAuthError('invalid_request', 'Use exactly one client authentication method')

  let client: RegisteredClient
  if (basic) client = await viaBasic(app, authorization, params)
  else if (post) client = await viaPost(app, params)
  else if (assertion) client = await viaAssertion(app, params, endpoint)
  else client = await viaNone(app, params)

  if (await app.stores.clients.vendorBlocked(client.clientId)) throw failed(basic, 'blocked')
  return client
}

/** A public client names itself with `client_id` (RFC 6749 §2.3, §3.2.1) and proves nothing. */
async function viaNone(app: AppContext, params: OAuthParams): Promise<RegisteredClient> {
  const id = params.values.get('client_id')
  if (id === undefined) throw failed(false, 'none')
  const client = await app.stores.clients.load(id)
  if (!client) throw failed(false, 'unknown')
  if (client.authMethod !== 'none') throw failed(false, 'none')
  return client
}

async function viaBasic(
  app: AppContext,
  authorization: string,
  params: OAuthParams,
): Promise<RegisteredClient> {
  const credentials = decodeBasic(authorization)
  if (!credentials) throw failed(true, 'malformed')
  const given = params.values.get('client_id')
  if (given !== undefined && given !== credentials.id) throw failed(true, 'malformed')
  return checkSecret(app, credentials.id, credentials.secret, true)
}

async function viaPost(app: AppContext, params: OAuthParams): Promise<RegisteredClient> {
  const id = params.values.get('client_id')
  const secret = params.values.get('client_secret')
  if (id === undefined || secret === undefined) throw failed(false, 'malformed')
  return checkSecret(app, id, secret, false)
}

/** RFC 6749 §2.3.1 / RFC 7617: base64(form-urlencoded id ":" form-urlencoded secret). */
function decodeBasic(header: string): { id: string; secret: string } | undefined {
  const encoded = header.replace(/^basic\s+/i, '').trim()
  if (encoded.length > 2048 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  try {
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

async function checkSecret(
  app: AppContext,
  clientId: string,
  secret: string,
  basic: boolean,
): Promise<RegisteredClient> {
  const client = await app.stores.clients.load(clientId)
  if (!client) throw failed(basic, 'unknown')
  // Either secret method for a secret client (see above); never for a key or public client.
  if (!SECRET_METHODS.includes(client.authMethod) || client.secretHash === null)
    throw failed(basic, 'method')
  if (secret.length === 0 || secret.length > MAX_SECRET_LENGTH) throw failed(basic, 'secret')
  // Both sides are keyed hashes of equal length; compared in constant time all the same.
  const given = Buffer.from(app.vault.hashSecret(secret), 'hex')
  const stored = Buffer.from(client.secretHash, 'hex')
  if (given.length !== stored.length || !timingSafeEqual(given, stored))
    throw failed(basic, 'secret')
  return client
}

async function viaAssertion(
  app: AppContext,
  params: OAuthParams,
  endpoint: string,
): Promise<RegisteredClient> {
  const type = params.values.get('client_assertion_type')
  const jwt = params.values.get('client_assertion')
  if (type !== CLIENT_ASSERTION_TYPE || jwt === undefined || jwt.length > 8192)
    throw failed(false, 'assertion')
  let claimedIssuer: unknown
  try {
    claimedIssuer = decodeJwt(jwt).iss
  } catch {
    throw failed(false, 'assertion')
  }
  if (typeof claimedIssuer !== 'string') throw failed(false, 'issuer')
  const given = params.values.get('client_id')
  if (given !== undefined && given !== claimedIssuer) throw failed(false, 'issuer')
  const client = await app.stores.clients.load(claimedIssuer)
  if (!client) throw failed(false, 'unknown')
  if (client.authMethod !== 'private_key_jwt') throw failed(false, 'method')

  const now = app.now()
  let payload: { exp?: number; jti?: string }
  try {
    ;({ payload } = await jwtVerify(jwt, keysOf(app, client), {
      issuer: client.clientId,
      subject: client.clientId,
      // RFC 7523 §3 item 3: the audience identifies this server — its issuer, or the URL of the
      // endpoint the assertion was sent to (the token endpoint is common for every endpoint).
      audience: [app.config.issuer, endpoint, `${app.config.issuer}/oauth/token`],
      algorithms: CLIENT_ASSERTION_ALGS,
      requiredClaims: ['exp', 'jti'],
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }))
  } catch (err) {
    throw failed(false, assertionFailure(err))
  }
  const nowSeconds = Math.floor(now.getTime() / 1000)
  const { exp, jti } = payload
  // Short-lived assertions only, so the replay table stays small and a leaked one dies soon.
  if (
    typeof exp !== 'number' ||
    exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS
  )
    throw failed(false, 'expiry')
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw failed(false, 'jti')
  await claimAssertionJti(app, client.clientId, jti, exp)
  return client
}

/** RFC 7523 §3 item 7: a `jti` is accepted once; the insert fails on one seen before. */
async function claimAssertionJti(
  app: AppContext,
  clientId: string,
  jti: string,
  exp: number,
): Promise<void> {
  if (
    !(await app.stores.jti.claim(
      `client_assertion:${clientId}:${jti}`,
      new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000),
    ))
  )
    throw failed(false, 'replay')
}

/** Which rule jose's verification refused (its stable error codes and the claim named), in our words. */
function assertionFailure(err: unknown): ClientAuthFailure {
  const code = err instanceof joseErrors.JOSEError ? err.code : undefined
  if (code === 'ERR_JWT_EXPIRED') return 'expiry'
  if (
    code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' &&
    err instanceof joseErrors.JWTClaimValidationFailed
  ) {
    if (err.claim === 'aud') return 'audience'
    if (err.claim === 'iss' || err.claim === 'sub') return 'issuer'
    if (err.claim === 'jti') return 'jti'
    return 'expiry' // exp, nbf, iat
  }
  if (code === 'ERR_JWT_INVALID' || code === 'ERR_JWS_INVALID') return 'assertion'
  return 'signature' // no matching key, a bad signature, a refused algorithm
}

/** The client's registered keys: its `jwks`, or the app's cached set of its `jwks_uri` (store/remote-key-sets.ts). */
export function keysOf(app: AppContext, client: RegisteredClient): JWTVerifyGetKey {
  if (client.jwks) return createLocalJWKSet(client.jwks as unknown as JSONWebKeySet)
  return app.stores.remoteKeySets.forUri(client.jwksUri as string)
}
