import { type VaultContext, newId } from '../context.js'
import { NotFoundError } from '../errors.js'
import type { OrderInput, Purchase } from '../purchases/order.js'
import { type Page, parsePurchaseFilter, queryPurchases } from '../purchases/purchase-query.js'
import { parseOrder, purchaseRow } from '../purchases/purchase-store.js'
import { writeTerm } from '../keys/write-term.js'
import { liveGrant } from './read-through-grant.js'

/**
 * The vendor inbox: purchase receipts a vendor writes through an `append` grant wait here,
 * pending, invisible to every grant, until the owner accepts (they join the history, linked to
 * the vendor) or rejects (they are deleted).
 */
export class Inbox {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /**
   * Appends a receipt on behalf of the grant's vendor. Refused like reads when the grant is
   * revoked, expired or lacks `append`.
   *
   * @example
   * const pending = await vault.inbox.append(grant.id, { seller: 'Fjord Outdoor', orderDate: '2026-03-14T10:00:00Z', currency: 'EUR', total: 59 })
   */
  async append(grantId: string, order: OrderInput): Promise<Purchase> {
    const ctx = this.#ctx
    const parsed = parseOrder(order)
    const { grant } = await liveGrant(ctx, grantId, 'append')
    const id = newId(ctx.sodium, 'pur')
    const createdAt = ctx.now().toISOString()
    await ctx.db.transaction().execute(async (trx) => {
      const row = purchaseRow(ctx, id, parsed, { provenance: 'vendor', status: 'pending', vendorId: grant.vendorId, createdAt }, await writeTerm(ctx, trx))
      await trx.insertInto('purchases').values(row).execute()
      await ctx.audit.appendInTransaction(trx, [{ action: 'inbox.appended', actor: `vendor:${grant.vendorId}`, grantId, vendorId: grant.vendorId, purchaseIds: [id] }])
    })
    ctx.emit({ type: 'inbox.appended', purchaseId: id, vendorId: grant.vendorId })
    return { ...parsed, id, provenance: 'vendor', status: 'pending', vendorId: grant.vendorId, createdAt }
  }

  /** Pending receipts, newest first. */
  async list(options: { cursor?: string; limit?: number } = {}): Promise<Page<Purchase>> {
    this.#ctx.keys()
    return queryPurchases(this.#ctx, parsePurchaseFilter(options), 'pending')
  }

  /** Accepts a pending receipt into the purchase history. */
  accept(id: string): Promise<void> {
    return this.#decide(id, true)
  }

  /** Rejects a pending receipt: it is deleted. */
  reject(id: string): Promise<void> {
    return this.#decide(id, false)
  }

  async #decide(id: string, accept: boolean): Promise<void> {
    const ctx = this.#ctx
    ctx.keys()
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('purchases').select(['vendor_id']).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst()
      if (!row) throw new NotFoundError('Pending purchase')
      if (accept) await trx.updateTable('purchases').set({ status: 'accepted' }).where('id', '=', id).execute()
      else await trx.deleteFrom('purchases').where('id', '=', id).execute()
      await ctx.audit.appendInTransaction(trx, [
        { action: accept ? 'inbox.accepted' : 'inbox.rejected', actor: 'owner', purchaseIds: [id], ...(row.vendor_id ? { vendorId: row.vendor_id } : {}) },
      ])
    })
    ctx.emit({ type: 'inbox.decided', purchaseId: id, accepted: accept })
  }
}
