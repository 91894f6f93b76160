import type { MiddlewareHandler } from 'hono'
import type { AppContext } from '../app-context.js'
import { apiProblem, problemResponse, sealedResponse } from '../problem.js'
import type { OwnerSession } from '../store/session-store.js'
import { csrfTokenValid, currentOwnerSession } from './session.js'

/** Hono environment of guarded owner routes: the live session is on `c.var.ownerSession`. */
export interface OwnerEnv {
  Variables: { ownerSession: OwnerSession }
}

/** Methods that change nothing (RFC 9110 §9.2.1) need no CSRF token; every other one does. */
const SAFE_METHODS = new Set(['GET', 'HEAD'])

/**
 * The gate in front of every owner route but status and unlock, checked in this order:
 * 1. the vault is unsealed, else 503 (SECURITY.md 6) — a session cannot even be checked while
 *    sealed, since its id is stored as a keyed hash;
 * 2. a live owner session (cookie, idle timeout), else 401;
 * 3. for every unsafe method, the session's synchronizer token in `X-CSRF-Token`, else 403 —
 *    the OWASP synchronizer-token pattern, behind `SameSite=Strict` (SECURITY.md 24).
 * Nothing of the request body is read before all three pass.
 *
 * @example
 * routes.use('*', ownerGuard(app))
 */
export function ownerGuard(app: AppContext): MiddlewareHandler<OwnerEnv> {
  return async function ownerGuard(c, next) {
    // In memory, no query (the vault's hot-path check).
    if (!app.vault.isUnsealed()) return sealedResponse(c)
    const session = await currentOwnerSession(app, c)
    if (!session) return problemResponse(c, apiProblem('ERR_NO_SESSION'))
    if (
      !SAFE_METHODS.has(c.req.method) &&
      !csrfTokenValid(app, session, c.req.header('x-csrf-token'))
    ) {
      return problemResponse(c, apiProblem('ERR_CSRF'))
    }
    c.set('ownerSession', session)
    await next()
  }
}

/** Owner data must never sit in a shared or browser cache (RFC 9111 §5.2.2.5). */
export const noStore: MiddlewareHandler = async function noStore(c, next) {
  await next()
  c.res.headers.set('cache-control', 'no-store')
}
