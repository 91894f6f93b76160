import { type Context, Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { html } from 'hono/html'
import { z } from 'zod'
import { VaultError } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { htmlPage } from '../html-page.js'
import { apiProblem, problemResponse, sealedResponse } from '../problem.js'
import {
  IDLE_TIMEOUT_SECONDS,
  type OwnerSession,
  SESSION_COOKIE,
  type StartSessionOptions,
} from '../store/session-store.js'

/**
 * Owner sessions over HTTP (SECURITY.md promise 24). `POST /owner/session` checks the passphrase
 * with `vault.verifyOwner` (throttled and audited by the vault) and sets the session id in an
 * `HttpOnly; Secure; SameSite=Strict` cookie; `DELETE /owner/session` ends it. The rows — the
 * keyed hashes, the idle timeout and lifetime, the CSRF token, the MAC — are the session store's
 * (store/session-store.ts); this file reads and writes the cookie. While sealed no session can be
 * started or checked — the owner is signed out and asked to unlock (the API guard answers 503
 * before it gets here).
 */
/** Where a sign-in form may send the browser back to: only pages of this API, never elsewhere. */
const RETURN_TO = /^\/oauth\/authorize\/pending\/[A-Za-z0-9_-]{43}$/
const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' } as const

/** The owner's live session of this request, touched (idle timer restarted); undefined if none. */
export function currentOwnerSession(
  app: AppContext,
  c: Context,
): Promise<OwnerSession | undefined> {
  return app.stores.sessions.find(getCookie(c, SESSION_COOKIE))
}

/** True when `token` is this session's CSRF token (compared as keyed hashes, in constant time). */
export function csrfTokenValid(app: AppContext, session: OwnerSession, token: unknown): boolean {
  return app.stores.sessions.csrfValid(session, token)
}

/**
 * Starts an owner session on this response — only after the caller has verified the owner
 * (passphrase, recovery key, or the vault was just created). A fresh id every time (no session
 * fixation); a session already in the cookie ends. Returns the session's CSRF token.
 */
export async function startOwnerSession(
  app: AppContext,
  c: Context,
  options: StartSessionOptions = {},
): Promise<string> {
  const { id, csrfToken } = await app.stores.sessions.start(getCookie(c, SESSION_COOKIE), options)
  setCookie(c, SESSION_COOKIE, id, COOKIE_OPTIONS)
  c.header('cache-control', 'no-store')
  return csrfToken
}

/** Ends one session and clears its cookie. */
export async function endOwnerSession(
  app: AppContext,
  c: Context,
  session: OwnerSession,
): Promise<void> {
  await app.stores.sessions.end(session)
  deleteCookie(c, SESSION_COOKIE, COOKIE_OPTIONS)
}

/** The sign-in body (JSON from the owner API, a form from the consent page). */
export const SignIn = z.object({
  passphrase: z.string().min(1).max(1024),
  return_to: z.string().max(200).optional(),
})

export function ownerSessionRoutes(app: AppContext): Hono {
  const routes = new Hono()

  routes.post('/', async (c) => {
    // Sessions are keyed with the unsealed vault's keys: nothing to sign in to while sealed (and
    // no reason to run the KDF on a guess).
    if ((await app.vault.status()).state !== 'unsealed') return sealedResponse(c)
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    const fromForm = type === 'application/x-www-form-urlencoded'
    let body: unknown
    if (fromForm) body = Object.fromEntries(new URLSearchParams(await c.req.text()))
    else if (type === 'application/json') body = await c.req.json().catch(() => undefined)
    else return problemResponse(c, apiProblem('ERR_UNSUPPORTED_MEDIA_TYPE', 'Send a form or JSON'))
    // A form is posted by the consent page only: another site posting it from the owner's browser
    // would spend the unlock throttle on guesses (SECURITY.md 8) or sign the browser in unasked.
    // The consent decision's rule (oauth/authorize.ts), checked before the passphrase is read.
    if (fromForm) {
      const origin = c.req.header('origin')
      const site = c.req.header('sec-fetch-site')
      if (
        (origin !== undefined && origin !== new URL(app.config.issuer).origin) ||
        (site !== undefined && site !== 'same-origin' && site !== 'none')
      ) {
        return htmlPage(
          c,
          403,
          'Sign-in refused',
          html`<h1>Sign-in refused</h1><p class="error">This sign-in did not come from the consent page. Nothing was checked.</p>`,
        )
      }
    }
    const parsed = SignIn.safeParse(body)
    if (!parsed.success)
      return problemResponse(c, apiProblem('ERR_VALIDATION', 'A passphrase is required'))
    const returnTo =
      parsed.data.return_to !== undefined && RETURN_TO.test(parsed.data.return_to)
        ? parsed.data.return_to
        : undefined

    try {
      // The form is the consent page's (a browser); JSON is the owner API's.
      await app.vault.verifyOwner(parsed.data.passphrase, { origin: fromForm ? 'browser' : 'api' })
    } catch (err) {
      if (
        !(err instanceof VaultError) ||
        !fromForm ||
        (err.code !== 'ERR_UNLOCK_FAILED' && err.code !== 'ERR_UNLOCK_THROTTLED')
      )
        throw err
      const throttled = err.code === 'ERR_UNLOCK_THROTTLED'
      return htmlPage(
        c,
        throttled ? 429 : 401,
        'Sign-in failed',
        html`<h1>Sign-in failed</h1><p class="error">${throttled ? 'Too many attempts. Wait a while, then try again.' : 'That passphrase was not accepted.'}</p>${returnTo ? html`<p><a href="${returnTo}">Back to the request</a></p>` : ''}`,
      )
    }

    const csrfToken = await startOwnerSession(app, c)
    if (fromForm) return c.redirect(returnTo ?? '/', 303)
    return c.json({ csrf_token: csrfToken, idle_timeout_seconds: IDLE_TIMEOUT_SECONDS }, 201)
  })

  routes.delete('/', async (c) => {
    const session = await currentOwnerSession(app, c)
    if (!session) return problemResponse(c, apiProblem('ERR_NO_SESSION'))
    if (!csrfTokenValid(app, session, c.req.header('x-csrf-token')))
      return problemResponse(c, apiProblem('ERR_CSRF'))
    await endOwnerSession(app, c, session)
    return c.body(null, 204)
  })

  return routes
}
