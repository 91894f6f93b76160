import type { Transaction } from 'kysely'
import { type VaultContext, newId } from '../context.js'
import { sealJson } from '../crypto/envelope.js'
import type { PurchasesTable, VaultDatabase } from '../db/schema.js'
import { NotFoundError, ValidationError, issuesFromZod } from '../errors.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from '../keys/write-term.js'
import { blindIndex, normalizeForIndex } from './blind-index.js'
import { Order, type OrderInput, type Provenance, type Purchase, orderInstant } from './order.js'
import {
  PURCHASE_COLUMNS,
  type Page,
  type PurchaseFilter,
  decryptPurchase,
  parsePurchaseFilter,
  purchasePlace,
  queryPurchases,
} from './purchase-query.js'
import { SellerDirectory, type SellerSummary } from './seller-directory.js'
import { linkSellerToVendor } from './seller-link.js'

export function parseOrder(input: unknown, prefix = ''): Order {
  const parsed = Order.safeParse(input)
  if (!parsed.success)
    throw new ValidationError(issuesFromZod(parsed.error.issues, prefix), 'Invalid purchase')
  return parsed.data
}

/** Builds the row of a purchase: encrypted body, blind indexes, plaintext date for ordering. */
export function purchaseRow(
  ctx: VaultContext,
  id: string,
  order: Order,
  meta: {
    provenance: Provenance
    status: 'accepted' | 'pending'
    vendorId?: string | undefined
    createdAt: string
    importSource?: string | undefined
  },
  { term, key }: { term: number; key: Uint8Array },
): PurchasesTable {
  // The source rides in the sealed body beside the order (no column of its own: nothing is
  // looked up by it, and the file's name is the owner's, so it is encrypted like the order).
  const sealed =
    meta.importSource === undefined ? order : { ...order, importSource: meta.importSource }
  const keys = ctx.keys()
  const row = {
    id,
    order_date: orderInstant(order.orderDate),
    seller_index: blindIndex(ctx.sodium, keys.subkey('sellerIndex'), order.seller),
    category_index:
      order.category === undefined
        ? null
        : blindIndex(ctx.sodium, keys.subkey('categoryIndex'), order.category),
    provenance: meta.provenance,
    status: meta.status,
    vendor_id: meta.vendorId ?? null,
    body: sealJson(ctx.sodium, key, term, purchasePlace(keys.vaultId, id), sealed),
    term,
    created_at: meta.createdAt,
  }
  return { ...row, row_mac: ctx.rows.mac('purchases', authenticated.purchases(row)) }
}

async function assertVendor(
  trx: Transaction<VaultDatabase>,
  vendorId: string | undefined,
): Promise<void> {
  if (vendorId === undefined) return
  const found = await trx
    .selectFrom('vendors')
    .select('id')
    .where('id', '=', vendorId)
    .executeTakeFirst()
  if (!found) throw new NotFoundError('Vendor')
}

/** Options when the owner adds a purchase. */
export interface AddPurchaseOptions {
  /** `owner` (typed in, the default) or `import` (from a file). */
  readonly provenance?: 'owner' | 'import'
  /** Links the purchase to a registered vendor, so "purchases made with me" grants include it. */
  readonly vendorId?: string
  /**
   * With `import`: the file each order came from, by position (`amazon: Retail.OrderHistory.1.csv`),
   * kept as the purchase's {@link Purchase.importSource}. At most 200 characters each.
   */
  readonly importSources?: readonly (string | undefined)[]
}

/**
 * The owner's purchase history. Each purchase is one encrypted record; only its id, order
 * date, provenance, status, vendor id and two truncated blind indexes are plaintext.
 */
