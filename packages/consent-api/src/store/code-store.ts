import { z } from 'zod'
import type { StoreContext } from '../app-context.js'
import type { OAuthCodesTable } from '../db/api-schema.js'
import { purgeExpired } from '../db/expired-rows.js'
import { type UnmacedRow, authentic, openSealed, rowMac, sealedPlace } from '../db/stored-rows.js'
import { newSecret } from './new-secret.js'
import type { TokenStore } from './token-store.js'

/**
 * Authorization codes (RFC 6749 §4.1.2, SECURITY.md promise 16): 32 random bytes, stored only as
 * `vault.hashSecret(code)` with the PKCE challenge, the redirect URI, the DPoP key the request
 * named (RFC 9449 §10) and a short expiry. Each code is the only way to a grant's first tokens —
 * every approval creates its own grant — so "the tokens issued from this code" are the tokens of
 * its grant.
 *
 * Each row carries the vault's MAC (db/stored-rows.ts), checked before a code is believed: an
 * edited redirect URI, challenge, DPoP key, grant or expiry, or a used code set back to unused,
 * is refused like an unknown code. The redirect URI — which names the vendor's site — is stored
 * encrypted (`sealed`).
 */
const CODE = /^[A-Za-z0-9_-]{43}$/
const Sealed = z.object({ redirect_uri: z.string() })

export interface NewCode {
  readonly clientId: string
  readonly grantId: string
  /** The redirect URI the authorization request carried, or '' when it carried none (RFC 6749 §4.1.3). */
  readonly redirectUri: string
  readonly codeChallenge: string
  readonly dpopJkt: string | null
}

export type Redemption =
  | { readonly ok: true; readonly code: OAuthCodesTable }
  | { readonly ok: false; readonly reason: 'unknown' }
  /** A known code of this client: its grant, so the refusal can be logged against it. */
  | { readonly ok: false; readonly reason: 'expired' | 'reused'; readonly grantId: string }

/**
 * @example
 * const codes = new CodeStore(ctx, tokens)
 * const code = await codes.issue({ clientId, grantId, redirectUri, codeChallenge, dpopJkt: null })
 * const redemption = await codes.redeem(code, clientId) // { ok: true, code } once, then 'reused'
 */
export class CodeStore {
  readonly #app: StoreContext
  /** A reused code revokes what it issued: the tokens of its grant. */
  readonly #tokens: TokenStore

  constructor(app: StoreContext, tokens: TokenStore) {
    this.#app = app
    this.#tokens = tokens
  }

  async issue(input: NewCode): Promise<string> {
    const app = this.#app
    const now = app.now()
    const code = newSecret()
    // Kept a day after expiry, so a late reuse is still recognised (and revokes what it issued).
    await purgeExpired(app.db, 'oauth_codes', new Date(now.getTime() - 86400_000))
    const codeHash = app.vault.hashSecret(code)
    const row: UnmacedRow<'oauth_codes'> = {
      code_hash: codeHash,
      client_id: input.clientId,
      grant_id: input.grantId,
      redirect_uri: '',
      sealed: app.vault.envelopes.seal(sealedPlace('oauth_codes', codeHash), {
        redirect_uri: input.redirectUri,
      }),
      code_challenge: input.codeChallenge,
      dpop_jkt: input.dpopJkt,
      expires_at: new Date(now.getTime() + app.config.codeSeconds * 1000).toISOString(),
      used_at: null,
      created_at: now.toISOString(),
    }
    await app.db
      .insertInto('oauth_codes')
      .values({ ...row, row_mac: rowMac(app, 'oauth_codes', row) })
      .execute()
    return code
  }

  /**
   * Uses a code once. The conditional update makes the first use win even across processes; any
   * later use is reuse — the code leaked — and revokes every token issued from it (RFC 6749
   * §4.1.2, RFC 9700 §4.5). A code of another client is simply unknown to this one.
   */
  async redeem(code: string, clientId: string): Promise<Redemption> {
    if (typeof code !== 'string' || !CODE.test(code)) return { ok: false, reason: 'unknown' }
    const app = this.#app
    const hash = app.vault.hashSecret(code)
    const row = await app.db
      .selectFrom('oauth_codes')
      .selectAll()
      .where('code_hash', '=', hash)
      .executeTakeFirst()
    if (!row || !authentic(app, 'oauth_codes', row) || row.client_id !== clientId)
      return { ok: false, reason: 'unknown' }
    if (row.used_at !== null) {
      await this.#tokens.revokeGrant(row.grant_id)
      return { ok: false, reason: 'reused', grantId: row.grant_id }
    }
    const now = app.now().toISOString()
    if (row.expires_at <= now) return { ok: false, reason: 'expired', grantId: row.grant_id }
    const { redirect_uri } = openSealed(app, sealedPlace('oauth_codes', hash), row.sealed, Sealed)
    const { row_mac: checkedMac, ...values } = row
    // Guarded by the checked MAC too: only the row that was checked is claimed.
    const claimed = await app.db
      .updateTable('oauth_codes')
      .set({ used_at: now, row_mac: rowMac(app, 'oauth_codes', { ...values, used_at: now }) })
      .where('code_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('row_mac', '=', checkedMac as Uint8Array)
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) !== 1) {
      await this.#tokens.revokeGrant(row.grant_id)
      return { ok: false, reason: 'reused', grantId: row.grant_id }
    }
    return { ok: true, code: { ...row, redirect_uri } }
  }
}
