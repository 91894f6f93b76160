import { z } from 'zod'
import { orderInstant } from '../purchases/order.js'
import { DEFAULT_PURPOSE, PurposeList } from './purposes.js'

/**
 * The purchase slice of a grant: which purchases the vendor may read. Every given constraint
 * applies (AND). `madeWithVendor` limits to purchases linked to this vendor.
 */
export const PurchaseSlice = z
  .object({
    madeWithVendor: z.boolean().default(true),
    categories: z.array(z.string().trim().min(1).max(80)).min(1).max(50).optional(),
    /** The data window (issue 12, PDPP's `time_range`): orders on or after `since` … */
    since: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
    /** … and strictly before `until` — apart from the grant's expiry, which ends access itself. */
    until: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  })
  .strict()
  .refine((s) => !s.since || !s.until || orderInstant(s.since) < orderInstant(s.until), {
    message: 'since must be before until',
    path: ['until'],
  })
export type PurchaseSlice = z.output<typeof PurchaseSlice>

/**
 * What a grant lets its vendor do: `read` the granted fields and purchases, `append` receipts to
 * the inbox, `converse` — open and write in conversation threads with the owner, `intents` — see
 * the requests the owner publishes and send her offers (issue 13).
 */
/**
 * `draft` (issue 14): the owner's assistant may propose intents and messages, which wait for her
 * to send them — it never publishes or posts anything itself.
 */
export const GrantAction = z.enum(['read', 'append', 'converse', 'intents', 'draft'])
export type GrantAction = z.infer<typeof GrantAction>

/**
 * How often the vendor may read through a grant (issue 12 §5, PDPP's `access_mode`): `continuous`
 * until expiry or revocation, or `singleUse` — the first successful read consumes the grant
 * (grants/grant-consumption.ts) and every later use is refused with ERR_GRANT_CONSUMED.
 */
export const AccessMode = z.enum(['continuous', 'singleUse'])
export type AccessMode = z.infer<typeof AccessMode>

const MAX_GRANT_SECONDS = 2 * 366 * 24 * 3600

/** What the owner grants a vendor. Either `expiresAt` or `durationSeconds` sets the expiry. */
export const GrantInput = z
  .object({
    vendorId: z.string().min(1).max(64),
    fields: z.array(z.string().min(1).max(200)).max(200).default([]),
    purchases: PurchaseSlice.optional(),
    actions: z.array(GrantAction).min(1).max(GrantAction.options.length),
    purpose: z.string().trim().min(1).max(500),
    /** What the data may be used for, as DPV purpose IRIs (grants/purposes.ts); the default is service provision. */
    purposes: PurposeList.default([DEFAULT_PURPOSE]),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    durationSeconds: z.number().int().min(60).max(MAX_GRANT_SECONDS).optional(),
    /** Ids of the owner's proffered terms that the vendor accepted. */
    acceptedTerms: z.array(z.string().min(1).max(200)).max(20).default([]),
    accessMode: AccessMode.default('continuous'),
  })
  .strict()
  .refine((g) => (g.expiresAt === undefined) !== (g.durationSeconds === undefined), {
    message: 'give exactly one of expiresAt or durationSeconds',
    path: ['expiresAt'],
  })
  .refine((g) => !g.actions.includes('read') || g.fields.length > 0 || g.purchases !== undefined, {
    message: 'a read grant needs fields or a purchase slice',
    path: ['fields'],
  })
export type GrantInput = z.input<typeof GrantInput>

/** How a grant may be narrowed: every part optional, each must be within the current grant. */
export const GrantNarrowing = z
  .object({
    fields: z.array(z.string().min(1).max(200)).max(200).optional(),
    purchases: PurchaseSlice.nullable().optional(),
    actions: z.array(GrantAction).min(1).max(GrantAction.options.length).optional(),
    /** Fewer purposes: a subset of the grant's. */
    purposes: PurposeList.optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
export type GrantNarrowing = z.input<typeof GrantNarrowing>

/** The encrypted part of a grant row. */
export const GrantBody = z.object({
  fields: z.array(z.string()),
  purchases: PurchaseSlice.optional(),
  actions: z.array(GrantAction),
  purpose: z.string(),
  /** DPV purpose IRIs; empty only in grants made before purposes existed (issue 12). */
  purposes: z.array(z.string()).default([]),
  acceptedTerms: z.array(z.string()),
  /** Absent in grants made before single use existed: they are continuous. */
  accessMode: AccessMode.default('continuous'),
})
export type GrantBody = z.output<typeof GrantBody>

/** A grant as the owner and the API see it. */
export interface Grant extends GrantBody {
  readonly id: string
  readonly vendorId: string
  /**
   * `expired` is computed from `expiresAt` at read time; revoked is final, and so is consumed — a
   * single-use grant after its one read, at `updatedAt`.
   */
  readonly status: 'active' | 'revoked' | 'consumed' | 'expired'
  readonly revision: number
  readonly createdAt: string
  readonly updatedAt: string
  readonly expiresAt: string
}
