import { z } from 'zod'
import type { BackupTable } from './backup-format.js'

/**
 * Shapes of the raw rows inside a backup, checked before a restore writes anything, so a
 * malformed (even if authentic) backup is refused with ERR_BACKUP_INVALID rather than failing
 * half-way in the database.
 */
const bytes = z.instanceof(Uint8Array)
const text = z.string().max(10_000)
const int = z.number().int()
const rowMac = bytes.nullable().optional()

export const BACKUP_ROW_SCHEMAS: Record<BackupTable, z.ZodType<Record<string, unknown>>> = {
  vault_meta: z
    .object({
      id: z.literal(1),
      vault_id: text,
      created_at: text,
      kdf_params: text,
      wrapped_root_passphrase: bytes,
      wrapped_root_recovery: bytes,
      current_term: int,
      failed_unlocks: int,
      unlock_blocked_until: text.nullable(),
      audit_head_seq: int,
      audit_head_hash: bytes.nullable(),
      audit_head_mac: bytes.nullable(),
      rotation_target: int.nullable(),
      // Added with row authentication; a backup from before it has none (defaults apply, and
      // the first unlock after the restore adopts its rows — integrity/adopt-rows.ts).
      ledger_epoch: int.optional(),
      audit_anchor_seq: int.optional(),
      row_auth_version: int.optional(),
    })
    .strict(),
  keyring: z
    .object({
      term: int,
      wrapped_key: bytes.nullable(),
      created_at: text,
      retired_at: text.nullable(),
    })
    .strict(),
  vendors: z
    .object({ id: text, body: bytes, blocked: int, term: int, created_at: text, row_mac: rowMac })
    .strict(),
  grants: z
    .object({
      id: text,
      vendor_id: text,
      status: z.enum(['active', 'revoked', 'consumed']),
      expires_at: text,
      revision: int,
      body: bytes,
      term: int,
      created_at: text,
      updated_at: text,
      row_mac: rowMac,
    })
    .strict(),
  fields: z.object({ path: text, value: bytes, term: int, updated_at: text }).strict(),
  purchases: z
    .object({
      id: text,
      order_date: text,
      seller_index: text,
      category_index: text.nullable(),
      provenance: z.enum(['owner', 'import', 'vendor']),
      status: z.enum(['accepted', 'pending']),
      vendor_id: text.nullable(),
      body: bytes,
      term: int,
      created_at: text,
      row_mac: rowMac,
    })
    .strict(),
  consent_events: z
    .object({
      id: text,
      vendor_id: text,
      grant_id: text.nullable(),
      kind: z.enum(['given', 'narrowed', 'withdrawn', 'refused']),
      revision: int.nullable(),
      at: text,
      body: bytes,
      term: int,
      row_mac: bytes,
    })
    .strict(),
  conversation_threads: z
    .object({
      id: text,
      vendor_id: text,
      opened_by: z.enum(['owner', 'vendor']),
      grant_id: text.nullable(),
      purchase_id: text.nullable(),
      state: z.enum(['open', 'closed']),
      last_seq: int,
      head_hash: bytes,
      created_at: text,
      body: bytes,
      term: int,
      row_mac: bytes,
      status: z.enum(['waiting_for_you', 'waiting_for_vendor', 'resolved']),
      status_since: text,
      last_at: text,
      owner_read_seq: int,
      vendor_read_seq: int,
    })
    .strict(),
  conversation_messages: z
    .object({
      id: text,
      thread_id: text,
      seq: int,
      author: z.enum(['owner', 'vendor']),
      at: text,
      prev_hash: bytes,
      hash: bytes,
      body: bytes,
      term: int,
      row_mac: bytes,
    })
    .strict(),
  intents: z
    .object({
      id: text,
      state: z.enum(['open', 'fulfilled', 'closed']),
      audience: text,
      open_until: text,
      created_at: text,
      closed_at: text.nullable(),
      accepted_offer_id: text.nullable(),
      body: bytes,
      term: int,
      row_mac: bytes,
    })
    .strict(),
  intent_offers: z
    .object({
      id: text,
      intent_id: text,
      vendor_id: text,
      state: z.enum(['open', 'withdrawn', 'accepted', 'declined']),
      created_at: text,
      updated_at: text,
      body: bytes,
      term: int,
      row_mac: bytes,
    })
    .strict(),
  audit: z
    .object({
      seq: int,
      at: text,
      entry: z.string().max(100_000),
      prev_hash: bytes,
      hash: bytes,
      mac: bytes.nullable(),
    })
    .strict(),
}
