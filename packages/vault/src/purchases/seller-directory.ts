import { sql } from 'kysely'
import type { VaultContext } from '../context.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'
import { normalizeForIndex } from './blind-index.js'
import { PURCHASE_COLUMNS, decryptPurchase } from './purchase-query.js'

/**
 * The distinct sellers of the accepted purchases, decrypted, for searching by part of a name
 * ("Amazon" finds "Amazon.co.uk"): seller names are encrypted and their blind indexes only answer
 * "is it exactly this name?", so the names themselves are read once and searched in memory.
 *
 * Reading them means decrypting every accepted purchase, so the list is kept for as long as the
 * keys it was read with (one unseal) and read again only when the history changed: its
 * fingerprint (count of accepted purchases, newest creation and order date) is one indexed
 * aggregate. What this instance adds or edits is merged in directly; an edit of a seller's name
 * by another instance on the same database shows once the count or dates move. Bounded: at most
 * {@link MAX_SCANNED} purchases are read and at most {@link MAX_SELLERS} names kept.
 */
export const MAX_SCANNED = 250_000
export const MAX_SELLERS = 20_000
const BATCH = 2000

/** One seller of the history and how many accepted purchases name it. */
export interface SellerSummary {
  readonly seller: string
  readonly purchases: number
}

/** Case, accents, width and spacing ignored: what a search by part of a name compares. */
export function foldSeller(value: string): string {
  return normalizeForIndex(value).normalize('NFKD').replace(/\p{M}/gu, '')
}

interface Listing {
  readonly keys: UnsealedKeys
  readonly fingerprint: string
  /** Normalized name → the name as first seen and its purchase count. */
  readonly sellers: Map<string, { seller: string; purchases: number }>
}

export class SellerDirectory {
  readonly #ctx: VaultContext
  #listing: Listing | undefined
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  async #fingerprint(): Promise<string> {
    const row = await this.#ctx.db
      .selectFrom('purchases')
      .select([
        sql<number>`count(*)`.as('n'),
        sql<string | null>`max(created_at)`.as('c'),
        sql<string | null>`max(order_date)`.as('d'),
      ])
      .where('status', '=', 'accepted')
      .executeTakeFirstOrThrow()
    return `${row.n}|${row.c ?? ''}|${row.d ?? ''}`
  }

  async #current(): Promise<Listing> {
    const keys = this.#ctx.keys()
    const fingerprint = await this.#fingerprint()
    const cached = this.#listing
    if (cached && cached.keys === keys && cached.fingerprint === fingerprint) return cached
    this.#listing = undefined
    const sellers = new Map<string, { seller: string; purchases: number }>()
    // Walked by primary key (a keyset that needs no sort and no OR): the order does not matter here.
    let after: string | undefined
    for (let scanned = 0; scanned < MAX_SCANNED; ) {
      const rows = await this.#ctx.db
        .selectFrom('purchases')
        .select(PURCHASE_COLUMNS)
        .where('status', '=', 'accepted')
        .$if(after !== undefined, (q) => q.where('id', '>', after as string))
        .orderBy('id')
        .limit(BATCH)
        .execute()
      for (const row of rows) {
        const { seller } = decryptPurchase(this.#ctx, row)
        const key = normalizeForIndex(seller)
        const known = sellers.get(key)
        if (known) known.purchases++
        else if (sellers.size < MAX_SELLERS) sellers.set(key, { seller, purchases: 1 })
      }
      scanned += rows.length
      const last = rows[rows.length - 1]
      if (rows.length < BATCH || !last) break
      after = last.id
    }
    const listing = { keys, fingerprint, sellers }
    // Only while the same keys are in place: a seal in between wipes them and this list with them.
    if (this.#ctx.keysIfUnsealed() === keys) this.#listing = listing
    return listing
  }

  /** Sellers whose name contains `part` (case, accents and spacing ignored), most purchases first. */
  async matching(part: string, limit = 50): Promise<SellerSummary[]> {
    const needle = foldSeller(part)
    const found: SellerSummary[] = []
    for (const s of (await this.#current()).sellers.values())
      if (foldSeller(s.seller).includes(needle)) found.push({ ...s })
    return found
      .sort((a, b) => b.purchases - a.purchases || a.seller.localeCompare(b.seller))
      .slice(0, limit)
  }

  /** Every seller (up to the bounds), most purchases first. */
  async all(): Promise<SellerSummary[]> {
    return [...(await this.#current()).sellers.values()]
      .map((s) => ({ ...s }))
      .sort((a, b) => b.purchases - a.purchases || a.seller.localeCompare(b.seller))
  }

  /**
   * Merges purchases this instance just added (so an import does not make the next search read
   * the whole history again). Another instance adding at the same moment would be missed until
   * the next change moves the fingerprint; that is the bound of this cache.
   */
  async noteAdded(sellers: readonly string[]): Promise<void> {
    const cached = this.#listing
    if (!cached || this.#ctx.keysIfUnsealed() !== cached.keys) return
    for (const seller of sellers) {
      const key = normalizeForIndex(seller)
      const known = cached.sellers.get(key)
      if (known) known.purchases++
      else if (cached.sellers.size < MAX_SELLERS) cached.sellers.set(key, { seller, purchases: 1 })
    }
    this.#listing = { ...cached, fingerprint: await this.#fingerprint() }
  }

  /** Forgets the list (the vault sealed, or the history changed in a way the fingerprint cannot see). */
  clear(): void {
    this.#listing = undefined
  }
}
