import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { VaultErrorCode } from '@custos/vault'

/**
 * Every error the HTTP API can answer, in one place (jose's `errors.ts`): each code, its status,
 * its title, and — where a standard prescribes another shape than RFC 9457 problem+json — that
 * shape. The translators (`app.onError`, the owner API's handler, the resource API's RFC 6750
 * mapping, the web pages' error page) only look codes up here; a code without a row fails the
 * type-check, since both tables `satisfies` a `Record` over their code union.
 *
 * Titles are fixed text (SECURITY.md 23: nothing of the request is ever echoed). A vault error
 * answers with its own message as title (the vault's messages carry no values) unless its row is
 * `opaque`; a refusal raised by the API may name a more precise fixed title at the raising site.
 */

/** The API's own problem codes: refusals that happen before or beside the vault. */
export type ApiProblemCode =
  | 'ERR_ROUTE_NOT_FOUND'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_NOT_ACCEPTABLE'
  | 'ERR_NO_SESSION'
  | 'ERR_CSRF'
  | 'ERR_KEYS_BUSY'
  | 'ERR_ALREADY_UNSEALED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_STORAGE_UNAVAILABLE'
  | 'ERR_INTERNAL'

/** Every `code` an RFC 9457 problem of this API can carry: the vault's and the API's own. */
export type ProblemCode = VaultErrorCode | ApiProblemCode

/**
 * How the vendor resource API (`/v1`) answers a vault refusal instead of problem+json: an RFC 6750
 * §3.1 error in a `WWW-Authenticate` challenge, with a fixed `error_description`.
 */
export interface BearerAnswer {
  readonly error: 'invalid_token' | 'insufficient_scope'
  readonly description: string
}

export interface ProblemRow {
  readonly status: ContentfulStatusCode
  /** The RFC 9457 `title` when the raising site names none, and always for an `opaque` row. */
  readonly title: string
  /**
   * An integrity or platform failure: answered with the row's title only, never the error's own
   * message or issues — they would tell an attacker what broke (SECURITY.md 23).
   */
  readonly opaque?: true
  /** `Retry-After` seconds (RFC 9110 §10.2.3) for refusals that clear with time. */
  readonly retryAfterSeconds?: number
  /** On `/v1` the refusal is an RFC 6750 §3.1 challenge, not problem+json. */
  readonly bearer?: BearerAnswer
}

/** The token no longer stands for a live grant (RFC 6750 §3.1 `invalid_token`). */
const GRANT_GONE: BearerAnswer = {
  error: 'invalid_token',
  description: 'The grant behind this access token is no longer valid',
}

/**
 * A 503 clears when the service is back: 5 seconds keeps clients from a tight loop. A full inbox
 * clears when the owner reviews it, which no server can predict: an hour keeps a well-behaved
 * vendor from asking in a tight loop, and a 429 tells it to keep the receipt and retry, where a 409
 * would tell it to give the receipt up (inbox-limits test).
 */
const SOON = 5
const OWNER_REVIEW = 3600

