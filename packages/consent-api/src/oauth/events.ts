import { type Context, Hono } from 'hono'
import { type JWTPayload, decodeJwt, errors as joseErrors, jwtVerify } from 'jose'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { ERASURE_ACKNOWLEDGED, SET_TYP, signSecurityEvent } from '../signals/security-event.js'
import { CLIENT_ASSERTION_ALGS, keysOf } from './client-auth.js'
import { ClientAuthMembers, authenticateJsonClient, jsonBody } from './json-client-auth.js'
import { OAuthError } from './oauth-error.js'
import { oauthEndpoint } from './oauth-endpoint.js'

/**
 * The vendor's side of signals that is not a push to it:
 *
 * - `POST /oauth/events` — RFC 8936 polling. The body is the RFC 8936 §2.4 JSON request (`ack`,
 *   `setErrs`, `maxEvents`, `returnImmediately`); the vendor authenticates as at the token
 *   endpoint — HTTP Basic, or `client_id` with `client_secret` or `client_assertion_type` and
 *   `client_assertion` as members of the same JSON object — since a revoked vendor holds no access
 *   token and must still hear of the revocation. The answer is `{ sets: { jti: SET }, moreAvailable }`
 *   (§2.5); acknowledged SETs (and ones the vendor reports as errors) are not sent again. Public
 *   clients cannot poll: anyone could drain their events. This endpoint never waits
 *   (`returnImmediately` is the only behaviour; RFC 8936 §2.4 lets the transmitter answer at once).
 * - `POST /oauth/events/acknowledgements` — the vendor's own SET (RFC 8417, pushed as in RFC 8935:
 *   `application/secevent+jwt`) saying it erased what an erasure request asked for. It must be
 *   signed with the key the vendor registered (private_key_jwt clients: `jwks` or `jwks_uri`),
 *   `iss` its client id, `aud` this vault's issuer, fresh (`iat`), its `jti` used once; the event
 *   names the request (`request_id`, the erasure request's `jti`). The owner then sees
 *   "acknowledged" on Connections. Errors are RFC 8935 §2.3 JSON (`err`, `description`).
 */
const PollBody = z
  .object({
    ack: z.array(z.string().max(64)).max(1000).default([]),
    setErrs: z
      .record(z.string().max(64), z.object({ err: z.string().max(64) }).passthrough())
      .default({}),
    maxEvents: z.number().int().min(0).max(100).default(20),
    returnImmediately: z.boolean().optional(),
    ...ClientAuthMembers,
  })
  .strict()

/** How old an acknowledgement may be, and how far ahead its clock may run. */
const ACK_MAX_AGE_SECONDS = 600
const CLOCK_TOLERANCE_SECONDS = 60

export function eventRoutes(app: AppContext): Hono {
  const routes = new Hono()
  const endpoint = `${app.config.issuer}/oauth/events`

  routes.post(
    '/',
    oauthEndpoint(async (c) => {
      const body = PollBody.safeParse(await jsonBody(c))
      if (!body.success)
        throw new OAuthError('invalid_request', 'The body must be an RFC 8936 poll request')
      const client = await authenticateJsonClient(
        app,
        c,
        body.data,
        endpoint,
        'Public clients receive events by push only',
      )
      await app.vault.signals.delivered(
        [...body.data.ack, ...Object.keys(body.data.setErrs)],
        client.clientId,
      )
      const max = body.data.maxEvents
      const waiting = max === 0 ? [] : await app.vault.signals.forVendor(client.clientId, max)
      const key = waiting.length > 0 ? await app.stores.signingKeys.signingKey() : undefined
      const sets: Record<string, string> = {}
      for (const signal of waiting.slice(0, max))
        sets[signal.id] = await signSecurityEvent(
          key as NonNullable<typeof key>,
          signal,
          app.config.issuer,
          app.now(),
        )
      return c.json({ sets, moreAvailable: waiting.length > max }, 200, {
        'cache-control': 'no-store',
      })
    }),
  )

  routes.post('/acknowledgements', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== `application/${SET_TYP}`)
      return setError(c, 'invalid_request', `The body must be application/${SET_TYP}`)
    const jwt = (await c.req.text()).trim()
    if (jwt.length === 0 || jwt.length > 8192)
      return setError(c, 'invalid_request', 'The body must be one SET')
    let issuer: unknown
    try {
      issuer = decodeJwt(jwt).iss
    } catch {
      return setError(c, 'invalid_request', 'The body is not a JWT')
    }
    const client = typeof issuer === 'string' ? await app.stores.clients.load(issuer) : undefined
    if (!client) return setError(c, 'invalid_issuer', 'iss is not a registered client')
    if (client.authMethod !== 'private_key_jwt')
      return setError(c, 'invalid_key', 'Only a client with a registered key can sign events')
    if (await app.stores.clients.vendorBlocked(client.clientId))
      return setError(c, 'access_denied', 'This client is blocked')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(jwt, keysOf(app, client), {
        issuer: client.clientId,
        audience: app.config.issuer,
        typ: SET_TYP,
        algorithms: CLIENT_ASSERTION_ALGS,
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: ACK_MAX_AGE_SECONDS,
        currentDate: app.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }))
    } catch (err) {
      const claim = err instanceof joseErrors.JWTClaimValidationFailed ? err.claim : undefined
      if (claim === 'aud') return setError(c, 'invalid_audience', 'aud must be this vault')
      if (claim === 'typ') return setError(c, 'invalid_request', `typ must be ${SET_TYP}`)
      return setError(c, 'authentication_failed', 'The signature or the time claims do not verify')
    }
    const event = (payload.events as Record<string, unknown> | undefined)?.[ERASURE_ACKNOWLEDGED]
    const requestId = (event as { request_id?: unknown } | undefined)?.request_id
    if (typeof requestId !== 'string' || !/^sig_[A-Za-z0-9_-]{22}$/.test(requestId))
      return setError(
        c,
        'invalid_request',
        `The SET must carry ${ERASURE_ACKNOWLEDGED} with request_id`,
      )
    const iat = payload.iat as number
    if (
      !(await app.stores.jti.claim(
        `set:${client.clientId}:${payload.jti}`,
        new Date((iat + ACK_MAX_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000),
      ))
    )
      return setError(c, 'invalid_request', 'This SET was received before (jti)')
    if (!(await app.vault.signals.erasureOpen(client.clientId, requestId)))
      return setError(
        c,
        'invalid_request',
        'request_id is not an open erasure request to this client (unknown, or answered already)',
      )
    await app.vault.signals.erasureAcknowledged(client.clientId, requestId)
    return c.body(null, 202)
  })
  return routes
}

/** RFC 8935 §2.3: `{ err, description }`, 400. */
function setError(c: Context, err: string, description: string): Response {
  return c.json({ err, description }, 400, { 'cache-control': 'no-store' })
}
