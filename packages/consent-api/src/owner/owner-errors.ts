import type { Context } from 'hono'
import { UnlockThrottledError } from '@custos/vault'
import { type Problem, errorResponse, problemFromVaultError, problemResponse } from '../problem.js'

/**
 * A request the owner API refuses before it reaches the vault (wrong media type, malformed
 * JSON, a zod issue): carries its RFC 9457 problem. Thrown by the input readers so handlers
 * stay straight-line; {@link ownerErrorHandler} answers it.
 */
export class RequestProblem extends Error {
  readonly problem: Problem
  constructor(problem: Problem) {
    super(problem.title)
    this.name = 'RequestProblem'
    this.problem = problem
  }
}

/** Seconds until a throttled unlock may be tried again (RFC 9110 §10.2.3 `Retry-After`), at least 1. */
export function retryAfterSeconds(err: UnlockThrottledError, now: Date): string {
  return String(Math.max(1, Math.ceil((err.retryAt.getTime() - now.getTime()) / 1000)))
}

/**
 * The owner API's `onError`: input problems as they are, vault errors through the one table of
 * `api-problems.ts` (a throttled unlock with `Retry-After` from its `retryAt`), storage faults 503,
 * anything else one opaque 500 — never a stack, SQL or value (SECURITY.md 23).
 */
export function ownerErrorHandler(now: () => Date) {
  return function ownerError(err: Error, c: Context): Response {
    if (err instanceof RequestProblem) return problemResponse(c, err.problem)
    if (err instanceof UnlockThrottledError)
      return problemResponse(c, problemFromVaultError(err), {
        'retry-after': retryAfterSeconds(err, now()),
      })
    return errorResponse(c, err)
  }
}
