import {
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  SignJWT,
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import { OfferInput, type OfferSignature, VaultError } from '@custos/vault'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import type { RegisteredClient } from '../store/client-store.js'
import { RECEIPT_ALG } from '../store/signing-key-store.js'

/**
 * Offers are signed (issue 13). A `private_key_jwt` vendor may send its own compact JWS over the
 * offer — a JWT with `iss` its client id, `aud` this server, `iat`, `jti`, `intent` the intent's
 * id as the vendor knows it and `offer` the offer exactly as sent — verified against the keys it
 * registered (RFC 7523 keys, as at the token endpoint: oauth/client-auth.ts). Otherwise the vault
 * countersigns on receipt (EdDSA, the key of /.well-known/jwks.json, `typ` offer+jwt) and records
 * which authenticated client sent it and how it authenticated: the owner can prove later what was
 * offered and by whom, offline.
 */
export const OFFER_TYP = 'offer+jwt'
const VENDOR_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256']
/** The vendor signs as it sends: at most ten minutes old. */
const MAX_AGE_SECONDS = 600

/** The body of `POST /v1/intents/{id}/offers`: the offer, and the vendor's own JWS over it when it has keys. */
export const OfferRequest = OfferInput.extend({
  signature: z.string().min(1).max(16_000).optional(),
})
export type OfferRequest = z.output<typeof OfferRequest>

/** Key order fixed, so the offer signed and the offer sent compare as text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(value)
}

/** A signature that does not verify, or signs something else: a 400 with fixed words. */
function refused(message: string): VaultError {
  return new VaultError('ERR_VALIDATION', 'Invalid offer signature', {
    issues: [{ path: 'signature', message }],
  })
}

/** The signature to store with the offer: the vendor's, verified, or the vault's countersignature. */
export async function offerSignature(
  app: AppContext,
  client: RegisteredClient,
  intentId: string,
  request: OfferRequest,
): Promise<OfferSignature> {
  const { signature, ...offer } = request
  if (signature !== undefined) {
    if (client.authMethod !== 'private_key_jwt')
      throw refused('only a private_key_jwt client signs its own offers')
    let claims: Record<string, unknown>
    try {
      ;({ payload: claims } = await jwtVerify(signature, keysOf(app, client), {
        issuer: client.clientId,
        audience: app.config.issuer,
        algorithms: VENDOR_ALGS,
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: MAX_AGE_SECONDS,
        currentDate: app.now(),
        clockTolerance: 30,
      }))
    } catch (err) {
      throw refused(
        err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired
          ? 'iss, aud, iat or jti is wrong or too old'
          : 'does not verify with a key you registered',
      )
    }
    const signed = OfferInput.safeParse(claims.offer)
    if (
      claims.intent !== intentId ||
      !signed.success ||
      canonical(signed.data) !== canonical(offer)
    )
      throw refused('signs another offer than the one sent')
    return { jws: signature, signedBy: 'vendor' }
  }
  const key = await app.stores.signingKeys.signingKey()
  const jws = await new SignJWT({
    intent: intentId,
    offer,
    client_id: client.clientId,
    client_auth: client.authMethod,
  })
    .setProtectedHeader({ alg: RECEIPT_ALG, typ: OFFER_TYP, kid: key.publicJwk.kid })
    .setIssuer(app.config.issuer)
    .setSubject(client.clientId)
    .setIssuedAt(Math.floor(app.now().getTime() / 1000))
    .setJti(crypto.randomUUID())
    .sign(key.privateKey)
  return { jws, signedBy: 'vault' }
}

function keysOf(app: AppContext, client: RegisteredClient): JWTVerifyGetKey {
  if (client.jwks) return createLocalJWKSet(client.jwks as unknown as JSONWebKeySet)
  return app.stores.remoteKeySets.forUri(client.jwksUri as string)
}
