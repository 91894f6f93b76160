import { z } from 'zod'
import { PurchaseSlice } from '@custos/vault'

/**
 * The purchase slice of a grant in the words vendors see — `custos_fields` authorization details
 * (RFC 9396) in requests, token and introspection responses, and `GET /v1/grant`: snake_case like
 * every other name of the OAuth and resource APIs (`made_with_vendor`). The vault keeps its own
 * camelCase `PurchaseSlice`; this file is the one translation between the two.
 */
export const VendorPurchaseSlice = z.object({
  made_with_vendor: z.boolean(),
  categories: z.array(z.string()).optional(),
  since: z.string().optional(),
  until: z.string().optional(),
})
export type VendorPurchaseSlice = z.output<typeof VendorPurchaseSlice>

/**
 * A slice as a vendor asks for it: `made_with_vendor` (default true, as in the vault), or the
 * earlier spelling `madeWithVendor`, still accepted so that existing vendors keep working; both
 * at once must agree. The rules for categories and dates are the vault's.
 */
export const VendorPurchaseSliceInput = z
  .object({
    made_with_vendor: z.boolean().optional(),
    /** @deprecated the earlier spelling; send `made_with_vendor`. */
    madeWithVendor: z.boolean().optional(),
    categories: PurchaseSlice.shape.categories,
    since: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
    until: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  })
  .strict()
  .refine(
    (s) =>
      s.made_with_vendor === undefined ||
      s.madeWithVendor === undefined ||
      s.made_with_vendor === s.madeWithVendor,
    'made_with_vendor and madeWithVendor disagree',
  )
  .transform(
    (s): PurchaseSlice => ({
      madeWithVendor: s.made_with_vendor ?? s.madeWithVendor ?? true,
      ...(s.categories ? { categories: s.categories } : {}),
      ...(s.since ? { since: s.since } : {}),
      ...(s.until ? { until: s.until } : {}),
    }),
  )

/** The vault's slice as vendors read it. */
export function toVendorSlice(slice: PurchaseSlice): VendorPurchaseSlice {
  return {
    made_with_vendor: slice.madeWithVendor,
    ...(slice.categories ? { categories: slice.categories } : {}),
    ...(slice.since ? { since: slice.since } : {}),
    ...(slice.until ? { until: slice.until } : {}),
  }
}
