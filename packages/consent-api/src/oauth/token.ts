import { createHash, timingSafeEqual } from 'node:crypto'
import { type Context, Hono } from 'hono'
import type { Grant, VendorAttempt } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { authenticateClient } from './client-auth.js'
import { isRefusal, refuseCredential } from '../protocol/credential-refusal.js'
import type { RegisteredClient } from '../store/client-store.js'
import type { IssuedTokens } from '../store/token-store.js'
import { dpopProofKey } from './dpop-header.js'
import { type OAuthParams, readFormBody, requiredParam } from './form-body.js'
import { grantedDetails, grantedScope } from './granted-access.js'
import { OAuthError } from './oauth-error.js'
import { matchesRegisteredRedirect } from './redirect-uri.js'
import { oauthEndpoint } from './oauth-endpoint.js'

/**
 * The token endpoint (RFC 6749 §3.2): `authorization_code` (§4.1.3, with PKCE, RFC 7636 §4.6)
 * and `refresh_token` (§6, rotating, reuse revokes the family: RFC 9700 §4.14.2). Form-encoded
 * POST only, client authenticated. DPoP (RFC 9449 §5): a `DPoP` proof binds the tokens to its
 * key. The response says what was actually approved, and is never cached (SECURITY.md 14–17).
 *
 * Every grant decision is the vault's one refusal policy (`vault.access.authorize`): the client
 * must own the grant, which must be live. Each exchange and refresh is in the access log
 * (`token.issued`, `token.refreshed`), and so is each refusal — a dead or unknown code or refresh
 * token included — while the client is told only `invalid_grant` (RFC 6749 §5.2).
 */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/ // RFC 7636 §4.1

export function tokenRoutes(app: AppContext): Hono {
  const routes = new Hono()
  const endpoint = `${app.config.issuer}/oauth/token`
  routes.post(
    '/',
    oauthEndpoint(async (c) => {
      const params = await readFormBody(c)
      const client = await authenticateClient(app, c, params, endpoint)
      const grantType = requiredParam(params, 'grant_type', 200)
      if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
        throw new OAuthError(
          'unsupported_grant_type',
          'Only authorization_code and refresh_token are supported',
        )
      if (!client.grantTypes.includes(grantType))
        throw new OAuthError(
          'unauthorized_client',
          'This client is not registered for this grant type',
        )
      const jkt = await dpopKey(app, c, client, endpoint)
      return grantType === 'authorization_code'
        ? exchangeCode(app, c, client, params, jkt)
        : refresh(app, c, client, params, jkt)
    }),
  )
  return routes
}

/** RFC 9449 §5: the proof's key thumbprint, or null; required when the client registered so (§5.2). */
async function dpopKey(
  app: AppContext,
  c: Context,
  client: RegisteredClient,
  endpoint: string,
): Promise<string | null> {
  const jkt = await dpopProofKey(app, c, endpoint)
  // A public client's tokens are always DPoP-bound (client-metadata.ts), whatever its row says.
  if (jkt === null && (client.dpopBoundAccessTokens || client.authMethod === 'none'))
    throw new OAuthError('invalid_request', 'This client must send a DPoP proof')
  return jkt
}

async function exchangeCode(
  app: AppContext,
  c: Context,
  client: RegisteredClient,
  params: OAuthParams,
  jkt: string | null,
): Promise<Response> {
  const redemption = await app.stores.codes.redeem(
    requiredParam(params, 'code', 200),
    client.clientId,
  )
  if (!redemption.ok) {
    await refuseCredential(
      app,
      redemption.reason === 'unknown'
        ? { vendorId: client.clientId }
        : {
            vendorId: client.clientId,
            grantId: redemption.grantId,
            credential: redemption.reason === 'reused' ? 'ERR_TOKEN_USED' : 'ERR_TOKEN_EXPIRED',
          },
    )
    throw new OAuthError(
      'invalid_grant',
      'The authorization code is invalid, expired or already used',
    )
  }
  const code = redemption.code

  // RFC 6749 §4.1.3: redirect_uri must repeat, identically, the one of the authorization
  // request; when that request had none, a value sent now must be the registered one.
  const redirectUri = params.values.get('redirect_uri')
  const expected = code.redirect_uri !== '' ? code.redirect_uri : undefined
  if (
    expected !== undefined
      ? redirectUri !== expected
      : redirectUri !== undefined && !matchesRegisteredRedirect(client.redirectUris, redirectUri)
  ) {
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request')
  }

  // RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) must equal the stored challenge. A
  // verifier for a code issued without a challenge is refused too (RFC 9700 §2.1.1: it hints at
  // a PKCE downgrade attack).
  const verifier = params.values.get('code_verifier')
  if (code.code_challenge === '')
    throw new OAuthError('invalid_grant', 'This code was issued without PKCE')
  if (verifier === undefined || !CODE_VERIFIER.test(verifier))
    throw new OAuthError('invalid_grant', 'A valid code_verifier is required')
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'))
  const stored = Buffer.from(code.code_challenge)
  if (computed.length !== stored.length || !timingSafeEqual(computed, stored))
    throw new OAuthError('invalid_grant', 'PKCE verification failed')

  // RFC 9449 §10: a code requested for a DPoP key is redeemed only with a proof of that key.
  if (code.dpop_jkt !== null && jkt !== code.dpop_jkt)
    throw new OAuthError(
      'invalid_dpop_proof',
      'The DPoP key does not match the authorization request',
    )

  // Logged before the tokens exist: nothing leaves that the log does not show (SECURITY.md 19).
  const grant = await authorizedGrant(app, code.grant_id, {
    vendorId: client.clientId,
    record: 'token.issued',
  })
  const tokens = await app.stores.tokens.issue({
    clientId: client.clientId,
    grantId: grant.id,
    dpopJkt: jkt,
    grantExpiresAt: grant.expiresAt,
  })
  return tokenResponse(c, client, tokens, jkt, grant)
}

