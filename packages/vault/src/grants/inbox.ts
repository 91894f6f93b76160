import { type VaultContext, newId } from '../context.js'
import { NotFoundError, VaultError } from '../errors.js'
import type { OrderInput, Purchase } from '../purchases/order.js'
import { type Page, parsePurchaseFilter, queryPurchases } from '../purchases/purchase-query.js'
import { parseOrder, purchaseRow } from '../purchases/purchase-store.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from '../keys/write-term.js'
import { liveGrant } from './read-through-grant.js'
import { assertVendorId } from './vendor-attempt.js'

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
   * revoked, expired or lacks `append` — or, given `vendorId` (the API always gives the token's
   * client), when that vendor does not own the grant (ERR_GRANT_MISMATCH). Given `maxPending`,
   * refused with ERR_INBOX_FULL while the vendor already has that many receipts waiting — one
   * vendor must not fill the owner's inbox (issue "P1 — Trust", finding 2); the caller chooses the
   * number (the consent API from its configuration). Counted in the append's transaction, so
   * appends racing on several connections may pass it by a few.
   *
   * @example
   * const pending = await vault.inbox.append(grant.id, { seller: 'Fjord Outdoor', orderDate: '2026-03-14T10:00:00Z', currency: 'EUR', total: 59 })
   */
  async append(
    grantId: string,
    order: OrderInput,
    options: { readonly vendorId?: string; readonly maxPending?: number } = {},
  ): Promise<Purchase> {
    const ctx = this.#ctx
    const { maxPending } = options
    if (maxPending !== undefined && !(Number.isSafeInteger(maxPending) && maxPending > 0))
      throw new TypeError('maxPending must be a positive integer')
    const parsed = parseOrder(order)
    if (options.vendorId !== undefined) assertVendorId(options.vendorId)
    const { grant } = await liveGrant(
      ctx,
      grantId,
      'append',
      undefined,
      options.vendorId !== undefined ? { vendorId: options.vendorId } : undefined,
    )
    const id = newId(ctx.sodium, 'pur')
    const createdAt = ctx.now().toISOString()
    await ctx.db.transaction().execute(async (trx) => {
      if (maxPending !== undefined) {
        const { pending } = await trx
          .selectFrom('purchases')
          .select((eb) => eb.fn.countAll<number | string>().as('pending'))
          .where('vendor_id', '=', grant.vendorId)
          .where('status', '=', 'pending')
          .executeTakeFirstOrThrow()
        if (Number(pending) >= maxPending)
          throw new VaultError(
            'ERR_INBOX_FULL',
            'The inbox holds too many pending receipts from this vendor; the owner must review them first',
          )
      }
      const row = purchaseRow(
        ctx,
        id,
        parsed,
        { provenance: 'vendor', status: 'pending', vendorId: grant.vendorId, createdAt },
        await writeTerm(ctx, trx),
      )
      await trx.insertInto('purchases').values(row).execute()
      await ctx.audit.appendInTransaction(trx, [
        {
          action: 'inbox.appended',
          actor: `vendor:${grant.vendorId}`,
          grantId,
          vendorId: grant.vendorId,
          purchaseIds: [id],
        },
      ])
    })
    ctx.emit({ type: 'inbox.appended', purchaseId: id, vendorId: grant.vendorId })
    return {
      ...parsed,
      id,
      provenance: 'vendor',
      status: 'pending',
      vendorId: grant.vendorId,
      createdAt,
    }
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
      const row = await trx
        .selectFrom('purchases')
        .selectAll()
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst()
      if (!row) throw new NotFoundError('Pending purchase')
      // The row decides who sees the receipt once accepted (its vendor link): believe it only if authentic.
      ctx.rows.check('purchases', authenticated.purchases(row), row.row_mac)
      if (accept) {
        const values = { ...row, status: 'accepted' as const }
        await trx
          .updateTable('purchases')
          .set({
            status: 'accepted',
            row_mac: ctx.rows.mac('purchases', authenticated.purchases(values)),
          })
          .where('id', '=', id)
          .execute()
      } else await trx.deleteFrom('purchases').where('id', '=', id).execute()
      await ctx.audit.appendInTransaction(trx, [
        {
          action: accept ? 'inbox.accepted' : 'inbox.rejected',
          actor: 'owner',
          purchaseIds: [id],
          ...(row.vendor_id ? { vendorId: row.vendor_id } : {}),
        },
      ])
    })
    ctx.emit({ type: 'inbox.decided', purchaseId: id, accepted: accept })
  }
}
