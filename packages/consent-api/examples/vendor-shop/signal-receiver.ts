/**
 * `POST /custos/events`: the shop's RFC 8935 push endpoint, where the customer's vault delivers
 * Security Event Tokens (RFC 8417). A SET is accepted with 202 only once it verifies and has been
 * acted on; a SET that does not verify is refused with 400 and RFC 8935 §2.3 JSON
 * (`{ err, description }`); a failure on the shop's side is a 503, so the vault, which delivers at
 * least once, tries again later with the same `jti` — and a `jti` already acted on is answered 202
 * without acting twice (RFC 8935 §2: the transmitter may resend a SET whose answer it missed).
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { decodeJwt, errors as joseErrors } from 'jose'
import type { FjordShop } from './shop-service.js'

/** A SET is small; a larger body is not one (and is not read into memory). */
const MAX_SET_BYTES = 16 * 1024

type SetErr =
  | 'invalid_request'
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed'

/** RFC 8935 §2.3: a refused SET, with fixed words (never the token echoed back). */
function refuse(c: Context, err: SetErr, description: string): Response {
  return c.json({ err, description }, 400)
}

export function signalReceiver(shop: FjordShop): Hono {
  const routes = new Hono()
  const inFlight = new Map<string, Promise<void>>()
  routes.post('/', async function receiveSecurityEvent(c) {
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/secevent+jwt')
      return refuse(c, 'invalid_request', 'The body must be application/secevent+jwt')
    if (Number(c.req.header('content-length') ?? 0) > MAX_SET_BYTES)
      return refuse(c, 'invalid_request', 'The body is too large to be a SET')
    const jwt = (await c.req.text()).trim()
    if (jwt.length === 0 || jwt.length > MAX_SET_BYTES)
      return refuse(c, 'invalid_request', 'The body must be one SET')

    // The issuer picks the vault (and so the keys and the audience) before anything is trusted.
    let issuer: unknown
    try {
      issuer = decodeJwt(jwt).iss
    } catch {
      return refuse(c, 'invalid_request', 'The body is not a JWT')
    }
    const connection = typeof issuer === 'string' ? await shop.knownConnection(issuer) : undefined
    if (!connection) return refuse(c, 'invalid_issuer', 'iss is not a Custos this shop knows')

    let payload: Awaited<ReturnType<typeof connection.verifySecurityEvent>>
    try {
      payload = await connection.verifySecurityEvent(jwt)
    } catch (err) {
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        if (err.claim === 'aud') return refuse(c, 'invalid_audience', 'aud is not this shop')
        if (err.claim === 'iss') return refuse(c, 'invalid_issuer', 'iss does not match')
        return refuse(c, 'invalid_request', `The SET's ${err.claim} claim is wrong`)
      }
      if (err instanceof joseErrors.JWKSNoMatchingKey)
        return refuse(c, 'invalid_key', 'No key of the vault verifies this SET')
      // The vault's JWKS could not be fetched: the shop's problem, so the vault should retry.
      if (!(err instanceof joseErrors.JOSEError) || err instanceof joseErrors.JWKSTimeout)
        return c.json({ err: 'temporarily_unavailable', description: 'Try again later' }, 503)
      return refuse(c, 'authentication_failed', 'The signature does not verify')
    }

    const jti = payload.jti
    if (typeof jti !== 'string') return refuse(c, 'invalid_request', 'jti must be a string')
    if (shop.store.seen(jti)) return c.body(null, 202)
    const events = payload.events
    if (typeof events !== 'object' || events === null || Array.isArray(events))
      return refuse(c, 'invalid_request', 'events must be an object')
    // A repeat that arrives while the first is still being acted on waits for that one, and
    // shares its answer: acting twice on one jti is what RFC 8935's idempotency rules out.
    let work = inFlight.get(jti)
    if (!work) {
      work = shop.apply(connection, events as Record<string, unknown>)
      inFlight.set(jti, work)
      work.then(
        () => inFlight.delete(jti),
        () => inFlight.delete(jti),
      )
    }
    try {
      await work
    } catch {
      // Not remembered: the vault's retry (same jti) gets another go.
      return c.json({ err: 'temporarily_unavailable', description: 'Try again later' }, 503)
    }
    shop.store.remember(jti)
    return c.body(null, 202)
  })
  return routes
}
