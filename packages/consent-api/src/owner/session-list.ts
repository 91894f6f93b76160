import type { AppContext } from '../app-context.js'
import { authentic } from '../db/stored-rows.js'
import { IDLE_TIMEOUT_SECONDS, type OwnerSession } from './session.js'

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

const handleOf = (app: AppContext, idHash: string) => app.vault.hashSecret(`session-handle:${idHash}`).slice(0, 32)

/** The live sessions (authentic, not idle), most recently active first. */
async function liveRows(app: AppContext) {
  const idleSince = new Date(app.now().getTime() - IDLE_TIMEOUT_SECONDS * 1000).toISOString()
  const rows = await app.db.selectFrom('owner_sessions').selectAll().where('last_seen_at', '>', idleSince).orderBy('last_seen_at', 'desc').execute()
  // An edited row is not listed: it signs nobody in (session.ts deletes it at its next use).
  return rows.filter((row) => authentic(app, 'owner_sessions', row))
}

/** The owner's signed-in browsers, this one marked. */
export async function listOwnerSessions(app: AppContext, current: OwnerSession): Promise<OwnerSessionInfo[]> {
  return (await liveRows(app)).map((row) => ({ handle: handleOf(app, row.id_hash), createdAt: row.created_at, lastSeenAt: row.last_seen_at, current: row.id_hash === current.idHash }))
}

/** Signs out the session named by `handle` (never the current one: that is the Sign out button). True if one ended. */
export async function endOwnerSessionByHandle(app: AppContext, current: OwnerSession, handle: string): Promise<boolean> {
  const row = (await liveRows(app)).find((r) => r.id_hash !== current.idHash && handleOf(app, r.id_hash) === handle)
  if (!row) return false
  await app.db.deleteFrom('owner_sessions').where('id_hash', '=', row.id_hash).execute()
  return true
}

/** Signs out every browser but this one. */
export async function endOtherOwnerSessions(app: AppContext, current: OwnerSession): Promise<void> {
  await app.db.deleteFrom('owner_sessions').where('id_hash', '!=', current.idHash).execute()
}
