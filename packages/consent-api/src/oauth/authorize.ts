import { type Context, Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { type GrantInput, VaultError } from '@custos/vault'
import type { OAuthJsonErrorCode } from '../api-problems.js'
import type { AppContext } from '../app-context.js'
import { errorPage } from '../html-page.js'
import {
  type AuthorizationRequest,
  PENDING_SECONDS,
  REQUEST_URI_PREFIX,
  type RequestedAccess,
} from '../store/request-store.js'
import { type OwnerSession, SESSION_COOKIE } from '../store/session-store.js'
import {
  RequestPageError,
  RequestRedirectError,
  redirectWith,
  refuseNeverAllowedPurposes,
  validateAuthorizationRequest,
} from './authorization-request.js'
import { isUsableRedirectUri } from './redirect-uri.js'
import { renderConsentPage } from './consent-page.js'
import { sellerCandidates } from './seller-candidates.js'
import { type OAuthParams, paramsFrom } from './form-body.js'
import { oauthErrorResponse, requestsWaiting } from './oauth-error.js'
import { refuseOutsideTerms } from './myterms-answer.js'
import { recordAgreement } from '../terms/agreement-record.js'
import { type CounterResponse, termsOutcome } from '../terms/terms-decision.js'

/**
 * The authorization endpoint (RFC 6749 §3.1, §4.1.1) and the owner's decision.
 *
 * `GET /oauth/authorize` (and POST with a form, §3.1) takes either the request's parameters or
 * `client_id` + a pushed `request_uri` (RFC 9126 §4), validates, keeps the request pending and
 * shows the consent page. `GET /oauth/authorize/pending/:id` shows it again (after sign-in).
 * `POST /oauth/authorize/decision` needs the owner's session and its CSRF token; approve creates
 * the grant — never wider than asked — and a single-use code; both answers go back to the client
 * with `state` and `iss` (RFC 9207).
 */
export function authorizeRoutes(app: AppContext): Hono {
  const routes = new Hono()

  routes.get('/', (c) => authorize(app, c, paramsFrom(new URL(c.req.url).searchParams)))
  routes.post('/', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/x-www-form-urlencoded')
      return errorPage(c, 400, 'The request is malformed.')
    return authorize(app, c, paramsFrom(new URLSearchParams(await c.req.text())))
  })

  routes.get('/pending/:id', async (c) => {
    const id = c.req.param('id')
    const request = await app.stores.requests.find('pending', id)
    if (!request)
      return errorPage(
        c,
        400,
        'This request has expired or was already decided. Start again at the application’s site.',
      )
    if (await app.stores.clients.vendorBlocked(request.clientId))
      return errorPage(c, 403, 'The application that sent you here is blocked in this vault.')
    return consent(app, c, id, request)
  })

  routes.post('/decision', (c) => decide(app, c))
  return routes
}

const BAD_RETURN_ADDRESS =
  'The application registered a return address this vault cannot use. Nothing was shared. Ask the application to register again.'

async function authorize(app: AppContext, c: Context, params: OAuthParams): Promise<Response> {
  let request: AuthorizationRequest
  try {
    request = params.values.has('request_uri')
      ? await pushedRequest(app, params)
      : await validateAuthorizationRequest(app, params)
  } catch (err) {
    if (err instanceof RequestPageError) return errorPage(c, 400, err.userMessage)
    if (err instanceof RequestRedirectError) {
      const to = redirectWith(err.redirectUri, {
        error: err.error,
        error_description: err.message,
        state: err.state,
        iss: app.config.issuer,
      })
      return to === undefined ? errorPage(c, 400, BAD_RETURN_ADDRESS) : c.redirect(to, 302)
    }
    throw err
  }
  const stored = await app.stores.requests.store('pending', request, PENDING_SECONDS)
  // Too many requests waiting (store/request-store.ts): 429 with Retry-After, as OAuth error JSON.
  if (!stored.ok) return oauthErrorResponse(c, requestsWaiting(stored.retryAfterSeconds))
  return consent(app, c, stored.id, request)
}

/** RFC 9126 §4: only the pushed parameters count; the request_uri is single-use and the client's own. */
async function pushedRequest(app: AppContext, params: OAuthParams): Promise<AuthorizationRequest> {
  const malformed = new RequestPageError('invalid request_uri', 'The request is malformed.')
  if (params.repeated.has('client_id') || params.repeated.has('request_uri')) throw malformed
  const clientId = params.values.get('client_id')
  const uri = params.values.get('request_uri') ?? ''
  if (clientId === undefined || !uri.startsWith(REQUEST_URI_PREFIX)) throw malformed
  const request = await app.stores.requests.take(
    'pushed',
    uri.slice(REQUEST_URI_PREFIX.length),
    clientId,
  )
  if (!request)
    throw new RequestPageError(
      'invalid request_uri',
      'This request has expired or was already used. Start again at the application’s site.',
    )
  if (await app.stores.clients.vendorBlocked(request.clientId))
    throw new RequestPageError(
      'Unknown client',
      'The application that sent you here is blocked in this vault.',
    )
  return request
}

