import { timingSafeEqual } from 'node:crypto'
import { type Context, Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { html } from 'hono/html'
import { z } from 'zod'
import { RECOVERY_WINDOW_SECONDS, VaultError } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { type UnmacedRow, authentic, rowMac } from '../db/stored-rows.js'
import { htmlPage } from '../html-page.js'
import { newSecret } from '../oauth/tokens.js'
import { apiProblem, problemResponse, sealedResponse } from '../problem.js'

/**
 * Owner sessions (SECURITY.md promise 24). `POST /owner/session` checks the passphrase with
 * `vault.verifyOwner` (throttled and audited by the vault) and sets a random session id in an
 * `HttpOnly; Secure; SameSite=Strict` cookie; only its keyed hash is stored. A session dies
 * after 15 idle minutes (and at most 12 hours after sign-in); `DELETE /owner/session` ends it.
 *
 * CSRF: a synchronizer token bound to the session — `hashSecret('csrf:' + session id)`, so the
 * server can render it into forms again without keeping it in clear; its hash is stored with the
 * session and every state change must present it.
 *
 * Each session row carries the vault's MAC over its hashes and times (db/stored-rows.ts), renewed
 * at every touch: a row whose last_seen_at was pushed forward (to beat the idle timeout) or whose
 * csrf_hash was swapped is deleted and the owner signed out. Both the keyed hashes and the MAC
 * need the unsealed vault: while sealed no session can be started or checked — the owner is
 * signed out and asked to unlock (the API guard answers 503 before it gets here).
 */
export const SESSION_COOKIE = 'custos_session'
export const IDLE_TIMEOUT_SECONDS = 15 * 60
const MAX_LIFETIME_SECONDS = 12 * 3600
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/
/** Where a sign-in form may send the browser back to: only pages of this API, never elsewhere. */
const RETURN_TO = /^\/oauth\/authorize\/pending\/[A-Za-z0-9_-]{43}$/

export interface OwnerSession {
  readonly idHash: string
  readonly csrfHash: string
  /** The token to render into forms and send back in `csrf_token` / `X-CSRF-Token`. */
  readonly csrfToken: string
  /**
   * Set while this session may choose a new passphrase without the old one (issue 10): it was
   * started by proving the recovery key, at most RECOVERY_WINDOW_SECONDS ago. An ISO time.
   */
  readonly recoveryUntil?: string
}

/** How a session was started: `recoveryKey` when the owner proved the recovery key (not the passphrase). */
export interface StartSessionOptions {
  readonly recoveryKey?: boolean
}

const csrfTokenFor = (app: AppContext, sessionId: string) => app.vault.hashSecret(`csrf:${sessionId}`)

/** The owner's live session of this request, touched (idle timer restarted); undefined if none. */
export async function currentOwnerSession(app: AppContext, c: Context): Promise<OwnerSession | undefined> {
  if (!app.vault.isUnsealed()) return undefined
  const id = getCookie(c, SESSION_COOKIE)
  if (id === undefined || !SESSION_ID.test(id)) return undefined
  const idHash = app.vault.hashSecret(id)
  const row = await app.db.selectFrom('owner_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst()
  if (!row) return undefined
  const now = app.now()
  const idleSince = new Date(now.getTime() - IDLE_TIMEOUT_SECONDS * 1000).toISOString()
  const bornAfter = new Date(now.getTime() - MAX_LIFETIME_SECONDS * 1000).toISOString()
  if (!authentic(app, 'owner_sessions', row) || row.last_seen_at <= idleSince || row.created_at <= bornAfter) {
    await app.db.deleteFrom('owner_sessions').where('id_hash', '=', idHash).execute()
    return undefined
  }
  const { row_mac: checkedMac, ...values } = row
  const touched = { ...values, last_seen_at: now.toISOString() }
  // Guarded by the checked MAC: a concurrent touch of the same session simply wins.
  await app.db
    .updateTable('owner_sessions')
    .set({ last_seen_at: touched.last_seen_at, row_mac: rowMac(app, 'owner_sessions', touched) })
    .where('id_hash', '=', idHash)
    .where('row_mac', '=', checkedMac as Uint8Array)
    .execute()
  const recovery = row.recovery_until !== null && row.recovery_until > touched.last_seen_at ? { recoveryUntil: row.recovery_until } : {}
  return { idHash, csrfHash: row.csrf_hash, csrfToken: csrfTokenFor(app, id), ...recovery }
}

/** True when `token` is this session's CSRF token (compared as keyed hashes, in constant time). */
export function csrfTokenValid(app: AppContext, session: OwnerSession, token: unknown): boolean {
  if (typeof token !== 'string' || token.length === 0 || token.length > 256) return false
  const given = Buffer.from(app.vault.hashSecret(token), 'hex')
  const stored = Buffer.from(session.csrfHash, 'hex')
  return given.length === stored.length && timingSafeEqual(given, stored)
}

/**
 * Starts an owner session on this response — only after the caller has verified the owner
 * (passphrase, recovery key, or the vault was just created). A fresh id every time (no session
 * fixation); a session already in the cookie ends. Returns the session's CSRF token.
 */
export async function startOwnerSession(app: AppContext, c: Context, options: StartSessionOptions = {}): Promise<string> {
  const previous = getCookie(c, SESSION_COOKIE)
  if (previous !== undefined && SESSION_ID.test(previous)) await app.db.deleteFrom('owner_sessions').where('id_hash', '=', app.vault.hashSecret(previous)).execute()
  const now = app.now()
  await app.db.deleteFrom('owner_sessions').where('last_seen_at', '<', new Date(now.getTime() - IDLE_TIMEOUT_SECONDS * 1000).toISOString()).execute()
  const id = newSecret()
  const csrfToken = csrfTokenFor(app, id)
  // The recovery window lives in the MAC'd row, so it cannot be opened or stretched by editing the
  // database, and only this session (not another browser signed in with the passphrase) has it.
  const recoveryUntil = options.recoveryKey === true ? new Date(now.getTime() + RECOVERY_WINDOW_SECONDS * 1000).toISOString() : null
  const row: UnmacedRow<'owner_sessions'> = { id_hash: app.vault.hashSecret(id), csrf_hash: app.vault.hashSecret(csrfToken), created_at: now.toISOString(), last_seen_at: now.toISOString(), recovery_until: recoveryUntil }
  await app.db
    .insertInto('owner_sessions')
    .values({ ...row, row_mac: rowMac(app, 'owner_sessions', row) })
    .execute()
  setCookie(c, SESSION_COOKIE, id, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })
  c.header('cache-control', 'no-store')
  return csrfToken
}

/** Ends one session and clears its cookie. */
export async function endOwnerSession(app: AppContext, c: Context, session: OwnerSession): Promise<void> {
  await app.db.deleteFrom('owner_sessions').where('id_hash', '=', session.idHash).execute()
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })
}

