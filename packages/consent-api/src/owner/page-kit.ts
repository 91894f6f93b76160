import type { Context, Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import type { OwnerSession, OwnerSessionInfo, StartSessionOptions } from '../store/session-store.js'
import type { OwnerActions } from './owner-actions.js'
import {
  csrfTokenValid,
  currentOwnerSession,
  endOwnerSession,
  startOwnerSession,
} from './session.js'

/**
 * What the owner's web pages (`@custos/web`) get from the API they are served beside: the owner
 * actions — the same service, and so the same steps, as the owner API's — the owner sessions and
 * CSRF tokens (one sign-in, whichever door the owner uses), the issuer and the clock. No vault:
 * pages read and write through the actions. The pages render HTML; everything about sessions
 * stays here (SECURITY.md promise 24).
 */
export interface OwnerPageKit {
  /** Every owner use case (owner-actions.ts), reads under `actions.read`. */
  readonly actions: OwnerActions
  /** The server's public base URL (the OAuth issuer). */
  readonly issuer: string
  readonly now: () => Date
  /** The signed-in owner's live session (idle timer restarted), or undefined. */
  session(c: Context): Promise<OwnerSession | undefined>
  /** True when `token` is the session's CSRF token (constant-time). */
  csrfValid(session: OwnerSession, token: unknown): boolean
  /**
   * Starts a session — call only once the owner is verified — and ends the one the browser's
   * cookie named. Returns its CSRF token. With `{ recoveryKey: true }` (the owner proved the
   * recovery key) the session may choose a new passphrase without the old one for a while
   * (`session.recoveryUntil`, `actions.resetPassphrase`).
   */
  startSession(c: Context, options?: StartSessionOptions): Promise<string>
  /** Ends this browser's session and clears its cookie. */
  endSession(c: Context, session: OwnerSession): Promise<void>
  /** The signed-in browsers (Settings): list them, sign one out by its handle, or all but this one. */
  readonly sessions: {
    list(current: OwnerSession): Promise<OwnerSessionInfo[]>
    end(current: OwnerSession, handle: string): Promise<boolean>
    endOthers(current: OwnerSession): Promise<void>
  }
}

/** Mounted at `/` after every API route: gets the kit, returns the pages' router. */
export type OwnerPages = (kit: OwnerPageKit) => Hono

export function ownerPageKit(app: AppContext, actions: OwnerActions): OwnerPageKit {
  const sessions = app.stores.sessions
  return Object.freeze({
    actions,
    issuer: app.config.issuer,
    now: app.now,
    session: (c: Context) => currentOwnerSession(app, c),
    csrfValid: (session: OwnerSession, token: unknown) => csrfTokenValid(app, session, token),
    startSession: (c: Context, options?: StartSessionOptions) => startOwnerSession(app, c, options),
    endSession: (c: Context, session: OwnerSession) => endOwnerSession(app, c, session),
    sessions: Object.freeze({
      list: (current: OwnerSession) => sessions.list(current),
      end: (current: OwnerSession, handle: string) => sessions.endByHandle(current, handle),
      endOthers: (current: OwnerSession) => sessions.endOthers(current),
    }),
  })
}
