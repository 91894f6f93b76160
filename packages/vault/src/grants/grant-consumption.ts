import type { VaultContext } from '../context.js'
import type { AuditEntryInput } from '../audit/audit-entry.js'
import type { GrantsTable } from '../db/schema.js'
import { NotFoundError, VaultError } from '../errors.js'
import { advanceLedger } from '../integrity/ledger.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from '../keys/write-term.js'
import { dropExpirySignal } from '../signals/signal-outbox.js'
import { checkGrantRow, decryptGrant, grantStatus } from './grant-store.js'
import type { Grant } from './grant.js'

/**
 * Claims a single-use grant for the read that was just made through it (issue 12 §5, PDPP
 * `access_mode: single_use`). One transaction locks the grant row (`FOR UPDATE` on PostgreSQL;
 * SQLite runs one write transaction at a time), checks that it is still the active row the read
 * saw, marks it `consumed` and writes the read's audit entry with `grant.consumed` — so of two
 * concurrent first reads exactly one commits, and no data leaves before its entry is durable
 * (promise 19). The loser gets ERR_GRANT_CONSUMED and nothing.
 *
 * The status change goes through the ledger like a revocation (integrity/ledger.ts): a saved copy
 * of the unconsumed row stops verifying, so restoring it cannot re-open the grant. The vendor gets
 * no signal: it made the read itself, and its next use is answered ERR_GRANT_CONSUMED. The pending
 * expiry signal is dropped, as on revocation: the grant has already ended.
 */
export async function consumeGrant(
  ctx: VaultContext,
  grant: Grant,
  read: AuditEntryInput,
): Promise<Grant> {
  let row: GrantsTable | undefined
  await ctx.db.transaction().execute(async (trx) => {
    const { epoch } = await writeTerm(ctx, trx)
    const stored = await trx
      .selectFrom('grants')
      .selectAll()
      .where('id', '=', grant.id)
      .$if(ctx.engine === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst()
    if (!stored) throw new NotFoundError('Grant')
    checkGrantRow(ctx, stored, epoch)
    const status = grantStatus(stored, ctx.now())
    if (status === 'consumed') throw consumedError()
    if (status === 'revoked')
      throw new VaultError('ERR_GRANT_REVOKED', 'This grant has been revoked')
    if (status === 'expired') throw new VaultError('ERR_GRANT_EXPIRED', 'This grant has expired')
    // Narrowed while the read ran: what was read may be more than the grant now allows.
    if (stored.revision !== grant.revision)
      throw new VaultError('ERR_CONFLICT', 'The grant changed during the read; read again')
    const { row_mac: _old, ...values } = {
      ...stored,
      status: 'consumed' as const,
      updated_at: ctx.now().toISOString(),
    }
    const next = await advanceLedger(ctx, trx, epoch, { grants: [values] })
    await dropExpirySignal(trx, grant.id)
    await ctx.audit.appendInTransaction(trx, [
      read,
      {
        action: 'grant.consumed',
        actor: `vendor:${grant.vendorId}`,
        grantId: grant.id,
        vendorId: grant.vendorId,
      },
    ])
    row = { ...values, row_mac: ctx.rows.mac('grants', authenticated.grants(values, next)) }
  })
  ctx.emit({ type: 'grant.consumed', grantId: grant.id })
  return decryptGrant(ctx, row as GrantsTable)
}

export function consumedError(): VaultError {
  return new VaultError('ERR_GRANT_CONSUMED', 'This single-use grant has already been used')
}
