import { z } from 'zod'
import {
  DEFAULT_PURPOSE,
  GrantAction,
  GrantInput,
  type PurchaseSlice,
  PurposeList,
  VOCABULARY,
  refusedPurposes,
} from '@custos/vault'
import type { OAuthJsonErrorCode } from '../api-problems.js'
import type { AppContext } from '../app-context.js'
import { isKnownSelector } from '../protocol/field-selectors.js'
import type { OAuthParams } from './form-body.js'
import { isUsableRedirectUri, matchesRegisteredRedirect } from './redirect-uri.js'
import { VendorAnswerInput } from '../terms/vendor-answer.js'
import { applyVendorAnswer } from './myterms-answer.js'
import { PDPP_DATA_ACCESS, mapPdppDetail } from '../protocol/pdpp-data-access.js'
import { VendorPurchaseSliceInput } from '../protocol/vendor-purchase-slice.js'
import { WireAccessMode, fromWireMode, toWireMode } from '../protocol/access-mode.js'
import type { RegisteredClient } from '../store/client-store.js'
import type { AuthorizationRequest, RequestedAccess } from '../store/request-store.js'

/**
 * Parsing and validating an authorization request (RFC 6749 §4.1.1), as it arrives at
 * `/oauth/authorize` or is pushed to `/oauth/par` (RFC 9126).
 *
 * What is asked, in either or both of:
 * - `scope`: space-separated `read:<field path or subtree>`, `read:purchases` (purchases made with
 *   this vendor), `read:purchases:all` (every purchase of hers), `append:purchases`, `intents` (see the owner's requests, send offers);
 * - `authorization_details` (RFC 9396): a JSON array with one object of type `custos_fields`, or
 *   one of PDPP's `https://pdpp.dev/data-access` (protocol/pdpp-data-access.ts).
 *
 * Validation runs in two phases (RFC 6749 §4.1.2.1): until the client and its redirect URI are
 * established, errors are shown to the user and never redirected (else this server becomes an
 * open redirector); after that, errors go back to the client at its redirect URI.
 */
export const DEFAULT_GRANT_SECONDS = 30 * 86400
export const MAX_GRANT_SECONDS = 2 * 366 * 86400
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/ // BASE64URL(SHA-256(...)), RFC 7636 §4.2
const JKT = /^[A-Za-z0-9_-]{43}$/ // RFC 7638 SHA-256 thumbprint, RFC 9449 §10
const STATE = /^[\x20-\x7e]{1,1024}$/ // VSCHAR, RFC 6749 Appendix A.5

/**
 * The scope values for RFC 8414 `scopes_supported`: every known field and subtree, the custom
 * subtree, the two purchase scopes, `converse` and `intents` (issue 13). (Any `read:custom.<path>` is
 * accepted too.)
 */
/**
 * Every purchase of the owner, of every seller (the consent page says "All your purchases"), not
 * only those made with the client: what an assistant of the owner's asks for (mcp/).
 */
export const PURCHASES_ALL_SCOPE = 'read:purchases:all'

export const SCOPES_SUPPORTED: readonly string[] = (() => {
  const selectors = new Set<string>()
  for (const path of Object.keys(VOCABULARY)) {
    const segments = path.split('.')
    for (let i = 1; i < segments.length; i++) selectors.add(`${segments.slice(0, i).join('.')}.*`)
    selectors.add(path)
  }
  selectors.add('custom.*')
  return [
    'read:purchases',
    PURCHASES_ALL_SCOPE,
    'append:purchases',
    'converse',
    'intents',
    'draft',
    ...[...selectors].sort().map((s) => `read:${s}`),
  ]
})()

/** The RFC 9396 authorization details type Custos defines. */
export const CustosFieldsDetail = z
  .object({
    type: z.literal('custos_fields'),
    fields: z
      .array(z.string().max(200).refine(isKnownSelector, 'unknown field path'))
      .max(200)
      .default([]),
    // `made_with_vendor` (the earlier `madeWithVendor` still accepted): protocol/vendor-purchase-slice.ts.
    purchases: VendorPurchaseSliceInput.optional(),
    actions: z.array(GrantAction).min(1).max(GrantAction.options.length),
    purpose: z.string().trim().min(1).max(500),
    // DPV purpose IRIs or compact names (dpv:CustomerCare); none given: service provision.
    purposes: PurposeList.optional(),
    duration_seconds: z.number().int().min(60).max(MAX_GRANT_SECONDS).optional(),
    accepted_terms: z.array(z.string().min(1).max(200)).max(20).default([]),
    // PDPP's words (issue 12 §5): `single_use` asks for a grant consumed by the first read.
    access_mode: WireAccessMode.default('continuous'),
    // IEEE 7012: the vendor's answer to the owner's MyTerms proffer (terms/vendor-answer.ts); PAR only.
    myterms: VendorAnswerInput.optional(),
  })
  .strict()
  .refine(
    (d) => d.actions.includes('read') || (d.fields.length === 0 && d.purchases === undefined),
    'fields and purchases are read: add the read action',
  )
