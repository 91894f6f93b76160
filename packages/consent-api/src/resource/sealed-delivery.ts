import { CompactSign } from 'jose'
import type { MiddlewareHandler } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { loadSodium } from '../crypto/sodium.js'
import { apiProblem, problemResponse } from '../problem.js'
import { RECEIPT_ALG } from '../store/signing-key-store.js'
import type { ResourceEnv } from './bearer.js'

export const SEALED_MEDIA_TYPE = 'application/custos-sealed'
export const SEALED_JWS_TYP = 'custos-response+jws'

/** The part of a client's stored RFC 7591 metadata this needs (validated again on the way out). */
const SealingMetadata = z.object({
  custos_x25519_public_key: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
})

/**
 * Sealed delivery (SECURITY.md key hierarchy, item 8): when a vendor registered an X25519 public
 * key (`custos_x25519_public_key`) and asks with `Accept: application/custos-sealed`, a successful
 * JSON response is
 *
 * 1. signed by the vault — a compact JWS (RFC 7515), EdDSA with the key of
 *    `/.well-known/jwks.json`, whose payload is the exact JSON body and whose protected header
 *    also carries `iss`, `aud` (the client id) and `iat` (claims replicated as header
 *    parameters, RFC 7519 §5.3), so a signed body cannot be passed off as another vendor's; then
 * 2. sealed to the vendor's key with libsodium `crypto_box_seal` (X25519 + XSalsa20-Poly1305,
 *    an ephemeral sender key): only the vendor can open it, and only the vault can have signed it.
 *
 * The body is the sealed box, as `application/custos-sealed`. A vendor without a registered key
 * asking for it gets 406 before anything is read. Error responses are never sealed: they carry
 * no data. Responses vary on `Accept`.
 */
export function sealedDelivery(app: AppContext): MiddlewareHandler<ResourceEnv> {
  return async function sealedDelivery(c, next) {
    if (!acceptsSealed(c.req.header('accept'))) {
      // Set before the response exists, so it goes out with it (errors included): appending to a
      // finished response would make hono copy it through a stream on every request.
      c.header('vary', 'Accept')
      await next()
      return
    }
    const { clientId } = c.var.access
    const recipient = await vendorSealingKey(app, clientId)
    if (!recipient) {
      return problemResponse(
        c,
        apiProblem('ERR_NOT_ACCEPTABLE', 'No X25519 key is registered for sealed delivery'),
        { vary: 'Accept' },
      )
    }
    await next()
    const res = c.res
    if (
      res.status < 200 ||
      res.status >= 300 ||
      !(res.headers.get('content-type') ?? '').startsWith('application/json')
    )
      return
    const body = new Uint8Array(await res.arrayBuffer())
    const key = await app.stores.signingKeys.signingKey()
    const jws = await new CompactSign(body)
      .setProtectedHeader({
        alg: RECEIPT_ALG,
        kid: key.publicJwk.kid,
        typ: SEALED_JWS_TYP,
        cty: 'json',
        iss: app.config.issuer,
        aud: clientId,
        iat: Math.floor(app.now().getTime() / 1000),
      })
      .sign(key.privateKey)
    const sodium = await loadSodium()
    const sealed = sodium.crypto_box_seal(jws, recipient)
    // Drop the JSON response first so none of its headers (a length, a type) carry over.
    c.res = undefined
    c.res = new Response(sealed, {
      status: res.status,
      headers: { 'content-type': SEALED_MEDIA_TYPE, 'cache-control': 'no-store', vary: 'Accept' },
    })
  }
}

/** True when the Accept header lists the sealed media type with a non-zero q (RFC 9110 §12.5.1). */
export function acceptsSealed(accept: string | undefined): boolean {
  if (accept === undefined || accept.length > 2048) return false
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase())
    if (type !== SEALED_MEDIA_TYPE) return false
    const q = params.find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}

async function vendorSealingKey(
  app: AppContext,
  clientId: string,
): Promise<Uint8Array | undefined> {
  // The client as the vault vouches for it (row MAC, sealed metadata): an edited key is no key.
  const client = await app.stores.clients.load(clientId)
  if (!client) return undefined
  const parsed = SealingMetadata.safeParse({ custos_x25519_public_key: client.x25519PublicKey })
  const encoded = parsed.success ? parsed.data.custos_x25519_public_key : undefined
  if (encoded === undefined) return undefined
  const sodium = await loadSodium()
  return sodium.from_base64(encoded, sodium.base64_variants.URLSAFE_NO_PADDING)
}
