import type { Purchase, PurchaseFilter, Vault } from '@custos/vault'
import type { ChartBar } from './spending-chart.js'

/**
 * Spending totals for the charts, per currency, by month and by seller. The vault decrypts every
 * purchase to know its amount, so this walks the history page by page with the library's cursor
 * (one page of {@link PAGE} purchases in memory at a time, only the running totals kept) and stops
 * after {@link SCAN_LIMIT} purchases, newest first — then the page says the charts cover only the
 * newest ones. Amounts are summed in ten-thousandths (the import format's precision) so totals
 * do not drift by floating-point error.
 */
export const SCAN_LIMIT = 20_000
const PAGE = 500
const UNIT = 10_000
/** Months shown: the newest this many that have purchases. */
export const MONTHS_SHOWN = 24
/** Sellers shown by name; the rest are summed as "Other sellers". */
export const SELLERS_SHOWN = 10

export interface CurrencyTotals {
  readonly currency: string
  readonly count: number
  readonly total: number
  /** Oldest first, the newest {@link MONTHS_SHOWN} months. */
  readonly byMonth: ChartBar[]
  /** Largest first, {@link SELLERS_SHOWN} sellers and then "Other sellers (n)". */
  readonly bySeller: ChartBar[]
}

export interface SpendingTotals {
  /** Most purchases first: the owner's main currency leads. */
  readonly currencies: CurrencyTotals[]
  readonly scanned: number
  /** True when the scan stopped at {@link SCAN_LIMIT} before the end of the history. */
  readonly truncated: boolean
}

interface Running {
  count: number
  total: number
  months: Map<string, number>
  sellers: Map<string, number>
}

function add(map: Map<string, number>, key: string, units: number): void {
  map.set(key, (map.get(key) ?? 0) + units)
}

function running(r: Map<string, Running>, p: Purchase): Running {
  let acc = r.get(p.currency)
  if (!acc) r.set(p.currency, (acc = { count: 0, total: 0, months: new Map(), sellers: new Map() }))
  return acc
}

/** Totals of the purchases matching `filter` (no cursor or limit: the walk sets those). */
export async function spendingTotals(
  reads: { readonly purchases: Pick<Vault['purchases'], 'list'> },
  filter: Omit<PurchaseFilter, 'cursor' | 'limit'>,
  scanLimit = SCAN_LIMIT,
): Promise<SpendingTotals> {
  const byCurrency = new Map<string, Running>()
  let scanned = 0
  let cursor: string | undefined
  for (;;) {
    const page = await reads.purchases.list({
      ...filter,
      limit: Math.min(PAGE, scanLimit - scanned),
      ...(cursor !== undefined ? { cursor } : {}),
    })
    for (const p of page.items) {
      const units = Math.round(p.total * UNIT)
      const acc = running(byCurrency, p)
      acc.count++
      acc.total += units
      add(acc.months, p.orderDate.slice(0, 7), units)
      add(acc.sellers, p.seller, units)
    }
    scanned += page.items.length
    cursor = page.nextCursor
    if (cursor === undefined) return { currencies: finish(byCurrency), scanned, truncated: false }
    if (scanned >= scanLimit) return { currencies: finish(byCurrency), scanned, truncated: true }
  }
}

function finish(byCurrency: Map<string, Running>): CurrencyTotals[] {
  return [...byCurrency.entries()]
    .sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b))
    .map(([currency, acc]) => {
      const months = [...acc.months.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .slice(-MONTHS_SHOWN)
      const sellers = [...acc.sellers.entries()].sort(
        ([a, x], [b, y]) => y - x || a.localeCompare(b),
      )
      const shown = sellers.slice(0, SELLERS_SHOWN)
      const rest = sellers.slice(SELLERS_SHOWN)
      const bySeller = shown.map(([label, units]) => ({ label, amount: units / UNIT }))
      if (rest.length > 0)
        bySeller.push({
          label: `Other sellers (${rest.length})`,
          amount: rest.reduce((sum, [, u]) => sum + u, 0) / UNIT,
        })
      return {
        currency,
        count: acc.count,
        total: acc.total / UNIT,
        byMonth: months.map(([label, units]) => ({ label, amount: units / UNIT })),
        bySeller,
      }
    })
}