const AuthorizationDetails = z.array(CustosFieldsDetail).length(1)
const isPdppDetail = (d: unknown) =>
  typeof d === 'object' && d !== null && (d as { type?: unknown }).type === PDPP_DATA_ACCESS

/**
 * Shown to the user, never redirected: the redirect URI is not trusted (RFC 6749 §4.1.2.1).
 * `message` is the `error_description` for back-channel callers (PAR); both are fixed text.
 */
export class RequestPageError extends Error {
  constructor(
    description: string,
    readonly userMessage: string,
  ) {
    super(description)
  }
}

/** Sent back to the client at its (validated) redirect URI (RFC 6749 §4.1.2.1). */
export class RequestRedirectError extends Error {
  constructor(
    readonly error: OAuthJsonErrorCode,
    description: string,
    readonly redirectUri: string,
    readonly state: string | undefined,
  ) {
    super(description)
  }
}

/** Phase 1: the client and the redirect URI, exactly as registered (RFC 9700 §2.1). */
export async function resolveClientAndRedirect(
  app: AppContext,
  params: OAuthParams,
  client?: RegisteredClient,
): Promise<{ client: RegisteredClient; redirectUri: string; redirectUriSent: boolean }> {
  if (params.repeated.has('client_id') || params.repeated.has('redirect_uri'))
    throw new RequestPageError(
      'client_id or redirect_uri is malformed',
      'The request is malformed.',
    )
  const clientId = params.values.get('client_id')
  if (client && clientId !== undefined && clientId !== client.clientId)
    throw new RequestPageError(
      'client_id or redirect_uri is malformed',
      'The request is malformed.',
    )
  const known =
    client ?? (clientId === undefined ? undefined : await app.stores.clients.load(clientId))
  if (!known)
    throw new RequestPageError(
      'Unknown client',
      'The application that sent you here is not registered with this vault.',
    )
  if (await app.stores.clients.vendorBlocked(known.clientId))
    throw new RequestPageError(
      'Unknown client',
      'The application that sent you here is blocked in this vault.',
    )
  const given = params.values.get('redirect_uri')
  if (given !== undefined) {
    // Exact string comparison: no normalization, no prefix or pattern matching — but any port
    // for a loopback IP redirect URI (RFC 8252 §7.3; redirect-uri.ts).
    if (!matchesRegisteredRedirect(known.redirectUris, given))
      throw new RequestPageError(
        'redirect_uri is not registered for this client',
        'The application sent you here with a return address it did not register.',
      )
    return { client: known, redirectUri: usable(given), redirectUriSent: true }
  }
  // RFC 6749 §3.1.2.3: optional only when exactly one redirect URI is registered.
  const [only] = known.redirectUris
  if (known.redirectUris.length !== 1 || only === undefined)
    throw new RequestPageError(
      'redirect_uri is required when several are registered',
      'The application did not say where to send you back.',
    )
  return { client: known, redirectUri: usable(only), redirectUriSent: false }
}

/**
 * A registered redirect URI that an older version let through (control characters, whitespace)
 * cannot be redirected to: shown as an error here, before anything is stored or granted, rather
 * than a 500 at the redirect (RFC 6749 §4.1.2.1: an invalid redirect URI is never redirected to).
 */
function usable(redirectUri: string): string {
  if (!isUsableRedirectUri(redirectUri))
    throw new RequestPageError(
      'the registered redirect_uri is invalid',
      'The application registered a return address this vault cannot use. Ask the application to register again.',
    )
  return redirectUri
}

/**
 * Validates an authorization request. Throws {@link RequestPageError} or
 * {@link RequestRedirectError}. `client` is given when the client is already authenticated (PAR).
 */
