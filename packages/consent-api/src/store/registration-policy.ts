import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { StoreContext } from '../app-context.js'
import { readSetting, writeSetting } from '../db/api-settings.js'
import { newSecret } from './new-secret.js'

/**
 * Who may register a client (RFC 7591 §3), as the owner sets it:
 * - `open` (the default): anyone may register; the rate limits of limits/ still apply;
 * - `token`: only a request with a live initial access token — `Authorization: Bearer <token>`,
 *   RFC 7591 §3 with RFC 6750 §2.1 — that the owner created and handed to the vendor out of band.
 *
 * The mode is a row of `api_settings` and the tokens rows of `registration_tokens`, so a restart
 * keeps them and every server on the database obeys the same ones at once. Tokens are 32 random
 * bytes, shown to the owner once and stored only as `vault.hashSecret(token)`. One service for
 * the owner API, the owner's settings page and the registration endpoint, which admits a
 * request through {@link RegistrationPolicy.useToken} (oauth/registration-admission.ts reads the
 * header and answers RFC 6750).
 */
export const RegistrationMode = z.enum(['open', 'token'])
export type RegistrationMode = z.output<typeof RegistrationMode>

/** An initial access token as the owner sees it: never the token itself. */
export interface RegistrationTokenView {
  readonly id: string
  readonly label: string | null
  readonly createdAt: string
  readonly lastUsedAt: string | null
}

const TOKEN_ID = /^rtk_[A-Za-z0-9_-]{16}$/

export class RegistrationPolicy {
  readonly #app: StoreContext
  constructor(app: StoreContext) {
    this.#app = app
  }

  /**
   * The current mode. A stored value this version does not know, or a row the vault's key does not
   * vouch for (edited in the database: SECURITY.md, "The barrier"), fails closed (`token`).
   */
  async mode(): Promise<RegistrationMode> {
    const stored = await readSetting(this.#app, 'registration_mode')
    if (stored === undefined) {
      // No row: open. A row the vault's key does not vouch for reads as absent too — but an edit
      // must not open registration, so tell the two apart before falling back.
      const present = await this.#app.db
        .selectFrom('api_settings')
        .select('name')
        .where('name', '=', 'registration_mode')
        .executeTakeFirst()
      return present ? 'token' : 'open'
    }
    const mode = RegistrationMode.safeParse(stored)
    return mode.success ? mode.data : 'token'
  }

  async setMode(mode: RegistrationMode): Promise<void> {
    await writeSetting(this.#app, 'registration_mode', RegistrationMode.parse(mode))
  }

  /** The live tokens, newest first. */
  async tokens(): Promise<RegistrationTokenView[]> {
    const rows = await this.#app.db
      .selectFrom('registration_tokens')
      .select(['id', 'label', 'created_at', 'last_used_at'])
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute()
    return rows.map((r) => ({
      id: r.id,
      label: r.label,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
    }))
  }

  /** Creates a token: the only time its value is known outside the vendor's hands. */
  async createToken(label?: string): Promise<RegistrationTokenView & { readonly token: string }> {
    const token = newSecret()
    const view = {
      id: `rtk_${randomBytes(12).toString('base64url')}`,
      label: label ?? null,
      createdAt: this.#app.now().toISOString(),
      lastUsedAt: null,
    }
    await this.#app.db
      .insertInto('registration_tokens')
      .values({
        id: view.id,
        token_hash: this.#app.vault.hashSecret(token),
        label: view.label,
        created_at: view.createdAt,
        last_used_at: null,
      })
      .execute()
    return { ...view, token }
  }

  /** Deletes a token; false when there was none with that id. */
  async revokeToken(id: string): Promise<boolean> {
    if (!TOKEN_ID.test(id)) return false
    const deleted = await this.#app.db
      .deleteFrom('registration_tokens')
      .where('id', '=', id)
      .executeTakeFirst()
    return Number(deleted.numDeletedRows) === 1
  }

  /**
   * Uses an initial access token: true when it is live (its last use is noted), false for a
   * wrong or revoked one.
   */
  async useToken(token: string): Promise<boolean> {
    const used = await this.#app.db
      .updateTable('registration_tokens')
      .set({ last_used_at: this.#app.now().toISOString() })
      .where('token_hash', '=', this.#app.vault.hashSecret(token))
      .executeTakeFirst()
    return Number(used.numUpdatedRows) === 1
  }
}
