import type { VaultContext } from '../context.js'
import { NotFoundError } from '../errors.js'
import { authenticated } from '../integrity/row-auth.js'
import { blindIndex, normalizeForIndex } from './blind-index.js'
import { PURCHASE_COLUMNS, decryptPurchase } from './purchase-query.js'

/**
 * The owner says "my purchases from this seller were made with that vendor": each accepted
 * purchase the owner typed in or imported whose seller is that name (case and spacing ignored)
 * gets the vendor's id, which is what a grant's "purchases made with" slice selects. The vendor
 * link decides who sees a purchase, so it is part of the row's MAC (integrity/row-auth.ts): every
 * row is read and checked before it is rewritten, and rewritten with a fresh MAC, in one
 * transaction. Receipts a vendor sent keep the vendor that sent them.
 */
export async function linkSellerToVendor(
  ctx: VaultContext,
  seller: string,
  vendorId: string | null,
  from?: string,
): Promise<number> {
  const keys = ctx.keys()
  const index = blindIndex(ctx.sodium, keys.subkey('sellerIndex'), seller)
  const wanted = normalizeForIndex(seller)
  const changed = await ctx.db.transaction().execute(async (trx) => {
    if (vendorId !== null) {
      const vendor = await trx
        .selectFrom('vendors')
        .select('id')
        .where('id', '=', vendorId)
        .executeTakeFirst()
      if (!vendor) throw new NotFoundError('Vendor')
    }
    const rows = await trx
      .selectFrom('purchases')
      .select(PURCHASE_COLUMNS)
      .where('status', '=', 'accepted')
      .where('seller_index', '=', index)
      .where('provenance', 'in', ['owner', 'import'])
      .execute()
    let count = 0
    const linked: string[] = []
    for (const row of rows) {
      // The index is truncated (blind-index.ts): another seller may share it, so the name decides.
      if (normalizeForIndex(decryptPurchase(ctx, row).seller) !== wanted) continue
      if (row.vendor_id === vendorId) continue
      if (vendorId === null && from !== undefined && row.vendor_id !== from) continue
      const values = { ...row, vendor_id: vendorId }
      await trx
        .updateTable('purchases')
        .set({
          vendor_id: vendorId,
          row_mac: ctx.rows.mac('purchases', authenticated.purchases(values)),
        })
        .where('id', '=', row.id)
        .execute()
      linked.push(row.id)
      count++
    }
    // What a "purchases made with" grant shows changed: the owner's log says so, with the purchase
    // ids (never the seller's name), in the same transaction.
    const vendor = vendorId ?? from
    if (count > 0)
      await ctx.audit.appendInTransaction(trx, [
        {
          action: vendorId === null ? 'purchases.unlinked' : 'purchases.linked',
          actor: 'owner',
          purchaseIds: linked.slice(0, 1000),
          ...(vendor ? { vendorId: vendor } : {}),
        },
      ])
    return count
  })
  ctx.emit({ type: 'purchases.linked', vendorId, count: changed })
  return changed
}
