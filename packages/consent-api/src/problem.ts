import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { z } from 'zod'
import { VaultError, type ValidationIssue, issuesFromZod } from '@custos/vault'
import { type ProblemCode, problemRow, problemType } from './api-problems.js'
import { RateLimitedError } from './limits/rate-limiter.js'

/**
 * RFC 9457 problem details for everything that is not an OAuth endpoint, rendered from the one
 * table of `api-problems.ts`. Messages are the vault's (which never carry values) or fixed text —
 * input is never echoed back and nothing internal (stack, SQL) ever leaves (SECURITY.md 23).
 */
export interface Problem {
  readonly status: ContentfulStatusCode
  readonly code: ProblemCode
  readonly title: string
  readonly detail?: string
  readonly issues?: readonly ValidationIssue[]
}

/**
 * The problem of `code` as the table says, with the raising site's own fixed title and issues when
 * it has more precise ones.
 *
 * @example
 * throw new RequestProblem(apiProblem('ERR_KEYS_BUSY'))
 * return problemResponse(c, apiProblem('ERR_VALIDATION', 'Invalid query', issues))
 */
export function apiProblem(
  code: ProblemCode,
  title?: string,
  issues?: readonly ValidationIssue[],
): Problem {
  const row = problemRow(code)
  return { status: row.status, code, title: title ?? row.title, ...(issues ? { issues } : {}) }
}

/** A vault error through the table: its own message and issues, or only the row's title when the row is opaque. */
export function problemFromVaultError(err: VaultError): Problem {
  const row = problemRow(err.code)
  // Integrity or platform failures: say so without any detail.
  if (row.opaque) return { status: row.status, code: err.code, title: row.title }
  return apiProblem(err.code, err.message, err.issues.length > 0 ? err.issues : undefined)
}

/** At most this many issues in one answer: enough to fix a request, too few to make a big one. */
const MAX_ISSUES = 50

/**
 * The one way a zod failure becomes problem issues: the vault's translator (`issuesFromZod`:
 * fixed words chosen by the issue's kind, paths naming only schema properties and indices), so no
 * value, key or parameter the request carried is ever echoed back (SECURITY.md 23).
 *
 * @example
 * const parsed = Query.safeParse(c.req.query())
 * if (!parsed.success) return problemResponse(c, apiProblem('ERR_VALIDATION', 'Invalid query', zodIssues(parsed.error)))
 */
export function zodIssues(
  error: z.ZodError,
  options: { readonly prefix?: string; readonly max?: number } = {},
): ValidationIssue[] {
  return issuesFromZod(error.issues.slice(0, options.max ?? MAX_ISSUES), options.prefix)
}

export function problemResponse(
  c: Context,
  problem: Problem,
  headers: Record<string, string> = {},
): Response {
  const body = {
    type: problemType(problem.code),
    title: problem.title,
    status: problem.status,
    code: problem.code,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(problem.issues ? { issues: problem.issues } : {}),
  }
  return c.body(JSON.stringify(body), problem.status, {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
    ...headers,
  })
}

/**
 * The answer while the vault is sealed (SECURITY.md promise 6): 503 — the owner, not time, unseals
 * it, so a minute between retries rather than the table's few seconds.
 */
export function sealedResponse(c: Context): Response {
  return problemResponse(c, apiProblem('ERR_VAULT_LOCKED', 'The vault is sealed'), {
    'retry-after': '60',
  })
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

const STORAGE_CODES =
  /^(SQLITE_(READONLY|FULL|BUSY|LOCKED|IOERR|CANTOPEN|NOMEM|PROTOCOL)\w*|08\w{3}|53\w{3}|57P0[1-4]|25006|28000|28P01|40001|40P01|3D000|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND)$/
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end)/

/** What an error means at the HTTP edge: its problem, the headers that go with it, whether the operator must hear of it. */
export interface ErrorAnswer {
  readonly problem: Problem
  readonly headers: Readonly<Record<string, string>>
  /** An opaque 500: the client learns nothing, so the operator must (AppDeps.onUnexpectedError). */
  readonly unexpected: boolean
}

const retryAfter = (seconds: number | undefined): Record<string, string> =>
  seconds === undefined ? {} : { 'retry-after': String(seconds) }

/**
 * Classifies an error nothing else handled: a rate limit as 429 with its Retry-After (RFC 6585
 * §4), a vault error through the table, a storage fault as 503 with Retry-After, anything else one
 * opaque 500 — never a stack, SQL or value. The API's `onError` and the web pages' error page both
 * answer from this, so both doors answer alike.
 */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof RateLimitedError)
    return {
      problem: apiProblem('ERR_RATE_LIMITED', err.message),
      headers: retryAfter(err.retryAfterSeconds),
      unexpected: false,
    }
  if (isVaultError(err)) {
    const problem = problemFromVaultError(err)
    // A vault 500 caused by the database being away is a 503 like any other storage fault.
    if (problem.status !== 500 || !isStorageUnavailable(err)) {
      // ERR_INTEGRITY and the like: stored data or the code is wrong — the operator must hear of it.
      return {
        problem,
        headers: retryAfter(problemRow(err.code).retryAfterSeconds),
        unexpected: problem.status === 500,
      }
    }
  }
  if (isStorageUnavailable(err)) return answerOf('ERR_STORAGE_UNAVAILABLE', false)
  return answerOf('ERR_INTERNAL', true)
}

function answerOf(code: ProblemCode, unexpected: boolean): ErrorAnswer {
  return {
    problem: apiProblem(code),
    headers: retryAfter(problemRow(code).retryAfterSeconds),
    unexpected,
  }
}

/** The problem+json answer to an error nothing else handled ({@link errorAnswer}); reports opaque 500s. */
export function errorResponse(c: Context, err: unknown): Response {
  const answer = errorAnswer(err)
  if (answer.unexpected) reportUnexpected(c, err)
  return problemResponse(c, answer.problem, answer.headers)
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
