import { timingSafeEqual } from 'node:crypto'
import { RECOVERY_WINDOW_SECONDS } from '@custos/vault'
import type { StoreContext } from '../app-context.js'
import { type UnmacedRow, authentic, rowMac } from '../db/stored-rows.js'
import { newSecret } from './new-secret.js'

/**
 * Owner sessions (SECURITY.md promise 24), the rows of `owner_sessions`: a session id is 32
 * random bytes carried in the `custos_session` cookie (owner/session.ts sets and clears it); only
 * its keyed hash is stored. A session dies after 15 idle minutes (and at most 12 hours after
 * sign-in).
 *
 * CSRF: a synchronizer token bound to the session — `hashSecret('csrf:' + session id)`, so the
 * server can render it into forms again without keeping it in clear; its hash is stored with the
 * session and every state change must present it.
 *
 * Each session row carries the vault's MAC over its hashes and times (db/stored-rows.ts), renewed
 * at every touch: a row whose last_seen_at was pushed forward (to beat the idle timeout) or whose
 * csrf_hash was swapped is deleted and the owner signed out. Both the keyed hashes and the MAC
 * need the unsealed vault: while sealed no session can be started or checked.
 */
export const SESSION_COOKIE = 'custos_session'
export const IDLE_TIMEOUT_SECONDS = 15 * 60
const MAX_LIFETIME_SECONDS = 12 * 3600
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

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

/** One signed-in browser as the owner sees it in Settings (issue 10). */
export interface OwnerSessionInfo {
  /**
   * A handle naming the session in a "sign out" form: a keyed hash of the stored id hash, so the
   * page never shows what is stored (nor anything a cookie could be made from).
   */
  readonly handle: string
  readonly createdAt: string
  readonly lastSeenAt: string
  /** The session of the browser asking. */
  readonly current: boolean
}

/**
 * @example
 * const { id, csrfToken } = await sessions.start(undefined) // id goes into the cookie
 * const session = await sessions.find(id) // touched; undefined once idle, edited or sealed
 */
export class SessionStore {
  readonly #app: StoreContext

  constructor(app: StoreContext) {
    this.#app = app
  }

  /** The live session of the id a cookie carried, touched (idle timer restarted); undefined if none. */
  async find(id: string | undefined): Promise<OwnerSession | undefined> {
    const app = this.#app
    if (!app.vault.isUnsealed()) return undefined
    if (id === undefined || !SESSION_ID.test(id)) return undefined
    const idHash = app.vault.hashSecret(id)
    const row = await app.db
      .selectFrom('owner_sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst()
    if (!row) return undefined
    const now = app.now()
    const idleSince = new Date(now.getTime() - IDLE_TIMEOUT_SECONDS * 1000).toISOString()
    const bornAfter = new Date(now.getTime() - MAX_LIFETIME_SECONDS * 1000).toISOString()
    if (
      !authentic(app, 'owner_sessions', row) ||
      row.last_seen_at <= idleSince ||
      row.created_at <= bornAfter
    ) {
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
    const recovery =
      row.recovery_until !== null && row.recovery_until > touched.last_seen_at
        ? { recoveryUntil: row.recovery_until }
        : {}
    return { idHash, csrfHash: row.csrf_hash, csrfToken: this.#csrfTokenFor(id), ...recovery }
  }

  /** True when `token` is this session's CSRF token (compared as keyed hashes, in constant time). */
  csrfValid(session: OwnerSession, token: unknown): boolean {
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) return false
    const given = Buffer.from(this.#app.vault.hashSecret(token), 'hex')
    const stored = Buffer.from(session.csrfHash, 'hex')
    return given.length === stored.length && timingSafeEqual(given, stored)
  }

  /**
   * Starts a session — only after the caller has verified the owner (passphrase, recovery key, or
   * the vault was just created). A fresh id every time (no session fixation); the session of
   * `previousId` (the cookie the browser sent) ends. Returns the new id and its CSRF token.
   */
  async start(
    previousId: string | undefined,
    options: StartSessionOptions = {},
  ): Promise<{ readonly id: string; readonly csrfToken: string }> {
    const app = this.#app
    if (previousId !== undefined && SESSION_ID.test(previousId))
      await app.db
        .deleteFrom('owner_sessions')
        .where('id_hash', '=', app.vault.hashSecret(previousId))
        .execute()
    const now = app.now()
    await app.db
      .deleteFrom('owner_sessions')
      .where(
        'last_seen_at',
        '<',
        new Date(now.getTime() - IDLE_TIMEOUT_SECONDS * 1000).toISOString(),
      )
      .execute()
    const id = newSecret()
    const csrfToken = this.#csrfTokenFor(id)
    // The recovery window lives in the MAC'd row, so it cannot be opened or stretched by editing the
    // database, and only this session (not another browser signed in with the passphrase) has it.
    const recoveryUntil =
      options.recoveryKey === true
        ? new Date(now.getTime() + RECOVERY_WINDOW_SECONDS * 1000).toISOString()
        : null
    const row: UnmacedRow<'owner_sessions'> = {
      id_hash: app.vault.hashSecret(id),
      csrf_hash: app.vault.hashSecret(csrfToken),
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      recovery_until: recoveryUntil,
    }
    await app.db
      .insertInto('owner_sessions')
      .values({ ...row, row_mac: rowMac(app, 'owner_sessions', row) })
      .execute()
    return { id, csrfToken }
  }

  /** Ends one session. */
  async end(session: OwnerSession): Promise<void> {
    await this.#app.db.deleteFrom('owner_sessions').where('id_hash', '=', session.idHash).execute()
  }

  /** The owner's signed-in browsers (live: authentic, not idle), most recently active first, this one marked. */
  async list(current: OwnerSession): Promise<OwnerSessionInfo[]> {
    return (await this.#liveRows()).map((row) => ({
      handle: this.#handleOf(row.id_hash),
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      current: row.id_hash === current.idHash,
    }))
  }

  /** Signs out the session named by `handle` (never the current one: that is the Sign out button). True if one ended. */
  async endByHandle(current: OwnerSession, handle: string): Promise<boolean> {
    const row = (await this.#liveRows()).find(
      (r) => r.id_hash !== current.idHash && this.#handleOf(r.id_hash) === handle,
    )
    if (!row) return false
    await this.#app.db.deleteFrom('owner_sessions').where('id_hash', '=', row.id_hash).execute()
    return true
  }

  /** Signs out every browser but this one. */
  async endOthers(current: OwnerSession): Promise<void> {
    await this.#app.db.deleteFrom('owner_sessions').where('id_hash', '!=', current.idHash).execute()
  }

  /** Signs out every browser (after a lock, a restore or a passphrase change). */
  async endAll(): Promise<void> {
    await this.#app.db.deleteFrom('owner_sessions').execute()
  }

  #csrfTokenFor(sessionId: string): string {
    return this.#app.vault.hashSecret(`csrf:${sessionId}`)
  }

  #handleOf(idHash: string): string {
    return this.#app.vault.hashSecret(`session-handle:${idHash}`).slice(0, 32)
  }

  async #liveRows() {
    const app = this.#app
    const idleSince = new Date(app.now().getTime() - IDLE_TIMEOUT_SECONDS * 1000).toISOString()
    const rows = await app.db
      .selectFrom('owner_sessions')
      .selectAll()
      .where('last_seen_at', '>', idleSince)
      .orderBy('last_seen_at', 'desc')
      .execute()
    // An edited row is not listed: it signs nobody in (find deletes it at its next use).
    return rows.filter((row) => authentic(app, 'owner_sessions', row))
  }
}
