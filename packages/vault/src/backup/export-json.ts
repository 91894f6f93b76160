import { z } from 'zod'
import { AuditEntry } from '../audit/audit-entry.js'
import { AccessMode, GrantAction, PurchaseSlice } from '../grants/grant.js'
import { VendorInput } from '../grants/vendor.js'
import { IntentAudience, Money, Requirements } from '../intents/intent.js'
import { Order } from '../purchases/order.js'
import { MAX_THREAD_MESSAGES, ThreadStatus, ThreadTopic } from '../conversations/conversation.js'

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
  importSource: z.string().min(1).max(200).optional(),
})

export const ExportedVendor = VendorInput.extend({ id, blocked: z.boolean(), createdAt: instant })

export const ExportedGrant = z
  .object({
    id,
    vendorId: id,
    fields: z.array(z.string().max(200)).max(200),
    purchases: PurchaseSlice.optional(),
    actions: z.array(GrantAction).min(1).max(GrantAction.options.length),
    purpose: z.string().min(1).max(500),
    // DPV purpose IRIs (grants/purposes.ts); exports from before purposes have none.
    purposes: z.array(z.string().max(200)).max(10).default([]),
    acceptedTerms: z.array(z.string().max(200)).max(20),
    // Exports from before single-use grants have no access mode: continuous.
    accessMode: AccessMode.default('continuous'),
    status: z.enum(['active', 'revoked', 'consumed', 'expired']),
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

/**
 * A conversation (issue 13) as the owner keeps it: its words, and each message's signed entry,
 * hash and the vault's JWS, so the record checks anywhere (README, "Conversations"). Exported for
 * her records; an import does not bring threads into a vault (their signatures name the vault
 * they were written in: a backup restores them).
 */
export const ExportedThread = z
  .object({
    id,
    vendorId: id,
    openedBy: z.enum(['owner', 'vendor']),
    topic: ThreadTopic,
    subject: z.string().max(200),
    purchaseId: id.optional(),
    grantId: id.optional(),
    state: z.enum(['open', 'closed']),
    status: ThreadStatus,
    createdAt: instant,
    messages: z
      .array(
        z
          .object({
            seq: z.number().int().positive(),
            author: z.enum(['owner', 'vendor']),
            at: instant,
            text: z.string(),
            entry: z.string(),
            hash: z.string().max(64),
            jws: z.string(),
          })
          .strict(),
      )
      .max(MAX_THREAD_MESSAGES),
  })
  .strict()

/** An offer on an intent, with the signature it came with (intents/intent.ts). */
export const ExportedOffer = z
  .object({
    id,
    vendorId: id,
    state: z.enum(['open', 'withdrawn', 'accepted', 'declined']),
    price: Money,
    included: z.string().max(2000),
    validUntil: instant,
    terms: z.object({
      text: z.string().max(4000).optional(),
      url: z.string().max(2000).optional(),
    }),
    signature: z.object({ jws: z.string().max(16_000), signedBy: z.enum(['vendor', 'vault']) }),
    createdAt: instant,
    updatedAt: instant,
  })
  .strict()

/** One of the owner's intents and every offer made on it: her record (not imported back). */
export const ExportedIntent = z
  .object({
    id,
    category: z.string().max(80),
    text: z.string().max(2000),
    requirements: Requirements,
    disclose: z.array(z.string().max(200)).max(50),
    audience: IntentAudience,
    state: z.enum(['open', 'expired', 'fulfilled', 'closed']),
    openUntil: instant,
    createdAt: instant,
    closedAt: instant.optional(),
    acceptedOfferId: id.optional(),
    offers: z.array(ExportedOffer).max(100),
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
    /** Absent in exports from before conversations. */
    conversations: z.array(ExportedThread).max(100_000).optional(),
    /** The owner's intents with their offers; absent in exports from before intents. */
    intents: z.array(ExportedIntent).max(100_000).default([]),
  })
  .strict()
export type VaultExport = z.output<typeof VaultExport>
