import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { VaultError, type VaultErrorCode } from '@custos/vault'
import { RateLimitedError } from './limits/rate-limiter.js'

/**
 * RFC 9457 problem details for everything that is not an OAuth endpoint. One table maps vault
 * error codes to statuses; messages are the vault's (which never carry values) or fixed text —
 * input is never echoed back and nothing internal (stack, SQL) ever leaves (SECURITY.md 23).
 */
export interface Problem {
  readonly status: ContentfulStatusCode
  readonly code: string
  readonly title: string
  readonly detail?: string
  readonly issues?: readonly { path: string; message: string }[]
}

const STATUS: Record<VaultErrorCode, ContentfulStatusCode> = {
  ERR_VAULT_LOCKED: 503,
  ERR_VAULT_UNINITIALIZED: 503,
  ERR_VAULT_EXISTS: 409,
  ERR_UNLOCK_FAILED: 401,
  ERR_UNLOCK_THROTTLED: 429,
  ERR_RECOVERY_KEY_FORMAT: 400,
  ERR_RECOVERY_REQUIRED: 403,
  ERR_WEAK_PASSPHRASE: 400,
  ERR_INTEGRITY: 500,
  ERR_UNSUPPORTED_FORMAT: 500,
  ERR_VALIDATION: 400,
  ERR_UNKNOWN_PATH: 400,
  ERR_VALUE_TOO_LARGE: 413,
  ERR_NOT_FOUND: 404,
  ERR_GRANT_EXPIRED: 403,
  ERR_GRANT_REVOKED: 403,
  ERR_GRANT_SCOPE: 403,
  ERR_VENDOR_BLOCKED: 403,
  // A token pointed at another vendor's grant: to the vendor, a grant that does not exist.
  ERR_GRANT_MISMATCH: 404,
  ERR_TOKEN_REVOKED: 401,
  ERR_TOKEN_EXPIRED: 401,
  ERR_TOKEN_USED: 401,
  ERR_AUDIT_WRITE: 503,
  ERR_AUDIT_BROKEN: 503,
  ERR_BACKUP_INVALID: 400,
  ERR_IMPORT_INVALID: 400,
  ERR_CONFLICT: 409,
  // A vendor's pending receipts are at the cap: retry once the owner has reviewed them (inbox-limits test).
  ERR_INBOX_FULL: 429,
  ERR_CRYPTO_UNAVAILABLE: 500,
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) for refusals that clear with time rather than with another
 * request. A full inbox clears when the owner reviews it, which no server can predict: an hour
 * keeps a well-behaved vendor from asking in a tight loop, and a 429 tells it to keep the receipt
 * and retry, where a 409 would tell it to give the receipt up.
 */
const RETRY_AFTER_SECONDS: Partial<Record<VaultErrorCode, number>> = { ERR_INBOX_FULL: 3600 }

export function problemFromVaultError(err: VaultError): Problem {
  const status = STATUS[err.code] ?? 500
  // 5xx from the vault are integrity or platform failures: say so without any detail.
  if (status >= 500 && err.code !== 'ERR_VAULT_LOCKED' && err.code !== 'ERR_VAULT_UNINITIALIZED' && err.code !== 'ERR_AUDIT_WRITE') {
    return { status, code: err.code, title: 'Internal error' }
  }
  return { status, code: err.code, title: err.message, ...(err.issues.length > 0 ? { issues: err.issues } : {}) }
}

export function problemResponse(c: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  const body = {
    type: `https://custos.dev/problems/${problem.code.toLowerCase().replace(/^err_/, '').replace(/_/g, '-')}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(problem.issues ? { issues: problem.issues } : {}),
  }
  return c.body(JSON.stringify(body), problem.status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers })
}

/**
 * The database refused the work or could not be reached — read-only, full, locked by another
 * process, out of connections, shutting down, unreachable. The request may succeed later, so it
 * is a 503 with Retry-After, never a 500 (issue 5, reliability: fail closed and recover without
 * a restart). Recognised by the drivers' stable codes: SQLite result codes (better-sqlite3's
 * `code`), PostgreSQL SQLSTATEs (classes 08, 53, 57P, 25006 read-only, 28 login refused, 40001 /
 * 40P01 retryable), socket errors, and node-postgres's own fixed connection messages, which carry
 * no code. The cause chain is walked: the vault wraps some driver errors in a VaultError.
 */
export function isStorageUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && STORAGE_CODES.test(code)) return true
    if (typeof code !== 'string' && PG_CONNECTION_MESSAGES.test(e.message)) return true
  }
  return false
}

const STORAGE_CODES = /^(SQLITE_(READONLY|FULL|BUSY|LOCKED|IOERR|CANTOPEN|NOMEM|PROTOCOL)\w*|08\w{3}|53\w{3}|57P0[1-4]|25006|28000|28P01|40001|40P01|3D000|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND)$/
const PG_CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end)/

export const STORAGE_UNAVAILABLE: Problem = { status: 503, code: 'ERR_STORAGE_UNAVAILABLE', title: 'The database is unavailable; try again later' }

/**
 * The answer to an error nothing else handled: a vault error through the table above, a storage
 * fault as 503 with Retry-After, anything else one opaque 500 — never a stack, SQL or value.
 */
export function errorResponse(c: Context, err: unknown): Response {
  // RFC 6585 §4: too many requests, and when to try again (RFC 9110 §10.2.3).
  if (err instanceof RateLimitedError) {
    return problemResponse(c, { status: 429, code: err.code, title: err.message }, { 'retry-after': String(err.retryAfterSeconds) })
  }
  if (isVaultError(err)) {
    const problem = problemFromVaultError(err)
    // A vault 500 caused by the database being away is a 503 like any other storage fault.
    if (problem.status !== 500 || !isStorageUnavailable(err)) {
      // ERR_INTEGRITY and the like: stored data or the code is wrong — the operator must hear of it.
      if (problem.status === 500) reportUnexpected(c, err)
      const retryAfter = RETRY_AFTER_SECONDS[err.code] ?? (problem.status === 503 ? 5 : undefined)
      return problemResponse(c, problem, retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {})
    }
  }
  if (isStorageUnavailable(err)) return problemResponse(c, STORAGE_UNAVAILABLE, { 'retry-after': '5' })
  reportUnexpected(c, err)
  return problemResponse(c, { status: 500, code: 'ERR_INTERNAL', title: 'Internal error' })
}

/** Where createApp keeps its `onUnexpectedError` hook for the request (a context variable every sub-app sees). */
export const UNEXPECTED_ERROR_HOOK = 'custos.onUnexpectedError'

/**
 * Tells the server's operator about an error that became an opaque 500 (AppDeps.onUnexpectedError):
 * the client learns nothing, the log learns what broke. Never throws.
 */
export function reportUnexpected(c: Context, err: unknown): void {
  const hook: unknown = c.get(UNEXPECTED_ERROR_HOOK)
  if (typeof hook !== 'function') return
  try {
    hook(err)
  } catch {
    // A failing logger must not turn an answered request into an unanswered one.
  }
}

export function isVaultError(err: unknown): err is VaultError {
  return err instanceof VaultError
}