export async function validateAuthorizationRequest(
  app: AppContext,
  params: OAuthParams,
  client?: RegisteredClient,
): Promise<AuthorizationRequest> {
  const resolved = await resolveClientAndRedirect(app, params, client)
  const rawState = params.values.get('state')
  const state =
    rawState !== undefined && STATE.test(rawState) && !params.repeated.has('state')
      ? rawState
      : undefined
  const fail: Fail = (error, description) => {
    throw new RequestRedirectError(error, description, resolved.redirectUri, state)
  }
  if (params.repeated.size > 0) fail('invalid_request', 'A parameter was given more than once')
  if (rawState !== undefined && state === undefined)
    fail('invalid_request', 'state must be printable ASCII, at most 1024 characters')
  const responseType = params.values.get('response_type')
  if (responseType === undefined) fail('invalid_request', 'Missing parameter: response_type')
  if (responseType !== 'code')
    fail('unsupported_response_type', 'Only response_type=code is supported')
  const responseMode = params.values.get('response_mode')
  if (responseMode !== undefined && responseMode !== 'query')
    fail('invalid_request', 'Only response_mode=query is supported')
  if (params.values.has('request'))
    fail(
      'request_not_supported',
      'Request objects are not supported; use pushed authorization requests',
    )
  if (params.values.has('request_uri')) fail('invalid_request', 'request_uri is not accepted here')

  // RFC 7636 §4.4.1 and RFC 9700 §2.1.1: PKCE is required, and only S256 (plain is refused).
  const challenge = params.values.get('code_challenge')
  if (challenge === undefined)
    fail('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256')
  if (params.values.get('code_challenge_method') !== 'S256')
    fail('invalid_request', 'Only code_challenge_method=S256 is supported')
  if (!CODE_CHALLENGE.test(challenge))
    fail('invalid_request', 'code_challenge must be 43 base64url characters')
  const dpopJkt = params.values.get('dpop_jkt')
  if (dpopJkt !== undefined && !JKT.test(dpopJkt))
    fail('invalid_request', 'dpop_jkt must be a SHA-256 JWK thumbprint')

  const { access: asked, myterms } = parseAccess(resolved.client, params, fail, app.config.issuer)
  await refuseNeverAllowedPurposes(app, resolved.client.clientId, asked, fail)
  const access = await applyVendorAnswer(
    app,
    resolved.client.clientId,
    client,
    myterms,
    asked,
    fail,
  )
  return {
    clientId: resolved.client.clientId,
    redirectUri: resolved.redirectUri,
    redirectUriSent: resolved.redirectUriSent,
    ...(state !== undefined ? { state } : {}),
    codeChallenge: challenge,
    ...(dpopJkt !== undefined ? { dpopJkt } : {}),
    access,
  }
}

export type Fail = (error: OAuthJsonErrorCode, description: string) => never

/**
 * A request for a purpose the owner never allows (store/purpose-policy.ts) is refused before the
 * owner is asked, logged as the vendor's refused request, and answered `access_denied` naming
 * each refused purpose's IRI (issue 12), so the vendor's software can tell why.
 */
export async function refuseNeverAllowedPurposes(
  app: AppContext,
  clientId: string,
  access: RequestedAccess,
  fail: Fail,
): Promise<void> {
  const refused = refusedPurposes(access.purposes, (await app.stores.purposePolicy.get()).neverFor)
  if (refused.length === 0) return
  await app.vault.access.refuseRequest({ vendorId: clientId, refused, request: access })
  fail('access_denied', `The owner does not allow access for these purposes: ${refused.join(' ')}`)
}

