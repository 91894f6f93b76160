import type { AppContext } from '../app-context.js'
import { authentic, rowMac } from '../db/stored-rows.js'

/**
 * Revokes the live tokens whose `column` equals `value` — a family (refresh or code reuse), a
 * grant (the owner revoked it), or one token (RFC 7009) — in one transaction, row by row: each
 * row is checked, then written back with `revoked_at` and its new MAC. A bulk UPDATE could not
 * re-MAC, and a MAC must never be made for a row nobody checked: a row that fails its check is
 * left as it is (it is refused on every read anyway; re-MACing it would launder the edit).
 * Expired tokens are left too: nothing can use them again, and no copy can extend their expiry.
 *
 * On PostgreSQL the rows are locked (FOR UPDATE) so a concurrent rotation waits; every update is
 * also guarded by the MAC that was checked, so a row changed meanwhile is never overwritten with
 * one computed from stale values.
 */
export async function revokeTokensWhere(app: AppContext, column: 'family_id' | 'grant_id' | 'token_hash', value: string): Promise<void> {
  const now = app.now().toISOString()
  await app.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('oauth_tokens')
      .selectAll()
      .where(column, '=', value)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .$if(app.database?.engine === 'postgres', (q) => q.forUpdate())
      .execute()
    for (const row of rows) {
      if (!authentic(app, 'oauth_tokens', row)) continue
      const { row_mac: checkedMac, ...values } = row
      await trx
        .updateTable('oauth_tokens')
        .set({ revoked_at: now, row_mac: rowMac(app, 'oauth_tokens', { ...values, revoked_at: now }) })
        .where('token_hash', '=', row.token_hash)
        .where('row_mac', '=', checkedMac as Uint8Array)
        .execute()
    }
  })
}