export class PurchaseStore {
  readonly #ctx: VaultContext
  readonly #sellers: SellerDirectory
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
    this.#sellers = new SellerDirectory(ctx)
  }

  /**
   * Adds a purchase and returns it with its id.
   *
   * @example
   * const p = await vault.purchases.add({ seller: 'Fjord Outdoor', orderDate: '2026-03-14', currency: 'EUR', total: 129.9,
   *   category: 'outdoor', items: [{ name: 'Rain jacket', quantity: 1, price: 129.9 }] })
   */
  async add(order: OrderInput, options: AddPurchaseOptions = {}): Promise<Purchase> {
    const [purchase] = await this.addMany([order], options)
    return purchase as Purchase
  }

  /** Adds many purchases in one transaction (all or none); used by imports. */
  async addMany(
    orders: readonly OrderInput[],
    options: AddPurchaseOptions = {},
  ): Promise<Purchase[]> {
    const ctx = this.#ctx
    ctx.keys()
    const parsed = orders.map((o, i) => parseOrder(o, orders.length > 1 ? String(i) : ''))
    const provenance = options.provenance ?? 'owner'
    const sources = options.importSources
    if (sources !== undefined && (sources.length !== orders.length || provenance !== 'import'))
      throw new TypeError('importSources needs provenance import and one entry per order')
    if (sources?.some((s) => s !== undefined && (s.length === 0 || s.length > 200)))
      throw new ValidationError(
        [{ path: 'importSources', message: 'must be 1 to 200 characters' }],
        'Invalid import source',
      )
    const createdAt = ctx.now().toISOString()
    const rows = await ctx.db.transaction().execute(async (trx) => {
      await assertVendor(trx, options.vendorId)
      const sealing = await writeTerm(ctx, trx)
      const rows = parsed.map((order, i) =>
        purchaseRow(
          ctx,
          newId(ctx.sodium, 'pur'),
          order,
          {
            provenance,
            status: 'accepted',
            vendorId: options.vendorId,
            createdAt,
            importSource: sources?.[i],
          },
          sealing,
        ),
      )
      for (let i = 0; i < rows.length; i += 200)
        await trx
          .insertInto('purchases')
          .values(rows.slice(i, i + 200))
          .execute()
      return rows
    })
    for (const row of rows) ctx.emit({ type: 'purchase.added', purchaseId: row.id, provenance })
    await this.#sellers.noteAdded(parsed.map((o) => o.seller))
    return rows.map((row, i) => ({
      ...(parsed[i] as Order),
      id: row.id,
      provenance,
      status: 'accepted' as const,
      ...(options.vendorId ? { vendorId: options.vendorId } : {}),
      createdAt,
      ...(sources?.[i] !== undefined ? { importSource: sources[i] } : {}),
    }))
  }

  /** Replaces the order data of an accepted purchase, keeping its id and provenance. */
  async update(id: string, order: OrderInput): Promise<Purchase> {
    const ctx = this.#ctx
    const current = await this.get(id)
    const parsed = parseOrder(order)
    await ctx.db.transaction().execute(async (trx) => {
      const row = purchaseRow(
        ctx,
        id,
        parsed,
        {
          provenance: current.provenance,
          status: current.status,
          vendorId: current.vendorId,
          createdAt: current.createdAt,
          importSource: current.importSource,
        },
        await writeTerm(ctx, trx),
      )
      await trx
        .updateTable('purchases')
        .set({
          order_date: row.order_date,
          seller_index: row.seller_index,
          category_index: row.category_index,
          body: row.body,
          term: row.term,
          row_mac: row.row_mac,
        })
        .where('id', '=', id)
        .execute()
    })
    // A renamed seller is invisible to the directory's fingerprint (same count, same dates).
    if (normalizeForIndex(parsed.seller) !== normalizeForIndex(current.seller))
      this.#sellers.clear()
    return {
      ...parsed,
      id,
      provenance: current.provenance,
      status: current.status,
      ...(current.vendorId ? { vendorId: current.vendorId } : {}),
      createdAt: current.createdAt,
      ...(current.importSource !== undefined ? { importSource: current.importSource } : {}),
    }
  }

  /** Reads one purchase (accepted or pending); ERR_NOT_FOUND if there is none. */
  async get(id: string): Promise<Purchase> {
    this.#ctx.keys()
    if (typeof id !== 'string') throw new TypeError('id must be a string')
    const row = await this.#ctx.db
      .selectFrom('purchases')
      .select(PURCHASE_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('Purchase')
    return decryptPurchase(this.#ctx, row)
  }

  /**
   * Lists accepted purchases newest first, filtered and paginated.
   *
   * @example
   * let page = await vault.purchases.list({ seller: 'Fjord Outdoor', limit: 50 })
   * while (page.nextCursor) page = await vault.purchases.list({ seller: 'Fjord Outdoor', cursor: page.nextCursor })
   */
  async list(filter: PurchaseFilter = {}): Promise<Page<Purchase>> {
    this.#ctx.keys()
    const parsed = parsePurchaseFilter(filter)
    // An exact seller stays on its blind-index path; a part of a name is first looked up among
    // the decrypted sellers (seller-directory.ts), then each match through its index.
    if (parsed.sellerContains === undefined) return queryPurchases(this.#ctx, parsed, 'accepted')
    const names = (await this.#sellers.matching(parsed.sellerContains)).map((s) => s.seller)
    if (names.length === 0) return { items: [] }
    return queryPurchases(this.#ctx, parsed, 'accepted', names)
  }

  /**
   * The distinct sellers of the accepted purchases with their purchase counts, most purchases
   * first; with `contains`, only those whose name contains it (case, accents and spacing ignored).
   *
   * @example
   * await vault.purchases.sellers({ contains: 'amazon' }) // [{ seller: 'Amazon.co.uk', purchases: 12 }]
   */
  async sellers(options: { contains?: string; limit?: number } = {}): Promise<SellerSummary[]> {
    this.#ctx.keys()
    const limit = options.limit ?? 50
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new TypeError('limit must be an integer from 1 to 1000')
    if (options.contains !== undefined && options.contains.trim() !== '')
      return this.#sellers.matching(options.contains.trim().slice(0, 200), limit)
    return (await this.#sellers.all()).slice(0, limit)
  }

  /**
   * Links the owner's purchases from `seller` (typed in or imported; exact name, case and spacing
   * ignored) to a registered vendor, so grants for "purchases made with" that vendor include them;
   * `vendorId: null` unlinks those linked to `from` (or any vendor when `from` is absent). Receipts a vendor sent
   * keep their vendor. Returns how many purchases changed.
   *
   * @example
   * await vault.purchases.linkSeller('Fjord Outdoor', shop.id) // 3
   */
  async linkSeller(seller: string, vendorId: string | null, from?: string): Promise<number> {
    this.#ctx.keys()
    if (typeof seller !== 'string' || seller.trim() === '' || seller.length > 200)
      throw new ValidationError([
        { path: 'seller', message: 'Expected a seller name of 1 to 200 characters' },
      ])
    return linkSellerToVendor(this.#ctx, seller, vendorId, from)
  }

  /** Deletes a purchase; ERR_NOT_FOUND if there is none. */
  async delete(id: string): Promise<void> {
    this.#ctx.keys()
    const result = await this.#ctx.db
      .deleteFrom('purchases')
      .where('id', '=', id)
      .executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) throw new NotFoundError('Purchase')
    // A count that drops and rises again (delete one, add one) could leave the same fingerprint.
    this.#sellers.clear()
    this.#ctx.emit({ type: 'purchase.deleted', purchaseId: id })
  }
}