async function refresh(
  app: AppContext,
  c: Context,
  client: RegisteredClient,
  params: OAuthParams,
  jkt: string | null,
): Promise<Response> {
  const presented = requiredParam(params, 'refresh_token', 512)
  const found = await app.stores.tokens.lookup(presented, 'refresh')
  const current = found.record
  // Unknown, used (→ reuse: the family is revoked), revoked, expired or another client's: logged as
  // this client's refusal, answered invalid_grant whichever it was.
  if (!current) {
    await refuseCredential(app, { vendorId: client.clientId })
    throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or already used')
  }
  // Another client's token is never acted on (nor is its family revoked): refused as a grant
  // that is not this client's.
  const dead = current.clientId !== client.clientId ? 'ERR_GRANT_MISMATCH' : found.reason
  if (dead !== undefined) {
    // RFC 9700 §4.14.2: a used refresh token presented again means it leaked — its family dies.
    if (dead === 'ERR_TOKEN_USED') await app.stores.tokens.revokeFamily(current.familyId)
    await refuseCredential(app, {
      vendorId: client.clientId,
      grantId: current.grantId,
      credential: dead,
    })
    throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or already used')
  }
  // RFC 9449 §5: a public client's refresh token is bound to its DPoP key and is used only with
  // that key. A confidential client's is not — client authentication already sender-constrains it
  // — so a vendor that restarted with a new key refreshes with a proof of the new one, and the new
  // access token is bound to that key. A DPoP family still needs some proof: no downgrade to Bearer.
  if (current.dpopJkt !== null && jkt === null)
    throw new OAuthError('invalid_dpop_proof', 'A DPoP proof is required to refresh this token')
  if (client.authMethod === 'none' && current.dpopJkt !== null && jkt !== current.dpopJkt)
    throw new OAuthError('invalid_dpop_proof', 'The DPoP key does not match the refresh token')
  // Checked, and logged, before the token is spent: a refused grant — or an entry that cannot be
  // written (fail closed, 503) — leaves the vendor's refresh token as it was, so it can retry.
  // Logged after the rotation instead, a failed write would answer 503 for a rotation that had
  // already happened: the vendor's retry would then be reuse, and its family revoked.
  const live = await authorizedGrant(app, current.grantId, {
    vendorId: client.clientId,
    record: 'token.refreshed',
  })
  // RFC 6749 §6: a narrower scope may be asked for but nothing beyond the grant. Tokens always
  // carry the whole grant, and the response says so.
  const scope = params.values.get('scope')
  if (scope !== undefined) {
    const granted = new Set(grantedScope(live).split(' '))
    if (scope.split(' ').some((s) => s !== '' && !granted.has(s)))
      throw new OAuthError('invalid_scope', 'The scope exceeds the grant')
  }
  const outcome = await app.stores.tokens.rotateRefresh(
    presented,
    client.clientId,
    jkt,
    live.expiresAt,
  )
  if (!outcome.ok) {
    // Lost a race (a concurrent use: reuse, the family revoked; or a revoke meanwhile).
    const again = await app.stores.tokens.lookup(presented, 'refresh')
    await refuseCredential(app, {
      vendorId: client.clientId,
      grantId: current.grantId,
      credential: again.reason ?? 'ERR_TOKEN_USED',
    })
    throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or already used')
  }
  // Checked again before the new pair leaves: the grant may have changed meanwhile (a refusal is logged).
  const grant = await authorizedGrant(app, outcome.record.grantId, { vendorId: client.clientId })
  return tokenResponse(c, client, outcome.tokens, jkt ?? outcome.record.dpopJkt, grant)
}

/** The vault's refusal policy for the grant behind a code or refresh token; a refusal (logged by the vault) is invalid_grant. */
async function authorizedGrant(
  app: AppContext,
  grantId: string,
  attempt: VendorAttempt,
): Promise<Grant> {
  try {
    return (await app.vault.access.authorize(grantId, attempt)).grant
  } catch (err) {
    if (isRefusal(err)) throw new OAuthError('invalid_grant', 'The grant is no longer active')
    throw err
  }
}

/** RFC 6749 §5.1, with RFC 9396 §7 `authorization_details`; RFC 9449 §5 `token_type: DPoP`. */
function tokenResponse(
  c: Context,
  client: RegisteredClient,
  tokens: IssuedTokens,
  jkt: string | null,
  grant: Grant,
): Response {
  return c.json(
    {
      access_token: tokens.accessToken,
      token_type: jkt !== null ? 'DPoP' : 'Bearer',
      expires_in: tokens.expiresIn,
      ...(client.grantTypes.includes('refresh_token')
        ? { refresh_token: tokens.refreshToken }
        : {}),
      scope: grantedScope(grant),
      authorization_details: grantedDetails(grant),
    },
    200,
    { 'cache-control': 'no-store', pragma: 'no-cache' },
  )
}
