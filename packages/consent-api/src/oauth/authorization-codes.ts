import type { AppContext } from '../app-context.js'
import type { OAuthCodesTable } from '../db/api-schema.js'
import { newSecret, revokeGrantTokens } from './tokens.js'

/**
 * Authorization codes (RFC 6749 §4.1.2, SECURITY.md promise 16): 32 random bytes, stored only as
 * `vault.hashSecret(code)` with the PKCE challenge, the redirect URI, the DPoP key the request
 * named (RFC 9449 §10) and a short expiry. Each code is the only way to a grant's first tokens —
 * every approval creates its own grant — so "the tokens issued from this code" are the tokens of
 * its grant.
 */
const CODE = /^[A-Za-z0-9_-]{43}$/

export interface NewCode {
  readonly clientId: string
  readonly grantId: string
  /** The redirect URI the authorization request carried, or '' when it carried none (RFC 6749 §4.1.3). */
  readonly redirectUri: string
  readonly codeChallenge: string
  readonly dpopJkt: string | null
}

export async function issueCode(app: AppContext, input: NewCode): Promise<string> {
  const now = app.now()
  const code = newSecret()
  await app.db.deleteFrom('oauth_codes').where('expires_at', '<', new Date(now.getTime() - 86400_000).toISOString()).execute()
  await app.db
    .insertInto('oauth_codes')
    .values({
      code_hash: app.vault.hashSecret(code),
      client_id: input.clientId,
      grant_id: input.grantId,
      redirect_uri: input.redirectUri,
      code_challenge: input.codeChallenge,
      dpop_jkt: input.dpopJkt,
      expires_at: new Date(now.getTime() + app.config.codeSeconds * 1000).toISOString(),
      used_at: null,
      created_at: now.toISOString(),
    })
    .execute()
  return code
}

export type Redemption =
  | { readonly ok: true; readonly code: OAuthCodesTable }
  | { readonly ok: false; readonly reason: 'unknown' }
  /** A known code of this client: its grant, so the refusal can be logged against it. */
  | { readonly ok: false; readonly reason: 'expired' | 'reused'; readonly grantId: string }

/**
 * Uses a code once. The conditional update makes the first use win even across processes; any
 * later use is reuse — the code leaked — and revokes every token issued from it (RFC 6749
 * §4.1.2, RFC 9700 §4.5). A code of another client is simply unknown to this one.
 */
export async function redeemCode(app: AppContext, code: string, clientId: string): Promise<Redemption> {
  if (typeof code !== 'string' || !CODE.test(code)) return { ok: false, reason: 'unknown' }
  const hash = app.vault.hashSecret(code)
  const row = await app.db.selectFrom('oauth_codes').selectAll().where('code_hash', '=', hash).executeTakeFirst()
  if (!row || row.client_id !== clientId) return { ok: false, reason: 'unknown' }
  if (row.used_at !== null) {
    await revokeGrantTokens(app, row.grant_id)
    return { ok: false, reason: 'reused', grantId: row.grant_id }
  }
  const now = app.now().toISOString()
  if (row.expires_at <= now) return { ok: false, reason: 'expired', grantId: row.grant_id }
  const claimed = await app.db.updateTable('oauth_codes').set({ used_at: now }).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst()
  if (Number(claimed.numUpdatedRows) !== 1) {
    await revokeGrantTokens(app, row.grant_id)
    return { ok: false, reason: 'reused', grantId: row.grant_id }
  }
  return { ok: true, code: row }
}