/**
 * The owner's session of this browser, if signed in: the cookie the owner API sets, read here
 * and checked by the session store (its idle timer restarted), never by the owner routes.
 */
function ownerSession(app: AppContext, c: Context): Promise<OwnerSession | undefined> {
  return app.stores.sessions.find(getCookie(c, SESSION_COOKIE))
}

async function consent(
  app: AppContext,
  c: Context,
  pendingId: string,
  request: AuthorizationRequest,
): Promise<Response> {
  // A request stored by an older version may name a redirect URI that cannot be used (redirect-uri.ts).
  if (!isUsableRedirectUri(request.redirectUri)) return errorPage(c, 400, BAD_RETURN_ADDRESS)
  const vendor = await app.vault.vendors.get(request.clientId)
  const session = await ownerSession(app, c)
  const sellers =
    session && request.access.purchases?.madeWithVendor
      ? await sellerCandidates(app.vault, vendor.name)
      : undefined
  const owner = session
    ? {
        csrfToken: session.csrfToken,
        values: await app.vault.fields.list(request.access.fields),
        ...(sellers ? { sellers } : {}),
      }
    : undefined
  return renderConsentPage(c, {
    issuer: app.config.issuer,
    pendingId,
    request,
    vendor,
    ...(owner ? { owner } : {}),
  })
}

async function decide(app: AppContext, c: Context): Promise<Response> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded')
    return errorPage(c, 400, 'The request is malformed.')
  // Defence in depth beside the CSRF token: a decision is only ever posted by our own page.
  const origin = c.req.header('origin')
  const site = c.req.header('sec-fetch-site')
  if (
    (origin !== undefined && origin !== new URL(app.config.issuer).origin) ||
    (site !== undefined && site !== 'same-origin')
  )
    return errorPage(c, 403, 'This decision did not come from the consent page.')
  const form = new URLSearchParams(await c.req.text())

  const session = await ownerSession(app, c)
  if (!session)
    return errorPage(c, 401, 'Sign in to your vault to decide. Your session may have timed out.')
  if (!app.stores.sessions.csrfValid(session, form.get('csrf_token')))
    return errorPage(c, 403, 'This decision did not come from the consent page.')
  const id = form.get('request_id') ?? ''
  const pending = await app.stores.requests.find('pending', id)
  if (!pending)
    return errorPage(
      c,
      400,
      'This request has expired or was already decided. Start again at the application’s site.',
    )
  const decision = form.get('decision')
  if (decision !== 'approve' && decision !== 'deny')
    return errorPage(c, 400, 'Choose Approve or Deny.')
  const grant = decision === 'approve' ? approved(pending.access, form) : undefined
  if (grant === 'invalid') return errorPage(c, 400, 'The duration can only be shortened.')
  // IEEE 7012's one round: a counter-offer is the owner's to accept or decline, here.
  const counterText = form.get('counter_response')
  const counterResponse: CounterResponse | undefined =
    counterText === 'accept' || counterText === 'decline' ? counterText : undefined
  if (grant && pending.access.myterms?.answer === 'counter' && counterResponse === undefined)
    return errorPage(c, 400, 'Say whether you accept the counter-offer. Nothing was shared.')
  // The way back is built before anything is granted: a redirect that cannot be built must not
  // leave a grant (and a code) behind that no client will ever receive.
  const to = (request: AuthorizationRequest, params: Record<string, string>) =>
    redirectWith(request.redirectUri, { ...params, state: request.state, iss: app.config.issuer })
  if (to(pending, {}) === undefined) return errorPage(c, 400, BAD_RETURN_ADDRESS)
  const request = await app.stores.requests.take('pending', id)
  if (!request)
    return errorPage(
      c,
      400,
      'This request has expired or was already decided. Start again at the application’s site.',
    )
  if (to(request, {}) === undefined) return errorPage(c, 400, BAD_RETURN_ADDRESS)

  const back = (params: Record<string, string>) => {
    const location = to(request, params)
    return location === undefined
      ? errorPage(c, 400, BAD_RETURN_ADDRESS)
      : c.redirect(location, 303)
  }
  // RFC 6749 §4.1.2.1: the owner said no (or unticked everything). A MyTerms answer is recorded all the same.
  if (!grant) {
    // A receipt of the denial for both sides (issue 12, part 3), and a line in the log.
    await app.vault.grants.deny({
      vendorId: request.clientId,
      request: request.access,
      reason: 'ERR_OWNER_DENIED',
    })
    await recordAnswer(app, request, counterResponse, undefined, 'denied')
    return back({ error: 'access_denied', error_description: 'The owner denied the request' })
  }
  // The owner may have added a "never for" purpose, or changed her terms, while the request
  // waited; and she may have declined the vendor's counter-offer just now.
  let inForce: string | undefined
  try {
    const refuse = (error: OAuthJsonErrorCode, description: string): never => {
      throw new RequestRedirectError(error, description, request.redirectUri, request.state)
    }
    await refuseNeverAllowedPurposes(app, request.clientId, request.access, refuse)
    inForce = await refuseOutsideTerms(
      app,
      request.clientId,
      { ...request.access, purposes: grant.purposes ?? request.access.purposes },
      refuse,
      counterResponse,
    )
  } catch (err) {
    if (err instanceof RequestRedirectError)
      return back({ error: err.error, error_description: err.message })
    throw err
  }
  let grantId: string
  try {
    // Linked first: a link without a grant shares nothing, a grant whose links failed would share less than the page said.
    if (grant.purchases?.madeWithVendor)
      await linkChosenSellers(app, request.clientId, form.getAll('link_seller'))
    // The grant is under the agreement in force (IEEE 7012): its roster id first in acceptedTerms.
    const acceptedTerms =
      inForce === undefined
        ? grant.acceptedTerms
        : [inForce, ...(grant.acceptedTerms ?? []).filter((t) => t !== inForce)]
    grantId = (
      await app.vault.grants.create({
        vendorId: request.clientId,
        ...grant,
        ...(acceptedTerms ? { acceptedTerms } : {}),
      })
    ).id
  } catch (err) {
    if (
      err instanceof VaultError &&
      (err.code === 'ERR_VENDOR_BLOCKED' || err.code === 'ERR_NOT_FOUND')
    )
      return back({ error: 'access_denied', error_description: 'The owner denied the request' })
    throw err
  }
  await recordAnswer(app, request, counterResponse, grantId, 'granted')
  const code = await app.stores.codes.issue({
    clientId: request.clientId,
    grantId,
    redirectUri: request.redirectUriSent ? request.redirectUri : '',
    codeChallenge: request.codeChallenge,
    dpopJkt: request.dpopJkt ?? null,
  })
  return back({ code })
}

