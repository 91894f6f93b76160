import { z } from 'zod'

/**
 * A purchase, shaped after schema.org `Order` (https://schema.org/Order): who sold it
 * (`seller`), when (`orderDate`), the seller's reference (`orderNumber`), line items
 * (`orderedItem` → `items`), what was paid (`total` in `currency`) and a category of ours.
 */
export const OrderItem = z
  .object({
    name: z.string().trim().min(1).max(300),
    sku: z.string().trim().max(100).optional(),
    quantity: z.number().int().positive().max(1_000_000).default(1),
    price: z.number().finite().min(0).max(1e12).optional(),
  })
  .strict()

export const Order = z
  .object({
    seller: z.string().trim().min(1).max(200),
    orderDate: z.union([z.iso.datetime({ offset: true }), z.iso.date()]),
    orderNumber: z.string().trim().max(100).optional(),
    category: z.string().trim().min(1).max(80).optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code'),
    total: z.number().finite().min(0).max(1e12),
    items: z.array(OrderItem).max(500).default([]),
    notes: z.string().max(4000).optional(),
  })
  .strict()
export type Order = z.output<typeof Order>
export type OrderInput = z.input<typeof Order>

/** Where a purchase came from. */
export type Provenance = 'owner' | 'import' | 'vendor'

/** A stored purchase: the order plus its provenance and bookkeeping. */
export interface Purchase extends Order {
  readonly id: string
  readonly provenance: Provenance
  readonly status: 'accepted' | 'pending'
  /** The registered vendor this purchase was made with, when known. */
  readonly vendorId?: string
  /**
   * For an imported purchase, the file it came from in the owner's words (`amazon:
   * Retail.OrderHistory.1.csv`). Sealed with the order; the owner's own record, never shown to
   * a vendor (grants read purchases without it).
   */
  readonly importSource?: string
  readonly createdAt: string
}

/** Sortable UTC instant of an order date (a bare date counts as midnight UTC). */
export function orderInstant(orderDate: string): string {
  return new Date(orderDate.length === 10 ? `${orderDate}T00:00:00Z` : orderDate).toISOString()
}