/** `scope` and/or `authorization_details` → the access asked for. */
function parseAccess(
  client: RegisteredClient,
  params: OAuthParams,
  fail: Fail,
  issuer: string,
): { access: RequestedAccess; myterms: z.output<typeof VendorAnswerInput> | undefined } {
  const scope = params.values.get('scope')
  const detailsText = params.values.get('authorization_details')
  if (scope === undefined && detailsText === undefined)
    fail('invalid_scope', 'Ask for access with scope or authorization_details')

  const fields = new Set<string>()
  const actions = new Set<GrantAction>()
  let purchases: PurchaseSlice | undefined
  if (scope !== undefined) {
    // RFC 6749 §3.3: space-delimited, case-sensitive scope tokens.
    const tokens = scope.split(' ').filter((t) => t !== '')
    if (tokens.length === 0 || tokens.length > 200 || scope.length > 8192)
      fail('invalid_scope', 'The scope is empty or too long')
    for (const token of tokens) {
      if (token === 'read:purchases') {
        purchases = { madeWithVendor: purchases?.madeWithVendor ?? true }
        actions.add('read')
      } else if (token === PURCHASES_ALL_SCOPE) {
        // The scope form of `made_with_vendor: false` (authorization_details could always ask it):
        // for a client that sends only a scope, such as an MCP client, the owner's assistant.
        purchases = { madeWithVendor: false }
        actions.add('read')
      } else if (token === 'append:purchases') {
        actions.add('append')
      } else if (token === 'converse') {
        // Issue 13: the vendor may write to the owner in Custos (conversation threads).
        actions.add('converse')
      } else if (token === 'intents') {
        // Issue 13: the vendor may see the owner's intents and send her offers.
        actions.add('intents')
      } else if (token === 'draft') {
        // Issue 14: the owner's assistant may propose intents and messages for her to send.
        actions.add('draft')
      } else if (token.startsWith('read:') && isKnownSelector(token.slice(5))) {
        fields.add(token.slice(5))
        actions.add('read')
      } else {
        fail('invalid_scope', 'Unknown scope value or field path')
      }
    }
  }

  let detail: z.output<typeof CustosFieldsDetail> | undefined
  if (detailsText !== undefined) {
    let json: unknown
    try {
      json = detailsText.length <= 16_384 ? JSON.parse(detailsText) : undefined
    } catch {
      json = undefined
    }
    const first = Array.isArray(json) && json.length === 1 ? (json[0] as unknown) : undefined
    if (isPdppDetail(first)) {
      // PDPP's data-access request, read as the Custos grant it means (protocol/pdpp-data-access.ts).
      const mapped = mapPdppDetail(first, issuer)
      if (!mapped.ok) fail('invalid_authorization_details', mapped.description)
      json = [
        {
          type: 'custos_fields',
          fields: mapped.access.fields,
          ...(mapped.access.purchases
            ? {
                purchases: {
                  made_with_vendor: true,
                  since: mapped.access.purchases.since,
                  until: mapped.access.purchases.until,
                },
              }
            : {}),
          actions: ['read'],
          purpose: mapped.access.purpose ?? `Requested by ${client.name}`,
          purposes: mapped.access.purposes,
          access_mode: toWireMode(mapped.access.accessMode),
        },
      ]
    }
    const parsed = AuthorizationDetails.safeParse(json)
    if (!parsed.success)
      fail(
        'invalid_authorization_details',
        `authorization_details must be a JSON array with one valid custos_fields or ${PDPP_DATA_ACCESS} object`,
      )
    detail = parsed.data[0]
    for (const f of detail?.fields ?? []) fields.add(f)
    for (const a of detail?.actions ?? []) actions.add(a)
    if (detail?.purchases) purchases = detail.purchases
  }

  const access: RequestedAccess = {
    fields: [...fields],
    ...(purchases ? { purchases } : {}),
    actions: [...actions],
    purpose: detail?.purpose ?? `Requested by ${client.name}`,
    purposes: detail?.purposes ?? [DEFAULT_PURPOSE],
    durationSeconds: detail?.duration_seconds ?? DEFAULT_GRANT_SECONDS,
    acceptedTerms: detail?.accepted_terms ?? [],
    accessMode: fromWireMode(detail?.access_mode ?? 'continuous'),
  }
  // The vault's own rules for a grant, checked now so the owner is never shown an impossible one.
  const grant = GrantInput.safeParse({ vendorId: client.clientId, ...access })
  if (!grant.success)
    fail(
      detail ? 'invalid_authorization_details' : 'invalid_scope',
      'The access asked for is not a valid grant',
    )
  return { access, myterms: detail?.myterms }
}

/**
 * The redirect back to the client: the registered URI keeps its query, the response is appended
 * (RFC 6749 §4.1.2). Undefined when the stored URI is not usable (see redirect-uri.ts): callers
 * build it before they change anything, and show an error page instead.
 */
export function redirectWith(
  redirectUri: string,
  params: Record<string, string | undefined>,
): string | undefined {
  if (!isUsableRedirectUri(redirectUri)) return undefined
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) query.set(name, value)
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${query.toString()}`
}