/** The vault's codes (packages/vault/src/errors.ts), as the HTTP API answers them. */
const vaultRows = {
  ERR_VAULT_LOCKED: { status: 503, title: 'The vault is sealed', retryAfterSeconds: SOON },
  ERR_VAULT_UNINITIALIZED: {
    status: 503,
    title: 'The vault is not initialized',
    retryAfterSeconds: SOON,
  },
  ERR_VAULT_EXISTS: { status: 409, title: 'A vault already exists' },
  ERR_UNLOCK_FAILED: { status: 401, title: 'Unlock failed' },
  // Retry-After comes from the error's own retryAt (owner-errors.ts).
  ERR_UNLOCK_THROTTLED: { status: 429, title: 'Too many failed unlocks' },
  ERR_RECOVERY_KEY_FORMAT: { status: 400, title: 'Not a recovery key' },
  ERR_RECOVERY_REQUIRED: { status: 403, title: 'A recent proof of the recovery key is required' },
  ERR_WEAK_PASSPHRASE: { status: 400, title: 'The passphrase is too weak' },
  ERR_INTEGRITY: { status: 500, title: 'Internal error', opaque: true },
  ERR_UNSUPPORTED_FORMAT: { status: 500, title: 'Internal error', opaque: true },
  ERR_VALIDATION: { status: 400, title: 'Invalid input' },
  ERR_UNKNOWN_PATH: { status: 400, title: 'Unknown field path' },
  ERR_VALUE_TOO_LARGE: { status: 413, title: 'The value is too large' },
  ERR_NOT_FOUND: { status: 404, title: 'Not found', bearer: GRANT_GONE },
  ERR_GRANT_EXPIRED: { status: 403, title: 'The grant has expired', bearer: GRANT_GONE },
  ERR_GRANT_REVOKED: { status: 403, title: 'The grant was revoked', bearer: GRANT_GONE },
  // A single-use grant after its one read (issue 12 §5): the token is as dead as a revoked one.
  ERR_GRANT_CONSUMED: {
    status: 403,
    title: 'The single-use grant has been used',
    bearer: {
      error: 'invalid_token',
      description: 'The single-use grant behind this access token has been used',
    },
  },
  ERR_GRANT_SCOPE: {
    status: 403,
    title: 'The grant does not allow this',
    bearer: { error: 'insufficient_scope', description: 'The grant does not allow this request' },
  },
  ERR_VENDOR_BLOCKED: { status: 403, title: 'The vendor is blocked', bearer: GRANT_GONE },
  // A token pointed at another vendor's grant (a tampered token row): to the vendor, a grant that
  // does not exist; the vault has logged it as this vendor's refusal.
  ERR_GRANT_MISMATCH: { status: 404, title: 'Not found', bearer: GRANT_GONE },
  ERR_TOKEN_REVOKED: { status: 401, title: 'The token was revoked', bearer: GRANT_GONE },
  ERR_TOKEN_EXPIRED: { status: 401, title: 'The token has expired', bearer: GRANT_GONE },
  ERR_TOKEN_USED: { status: 401, title: 'The token was already used', bearer: GRANT_GONE },
  ERR_AUDIT_WRITE: {
    status: 503,
    title: 'The access log could not be written',
    retryAfterSeconds: SOON,
  },
  ERR_AUDIT_BROKEN: { status: 503, title: 'Internal error', opaque: true, retryAfterSeconds: SOON },
  ERR_BACKUP_INVALID: { status: 400, title: 'Not a valid backup' },
  ERR_IMPORT_INVALID: { status: 400, title: 'Not a valid export' },
  ERR_CONFLICT: { status: 409, title: 'Conflict' },
  // A vendor's pending receipts are at the cap: retry once the owner has reviewed them.
  ERR_INBOX_FULL: {
    status: 429,
    title: 'Too many pending receipts',
    retryAfterSeconds: OWNER_REVIEW,
  },
  // Intents (issue 13): an offer or a withdrawal after the intent closed; limits against spam.
  ERR_INTENT_CLOSED: { status: 409, title: 'The intent is closed' },
  ERR_INTENT_LIMIT: { status: 409, title: 'Too many open intents' },
  ERR_OFFER_LIMIT: { status: 429, title: 'Too many offers on this intent' },
  ERR_OFFER_EXPIRED: { status: 409, title: 'The offer is no longer valid' },
  ERR_CRYPTO_UNAVAILABLE: { status: 500, title: 'Internal error', opaque: true },
  // Conversations (issue 13): the writer shortens the message, the thread is settled, or the
  // vendor waits until the owner closes some of the threads it opened.
  ERR_MESSAGE_TOO_LARGE: { status: 413, title: 'The message is too long' },
  ERR_THREAD_CLOSED: { status: 409, title: 'The conversation is closed' },
  ERR_THREAD_LIMIT: {
    status: 429,
    title: 'Too many open conversations',
    retryAfterSeconds: OWNER_REVIEW,
  },
} as const satisfies Record<VaultErrorCode, ProblemRow>

/** The API's own codes. */
const apiRows = {
  ERR_ROUTE_NOT_FOUND: { status: 404, title: 'No such endpoint' },
  ERR_BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  ERR_NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  ERR_NO_SESSION: { status: 401, title: 'Not signed in' },
  // OWASP synchronizer token behind SameSite=Strict (SECURITY.md 24).
  ERR_CSRF: { status: 403, title: 'Missing or wrong CSRF token' },
  ERR_KEYS_BUSY: { status: 409, title: 'A key rotation or a restore is running' },
  ERR_ALREADY_UNSEALED: {
    status: 409,
    title: 'The vault is already unsealed; sign in with POST /owner/session',
  },
  // RFC 6585 §4; Retry-After comes from the limiter's window (rate-limiter.ts).
  ERR_RATE_LIMITED: { status: 429, title: 'Too many requests; try again later' },
  // The database refused or could not be reached: fail closed, recover without a restart (problem.ts).
  ERR_STORAGE_UNAVAILABLE: {
    status: 503,
    title: 'The database is unavailable; try again later',
    retryAfterSeconds: SOON,
  },
  ERR_INTERNAL: { status: 500, title: 'Internal error', opaque: true },
} as const satisfies Record<ApiProblemCode, ProblemRow>

/** The vault's codes this API answers; the rest of {@link PROBLEMS} is the API's own. */
export const VAULT_PROBLEM_CODES = Object.freeze(Object.keys(vaultRows) as VaultErrorCode[])