/** The agreement record of a decided request that carried a MyTerms answer (terms/agreement-record.ts). */
async function recordAnswer(
  app: AppContext,
  request: AuthorizationRequest,
  counterResponse: CounterResponse | undefined,
  grantId: string | undefined,
  outcome: 'granted' | 'denied',
): Promise<void> {
  const answer = request.access.myterms
  if (!answer) return
  const client = await app.stores.clients.load(request.clientId)
  if (!client) return
  const policy = await app.stores.termsPolicy.get()
  const { inForce } = termsOutcome(policy, answer, request.access.purposes, counterResponse)
  await recordAgreement(app, {
    client,
    answer,
    counterResponse,
    inForce,
    purposes: request.access.purposes,
    grantId,
    outcome,
  })
}

/**
 * Links the sellers the owner ticked to the vendor, so "purchases made with" it include them. Only
 * sellers the page offered count (recomputed here, never taken from the form on trust): a forged
 * form cannot link an unrelated seller's purchases to this vendor.
 */
async function linkChosenSellers(
  app: AppContext,
  vendorId: string,
  chosen: readonly string[],
): Promise<void> {
  if (chosen.length === 0) return
  const vendor = await app.vault.vendors.get(vendorId)
  const offered = new Set((await sellerCandidates(app.vault, vendor.name)).map((s) => s.seller))
  for (const seller of new Set(chosen))
    if (offered.has(seller)) await app.vault.purchases.linkSeller(seller, vendorId)
}

/**
 * The grant the owner approved: only what was asked for (unticked fields and slices dropped,
 * anything else in the form ignored) and never longer than asked. Undefined when nothing is
 * left; 'invalid' when the form asks for a longer duration than the request.
 */
function approved(
  access: RequestedAccess,
  form: URLSearchParams,
): Omit<GrantInput, 'vendorId'> | undefined | 'invalid' {
  const durationText = form.get('duration_seconds')
  const durationSeconds =
    durationText === null
      ? access.durationSeconds
      : /^[0-9]{1,9}$/.test(durationText)
        ? Number(durationText)
        : Number.NaN
  if (!(durationSeconds >= 60 && durationSeconds <= access.durationSeconds)) return 'invalid'
  const chosen = new Set(form.getAll('field'))
  const fields = access.fields.filter((f) => chosen.has(f))
  const purchases =
    access.purchases && form.get('purchases') === 'read' ? access.purchases : undefined
  const read = access.actions.includes('read') && (fields.length > 0 || purchases !== undefined)
  const append = access.actions.includes('append') && form.get('append') === 'purchases'
  const converse = access.actions.includes('converse') && form.get('converse') === 'yes'
  const intents = access.actions.includes('intents') && form.get('intents') === 'yes'
  const draft = access.actions.includes('draft') && form.get('draft') === 'yes'
  if (!read && !append && !converse && !intents && !draft) return undefined
  return {
    fields: read ? fields : [],
    ...(read && purchases ? { purchases } : {}),
    actions: [
      ...(read ? (['read'] as const) : []),
      ...(append ? (['append'] as const) : []),
      ...(converse ? (['converse'] as const) : []),
      ...(intents ? (['intents'] as const) : []),
      ...(draft ? (['draft'] as const) : []),
    ],
    purpose: access.purpose,
    purposes: access.purposes,
    durationSeconds,
    acceptedTerms: access.acceptedTerms,
    // What the vendor asked: a single-use request is granted single use, never continuous.
    accessMode: access.accessMode,
  }
}
