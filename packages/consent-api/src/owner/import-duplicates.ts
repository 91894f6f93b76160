import type { Order, Vault } from '@custos/vault'
import type { ImportRow } from './purchase-import.js'

/**
 * Importing the same file twice must not double the history: a valid row is a duplicate when a
 * purchase with the same seller (case and spacing ignored), day, currency, total and order number
 * is already in the vault, or an earlier row of the file says the same. The vault is asked once
 * per seller of the file, for the file's date range only, through the seller's blind index.
 */
export function duplicateKey(
  o: Pick<Order, 'seller' | 'orderDate' | 'currency' | 'total' | 'orderNumber'>,
): string {
  const seller = o.seller.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ')
  return JSON.stringify([
    seller,
    o.orderDate.slice(0, 10),
    o.currency,
    Math.round(o.total * 10_000),
    (o.orderNumber ?? '').trim().toLowerCase(),
  ])
}

const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10)
const dayBefore = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)

async function keysInVault(vault: Vault, rows: readonly ImportRow[]): Promise<Set<string>> {
  const bySeller = new Map<string, { seller: string; first: string; last: string }>()
  for (const r of rows) {
    if (!r.order) continue
    const key = r.order.seller.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ')
    const day = r.order.orderDate.slice(0, 10)
    const range = bySeller.get(key)
    if (!range) bySeller.set(key, { seller: r.order.seller, first: day, last: day })
    else {
      if (day < range.first) range.first = day
      if (day > range.last) range.last = day
    }
  }
  const keys = new Set<string>()
  for (const { seller, first, last } of bySeller.values()) {
    // A day either side: an instant with an offset may fall on a neighbouring UTC day.
    let cursor: string | undefined
    do {
      const page = await vault.purchases.list({
        seller,
        since: dayBefore(first),
        until: nextDay(last),
        limit: 500,
        ...(cursor !== undefined ? { cursor } : {}),
      })
      for (const p of page.items) keys.add(duplicateKey(p))
      cursor = page.nextCursor
    } while (cursor !== undefined)
  }
  return keys
}

/** The rows with duplicates marked (valid rows only; a row with issues is skipped anyway). */
export async function markDuplicates(
  vault: Vault,
  rows: readonly ImportRow[],
): Promise<ImportRow[]> {
  const inVault = await keysInVault(vault, rows)
  const inFile = new Set<string>()
  return rows.map((r) => {
    if (!r.order) return r
    const key = duplicateKey(r.order)
    const duplicate = inVault.has(key) ? 'vault' : inFile.has(key) ? 'file' : undefined
    inFile.add(key)
    return duplicate ? { ...r, duplicate } : r
  })
}
