import { z } from 'zod'
import type { VaultContext } from '../context.js'
import { authenticated } from '../integrity/row-auth.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, openJson } from '../crypto/envelope.js'
import type { PurchasesTable } from '../db/schema.js'
import { ValidationError, issuesFromZod } from '../errors.js'
import { blindIndex, normalizeForIndex } from './blind-index.js'
import { type Order, type Purchase, orderInstant } from './order.js'

export function purchasePlace(vaultId: string, id: string): Place {
  return { table: 'purchases', column: 'body', recordId: id, vaultId }
}

/** Filters for listing purchases; all combine with AND. */
export const PurchaseFilter = z
  .object({
    seller: z.string().trim().min(1).max(200).optional(),
    /** Sellers whose name contains this, ignoring case, accents and spacing ("amazon" finds "Amazon.co.uk"). */
    sellerContains: z.string().trim().min(1).max(200).optional(),
    categories: z.array(z.string().trim().min(1).max(80)).min(1).max(50).optional(),
    vendorId: z.string().max(64).optional(),
    /** Orders on or after this instant or date. */
    since: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
    /** Orders strictly before this instant or date. */
    until: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(500).default(50),
  })
  .strict()
export type PurchaseFilter = z.input<typeof PurchaseFilter>

/** A page of results and the cursor for the next one (absent on the last page). */
export interface Page<T> {
  readonly items: T[]
  readonly nextCursor?: string
}

const Cursor = z.object({ d: z.string(), i: z.string() })

function encodeCursor(row: { order_date: string; id: string }): string {
  return Buffer.from(JSON.stringify({ d: row.order_date, i: row.id })).toString('base64url')
}

function decodeCursor(cursor: string): { d: string; i: string } {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))
  } catch {
    throw new ValidationError([{ path: 'cursor', message: 'invalid cursor' }])
  }
}

export function parsePurchaseFilter(filter: PurchaseFilter): z.output<typeof PurchaseFilter> {
  const parsed = PurchaseFilter.safeParse(filter)
  if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error.issues))
  return parsed.data
}

/** The columns a purchase is read with: its plaintext state (all authenticated, see integrity/row-auth.ts) and its body. */
export const PURCHASE_COLUMNS = [
  'id',
  'order_date',
  'seller_index',
  'category_index',
  'provenance',
  'status',
  'vendor_id',
  'body',
  'created_at',
  'row_mac',
] as const
type Row = Pick<PurchasesTable, (typeof PURCHASE_COLUMNS)[number]>

/**
 * Decrypts a purchase after checking its row MAC: its status (a pending receipt is invisible to
 * every grant), vendor link and indexes decide which grants see it, so an edited row must not be
 * believed (SECURITY.md, "The barrier").
 */
export function decryptPurchase(ctx: VaultContext, row: Row): Purchase {
  const keys = ctx.keys()
  ctx.rows.check('purchases', authenticated.purchases(row), row.row_mac)
  const body = toBytes(row.body)
  // No schema check on the way out: the body was validated on the way in and the AEAD proves
  // it is byte for byte what the vault wrote, for this row.
  const order = openJson(
    ctx.sodium,
    keys.termKey(envelopeTerm(body)),
    purchasePlace(keys.vaultId, row.id),
    body,
  ) as Order
  return {
    ...order,
    id: row.id,
    provenance: row.provenance,
    status: row.status,
    ...(row.vendor_id ? { vendorId: row.vendor_id } : {}),
    createdAt: row.created_at,
  }
}

const BATCH_EXTRA = 8

/**
 * Lists purchases newest first by keyset pagination over (order_date, id). Seller and category
 * filters go through truncated blind indexes, so candidates are decrypted and re-checked; the
 * loop keeps reading until the page is full, so false positives never shorten a page.
 * `sellers` (the names a search by part of a name found, see seller-directory.ts) is one more
 * AND: any of these exact names, through their indexes.
 */
export async function queryPurchases(
  ctx: VaultContext,
  filter: z.output<typeof PurchaseFilter>,
  status: 'accepted' | 'pending',
  sellers?: readonly string[],
): Promise<Page<Purchase>> {
  const keys = ctx.keys()
  const sellerIdx =
    filter.seller === undefined
      ? undefined
      : blindIndex(ctx.sodium, keys.subkey('sellerIndex'), filter.seller)
  const anyIdx =
    sellers === undefined
      ? undefined
      : [...new Set(sellers.map((s) => blindIndex(ctx.sodium, keys.subkey('sellerIndex'), s)))]
  const anyNorm = sellers === undefined ? undefined : new Set(sellers.map(normalizeForIndex))
  const categoryIdx = filter.categories?.map((c) =>
    blindIndex(ctx.sodium, keys.subkey('categoryIndex'), c),
  )
  const sellerNorm = filter.seller === undefined ? undefined : normalizeForIndex(filter.seller)
  const categoryNorm = filter.categories?.map(normalizeForIndex)
  const since = filter.since === undefined ? undefined : orderInstant(filter.since)
  const until = filter.until === undefined ? undefined : orderInstant(filter.until)
  let after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor)
  const items: Purchase[] = []
  let misses = 0
  for (;;) {
    const want = filter.limit - items.length
    // Blind-index false positives seen so far predict more: widen the next batch by as many again.
    const batch = want + 1 + (sellerIdx || anyIdx || categoryIdx ? BATCH_EXTRA + 2 * misses : 0)
    const rows = await ctx.db
      .selectFrom('purchases')
      .select(PURCHASE_COLUMNS)
      .where('status', '=', status)
      .$if(sellerIdx !== undefined, (q) => q.where('seller_index', '=', sellerIdx as string))
      .$if(anyIdx !== undefined, (q) => q.where('seller_index', 'in', anyIdx as string[]))
      .$if(categoryIdx !== undefined, (q) =>
        q.where('category_index', 'in', categoryIdx as string[]),
      )
      .$if(filter.vendorId !== undefined, (q) =>
        q.where('vendor_id', '=', filter.vendorId as string),
      )
      .$if(since !== undefined, (q) => q.where('order_date', '>=', since as string))
      .$if(until !== undefined, (q) => q.where('order_date', '<', until as string))
      .$if(after !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('order_date', '<', (after as { d: string }).d),
            eb.and([
              eb('order_date', '=', (after as { d: string }).d),
              eb('id', '<', (after as { i: string }).i),
            ]),
          ]),
        ),
      )
      .orderBy('order_date', 'desc')
      .orderBy('id', 'desc')
      .limit(batch)
      .execute()
    for (const row of rows) {
      const purchase = decryptPurchase(ctx, row)
      if (
        (sellerNorm !== undefined && normalizeForIndex(purchase.seller) !== sellerNorm) ||
        (anyNorm !== undefined && !anyNorm.has(normalizeForIndex(purchase.seller))) ||
        (categoryNorm !== undefined &&
          (purchase.category === undefined ||
            !categoryNorm.includes(normalizeForIndex(purchase.category))))
      ) {
        misses++
        continue
      }
      if (items.length === filter.limit) {
        // One more real match exists: the page is full and the cursor points at its last item.
        const last = items[items.length - 1] as Purchase
        return {
          items,
          nextCursor: encodeCursor({ order_date: orderInstant(last.orderDate), id: last.id }),
        }
      }
      items.push(purchase)
    }
    if (rows.length < batch) return { items }
    const lastRow = rows[rows.length - 1] as Row
    after = { d: lastRow.order_date, i: lastRow.id }
  }
}