/** The sign-in body (JSON from the owner API, a form from the consent page). */
export const SignIn = z.object({ passphrase: z.string().min(1).max(1024), return_to: z.string().max(200).optional() })

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
      if ((origin !== undefined && origin !== new URL(app.config.issuer).origin) || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
        return htmlPage(c, 403, 'Sign-in refused', html`<h1>Sign-in refused</h1><p class="error">This sign-in did not come from the consent page. Nothing was checked.</p>`)
      }
    }
    const parsed = SignIn.safeParse(body)
    if (!parsed.success) return problemResponse(c, apiProblem('ERR_VALIDATION', 'A passphrase is required'))
    const returnTo = parsed.data.return_to !== undefined && RETURN_TO.test(parsed.data.return_to) ? parsed.data.return_to : undefined

    try {
      // The form is the consent page's (a browser); JSON is the owner API's.
      await app.vault.verifyOwner(parsed.data.passphrase, { origin: fromForm ? 'browser' : 'api' })
    } catch (err) {
      if (!(err instanceof VaultError) || !fromForm || (err.code !== 'ERR_UNLOCK_FAILED' && err.code !== 'ERR_UNLOCK_THROTTLED')) throw err
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
    if (!csrfTokenValid(app, session, c.req.header('x-csrf-token'))) return problemResponse(c, apiProblem('ERR_CSRF'))
    await endOwnerSession(app, c, session)
    return c.body(null, 204)
  })

  return routes
}
