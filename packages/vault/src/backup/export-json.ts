import { z } from 'zod'
import { AuditEntry } from '../audit/audit-entry.js'
import { GrantAction, PurchaseSlice } from '../grants/grant.js'
import { VendorInput } from '../grants/vendor.js'
import { Order } from '../purchases/order.js'

/**
 * The portable export (`custos-export`, version 1): everything in plaintext JSON, for the
 * owner to take elsewhere. Documented in the README; fields are keyed by path, purchases
 * follow schema.org `Order`, and the audit log is included for the owner's records.
 */
// Ids as the vault makes them (`ven_…`, base64url): the alphabet the audit log's actor accepts,
// and nothing a database text column refuses (PostgreSQL rejects NUL characters).
const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'an id')
const instant = z.iso.datetime({ offset: true })

export const ExportedPurchase = Order.extend({
  id,
  provenance: z.enum(['owner', 'import', 'vendor']),
  status: z.enum(['accepted', 'pending']),
  vendorId: id.optional(),
  createdAt: instant,
})

export const ExportedVendor = VendorInput.extend({ id, blocked: z.boolean(), createdAt: instant })

export const ExportedGrant = z
  .object({
    id,
    vendorId: id,
    fields: z.array(z.string().max(200)).max(200),
    purchases: PurchaseSlice.optional(),
    actions: z.array(GrantAction).min(1).max(2),
    purpose: z.string().min(1).max(500),
    // DPV purpose IRIs (grants/purposes.ts); exports from before purposes have none.
    purposes: z.array(z.string().max(200)).max(10).default([]),
    acceptedTerms: z.array(z.string().max(200)).max(20),
    status: z.enum(['active', 'revoked', 'expired']),
    revision: z
      .number()
      .int()
      .positive()
      .max(2 ** 31 - 1), // an `integer` column on PostgreSQL
    createdAt: instant,
    updatedAt: instant,
    expiresAt: instant,
  })
  .strict()

export const VaultExport = z
  .object({
    format: z.literal('custos-export'),
    version: z.literal(1),
    exportedAt: instant,
    vaultId: z.string().max(64),
    fields: z.record(z.string().max(200), z.unknown()),
    purchases: z.array(ExportedPurchase).max(10_000_000),
    vendors: z.array(ExportedVendor).max(100_000),
    grants: z.array(ExportedGrant).max(1_000_000),
    audit: z.array(AuditEntry),
  })
  .strict()
export type VaultExport = z.output<typeof VaultExport>