/**
 * The problem table. Rows keep their literal types, so `PROBLEMS.ERR_UNLOCK_FAILED.status` is
 * the type `401`; use {@link problemRow} to read a row by a code only known at run time.
 *
 * @example
 * PROBLEMS.ERR_CSRF.status // 403
 */
export const PROBLEMS = Object.freeze({ ...vaultRows, ...apiRows } satisfies Record<
  ProblemCode,
  ProblemRow
>)

/**
 * The row of `code`. A code no row knows (a newer vault behind an older API) is answered as an
 * opaque 500 — never with whatever message it carried.
 */
export function problemRow(code: ProblemCode): ProblemRow {
  return (PROBLEMS as Partial<Record<string, ProblemRow>>)[code] ?? PROBLEMS.ERR_INTERNAL
}

/** The RFC 9457 `type` of a code: one URI per code (`ERR_KEYS_BUSY` → `…/problems/keys-busy`). */
export function problemType(code: string): string {
  return `https://custos.dev/problems/${code.toLowerCase().replace(/^err_/, '').replace(/_/g, '-')}`
}

/** The OAuth error codes this server sends, in the shapes RFC 6749, 6750, 7591, 9396 and 9449 define. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_response_type'
  | 'request_not_supported'
  | 'invalid_authorization_details'
  | 'access_denied'
  | 'temporarily_unavailable'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_dpop_proof'
  | 'invalid_token'
  | 'insufficient_scope'

export interface OAuthErrorRow {
  /** Where the code is defined. */
  readonly spec: string
  /** Status of the RFC 6749 §5.2 JSON body (`error`, `error_description`) at an OAuth endpoint. */
  readonly json?: ContentfulStatusCode
  /** Status of the RFC 6750 §3 `WWW-Authenticate` challenge at the resource API (`/v1`). */
  readonly challenge?: 400 | 401 | 403
  /** Sent to the client's validated redirect URI (RFC 6749 §4.1.2.1), which has no status of its own. */
  readonly redirect?: true
}

const oauthRows = {
  invalid_request: {
    spec: 'RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1',
    json: 400,
    challenge: 400,
    redirect: true,
  },
  invalid_client: { spec: 'RFC 6749 §5.2', json: 401 },
  invalid_grant: { spec: 'RFC 6749 §5.2', json: 400 },
  unauthorized_client: { spec: 'RFC 6749 §5.2', json: 400 },
  unsupported_grant_type: { spec: 'RFC 6749 §5.2', json: 400 },
  invalid_scope: { spec: 'RFC 6749 §4.1.2.1, §5.2', json: 400, redirect: true },
  unsupported_response_type: { spec: 'RFC 6749 §4.1.2.1', json: 400, redirect: true },
  request_not_supported: {
    spec: 'RFC 9101 §6.3; OpenID Connect Core §3.1.2.6',
    json: 400,
    redirect: true,
  },
  invalid_authorization_details: { spec: 'RFC 9396 §5', json: 400, redirect: true },
  // At the PAR endpoint (RFC 9126 §2.3 allows the authorization endpoint's codes): a request for a
  // purpose the owner never allows (store/purpose-policy.ts).
  access_denied: { spec: 'RFC 6749 §4.1.2.1; RFC 9126 §2.3', json: 400, redirect: true },
  // Too many authorization requests wait (request-store.ts): 429 with Retry-After (RFC 6585 §4).
  temporarily_unavailable: { spec: 'RFC 6749 §4.1.2.1; RFC 6585 §4', json: 429 },
  invalid_client_metadata: { spec: 'RFC 7591 §3.2.2', json: 400 },
  invalid_redirect_uri: { spec: 'RFC 7591 §3.2.2', json: 400 },
  // 400 at the token and PAR endpoints (RFC 9449 §5), a 401 challenge at the resource (§7.1).
  invalid_dpop_proof: { spec: 'RFC 9449 §5, §7.1', json: 400, challenge: 401 },
  // Registration without a valid initial access token (RFC 7591 §3), and a dead access token.
  invalid_token: { spec: 'RFC 6750 §3.1; RFC 7591 §3', json: 401, challenge: 401 },
  insufficient_scope: { spec: 'RFC 6750 §3.1', challenge: 403 },
} as const satisfies Record<OAuthErrorCode, OAuthErrorRow>

/** The OAuth error table; rows keep their literal types, so the derived code unions below are exact. */
export const OAUTH_ERRORS = Object.freeze(oauthRows)

type CodesWith<K extends keyof OAuthErrorRow> = {
  [C in OAuthErrorCode]: (typeof oauthRows)[C] extends Record<K, unknown> ? C : never
}[OAuthErrorCode]

/** Codes an OAuth endpoint may answer as RFC 6749 §5.2 JSON. */
export type OAuthJsonErrorCode = CodesWith<'json'>
/** Codes the resource API may put in an RFC 6750 §3 challenge. */
export type BearerErrorCode = CodesWith<'challenge'>
