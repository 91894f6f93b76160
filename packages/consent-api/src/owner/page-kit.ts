import type { Context, Hono } from 'hono'
import type { Grant, ValidationIssue, Vault } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { RegistrationPolicy } from '../oauth/registration-policy.js'
import { grantReceipt, revokeGrant } from './grant-routes.js'
import type { CsvLayout } from './csv-columns.js'
import type { CsvImportOptions, ImportRow } from './purchase-import.js'
import { importRefusal, previewImport } from './purchase-import-service.js'
import type { RotationJob } from './rotation-job.js'
import { type OwnerSession, type StartSessionOptions, csrfTokenValid, currentOwnerSession, endOwnerSession, startOwnerSession } from './session.js'
import { type OwnerSessionInfo, endOtherOwnerSessions, endOwnerSessionByHandle, listOwnerSessions } from './session-list.js'
import { TimeZoneSetting } from './time-zone-setting.js'
import { endAllOwnerSessions } from './status-routes.js'

/**
 * What the owner's web pages (`@custos/web`) get from the API they are served beside: the vault,
 * and the same owner sessions, CSRF tokens and key job as the owner API — one sign-in, one
 * rotation at a time, whichever door the owner uses. The pages render HTML; everything about
 * sessions stays here (SECURITY.md promise 24).
 */
export interface OwnerPageKit {
  readonly vault: Vault
  /** The server's public base URL (the OAuth issuer). */
  readonly issuer: string
  readonly now: () => Date
  /** The rotation/restore job shared with the owner API. */
  readonly keyJob: RotationJob
  /** The signed-in owner's live session (idle timer restarted), or undefined. */
  session(c: Context): Promise<OwnerSession | undefined>
  /** True when `token` is the session's CSRF token (constant-time). */
  csrfValid(session: OwnerSession, token: unknown): boolean
  /**
   * Starts a session — call only once the owner is verified. Returns its CSRF token. With
   * `{ recoveryKey: true }` (the owner proved the recovery key) the session may choose a new
   * passphrase without the old one for a while (`session.recoveryUntil`, `vault.resetPassphrase`).
   */
  startSession(c: Context, options?: StartSessionOptions): Promise<string>
  endSession(c: Context, session: OwnerSession): Promise<void>
  /** Ends every owner session (after a lock, a restore or a passphrase change). */
  endAllSessions(): Promise<void>
  /** The signed-in browsers (Settings): list them, sign one out by its handle, or all but this one. */
  readonly sessions: {
    list(current: OwnerSession): Promise<OwnerSessionInfo[]>
    end(current: OwnerSession, handle: string): Promise<boolean>
    endOthers(current: OwnerSession): Promise<void>
  }
  /**
   * Forgets every piece of the API's own state — registered clients, pending requests, codes,
   * tokens, DPoP `jti`s, owner sessions, the registration mode and its tokens, rate counts — once the vault they belonged to is destroyed: a vault
   * created next must not inherit the old one's vendors or their tokens.
   */
  eraseApiState(): Promise<void>
  /**
   * Parses an import file into checked orders, writing nothing (as the owner API's preview): the
   * rows, each valid, with its issues or marked as a duplicate, or why the file as a whole is
   * unusable (with the CSV layout when the owner can fix it by mapping columns).
   */
  importRows(format: 'csv' | 'json', text: string, options?: CsvImportOptions): Promise<ImportPreview>
  /** Revokes a grant and every OAuth token issued under it, as the owner API's revoke does. */
  revokeGrant(grantId: string): Promise<Grant>
  /** The signed consent receipt (compact JWS, verifiable against `/.well-known/jwks.json`) of a grant's current revision. */
  consentReceipt(grantId: string): Promise<string>
  /** Who may register clients (RFC 7591 §3) and the initial access tokens: the owner API's `/owner/registration` service. */
  readonly registration: RegistrationSettings
  /** The owner's time zone for the pages' times (UTC until chosen in Settings). */
  readonly timeZone: Pick<TimeZoneSetting, 'choices' | 'valid' | 'get' | 'set'>
}

/** The owner's side of the registration policy (oauth/registration-policy.ts). */
export type RegistrationSettings = Pick<RegistrationPolicy, 'mode' | 'setMode' | 'tokens' | 'createToken' | 'revokeToken'>

export type ImportPreview =
  | { readonly ok: true; readonly rows: ImportRow[]; readonly layout?: CsvLayout }
  | { readonly ok: false; readonly title: string; readonly issues: readonly ValidationIssue[]; readonly layout?: CsvLayout }

/** Mounted at `/` after every API route: gets the kit, returns the pages' router. */
export type OwnerPages = (kit: OwnerPageKit) => Hono

export function ownerPageKit(app: AppContext, keyJob: RotationJob): OwnerPageKit {
  return {
    vault: app.vault,
    issuer: app.config.issuer,
    now: app.now,
    keyJob,
    session: (c) => currentOwnerSession(app, c),
    csrfValid: (session, token) => csrfTokenValid(app, session, token),
    startSession: (c, options) => startOwnerSession(app, c, options),
    endSession: (c, session) => endOwnerSession(app, c, session),
    endAllSessions: () => endAllOwnerSessions(app),
    sessions: {
      list: (current) => listOwnerSessions(app, current),
      end: (current, handle) => endOwnerSessionByHandle(app, current, handle),
      endOthers: (current) => endOtherOwnerSessions(app, current),
    },
    async eraseApiState() {
      // Children before the clients they name; one transaction, so a crash leaves all or nothing.
      await app.db.transaction().execute(async (trx) => {
        for (const table of ['oauth_tokens', 'oauth_codes', 'oauth_requests', 'dpop_jti', 'owner_sessions', 'oauth_clients', 'registration_tokens', 'api_settings', 'rate_events'] as const) await trx.deleteFrom(table).execute()
      })
    },
    registration: new RegistrationPolicy(app),
    timeZone: new TimeZoneSetting(app),
    revokeGrant: (grantId) => revokeGrant(app, grantId),
    consentReceipt: (grantId) => grantReceipt(app, grantId),
    async importRows(format, text, options) {
      try {
        const preview = await previewImport(app.vault, format === 'csv' ? { format, text, ...(options ? { options } : {}) } : { format, doc: JSON.parse(text) })
        return { ok: true, ...preview }
      } catch (err) {
        if (err instanceof SyntaxError) return { ok: false, title: 'The file is not valid JSON', issues: [] }
        const refusal = importRefusal(err)
        if (refusal) return { ok: false, ...refusal }
        throw err
      }
    },
  }
}
