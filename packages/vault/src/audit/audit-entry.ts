import sodiumNative from 'sodium-native'
import { z } from 'zod'
import type { Sodium } from '../crypto/sodium.js'

/** What an audit entry records. */
export const AuditAction = z.enum([
  'vault.created',
  'vault.unlocked',
  'vault.unlock_failed',
  'owner.authenticated',
  'vault.passphrase_changed',
  'vault.recovered',
  'keys.rotation_started',
  'keys.rotated',
  'vendor.registered',
  'vendor.blocked',
  'vendor.unblocked',
  'grant.created',
  'grant.narrowed',
  'grant.revoked',
  'grant.read',
  'grant.refused',
  'inbox.appended',
  'inbox.accepted',
  'inbox.rejected',
  'vault.exported',
  'vault.imported',
  'vault.backed_up',
  'vault.restored',
])
export type AuditAction = z.infer<typeof AuditAction>

/**
 * One audit entry: ids, field paths, purchase ids, times and outcome codes — never values,
 * tokens or passphrases (SECURITY.md promise 21). `actor` is `owner`, `system` or `vendor:<id>`.
 */
export const AuditEntryInput = z.object({
  action: AuditAction,
  actor: z.string().regex(/^(owner|system|vendor:[A-Za-z0-9_-]{1,64})$/),
  vendorId: z.string().max(64).optional(),
  grantId: z.string().max(64).optional(),
  paths: z.array(z.string().max(200)).max(100_000).optional(),
  purchaseIds: z.array(z.string().max(64)).max(1000).optional(),
  outcome: z.enum(['ok', 'refused']).default('ok'),
  /** A stable error code when refused (e.g. ERR_GRANT_EXPIRED), or a method name. */
  detail: z.string().max(64).optional(),
})
export type AuditEntryInput = z.input<typeof AuditEntryInput>

export const AuditEntry = AuditEntryInput.extend({ seq: z.number().int().positive(), at: z.string() })
export type AuditEntry = z.output<typeof AuditEntry>

/** The canonical bytes of an entry: fixed key order, so the hash chain is reproducible. */
export function canonicalEntry(entry: AuditEntry): string {
  return JSON.stringify({
    seq: entry.seq,
    at: entry.at,
    action: entry.action,
    actor: entry.actor,
    vendorId: entry.vendorId ?? null,
    grantId: entry.grantId ?? null,
    paths: entry.paths ?? null,
    purchaseIds: entry.purchaseIds ?? null,
    outcome: entry.outcome,
    detail: entry.detail ?? null,
  })
}

export function entryFromCanonical(text: string): AuditEntry {
  const raw = JSON.parse(text) as Record<string, unknown>
  const withoutNulls = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null))
  return AuditEntry.parse(withoutNulls)
}

export const GENESIS_HASH = new Uint8Array(32)

/*
 * The three hashes below are BLAKE2b through `sodium-native` (the same libsodium, bound natively,
 * as crypto/aead.ts does for the same reason): every vendor read appends an entry, and the WASM
 * build's copying of each argument in and out of its heap cost more than the hash itself. The
 * bytes are unchanged — audit-log.test.ts checks them against the WASM build. The `sodium`
 * parameter stays so callers need not care which binding computes them.
 */
const view = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
const ENTRY_MAC_LABEL = Buffer.from('custos/audit/v1\0', 'latin1')
const HEAD_MAC_LABEL = Buffer.from('custos/head/v1\0\0', 'latin1')

/** hash_n = BLAKE2b-256(hash_{n-1} ‖ canonical(entry_n)): any edit, deletion or reordering breaks the chain. */
export function chainHash(_sodium: Sodium, prevHash: Uint8Array, canonical: string): Uint8Array {
  const out = new Uint8Array(32)
  sodiumNative.crypto_generichash_batch(view(out), [view(prevHash), Buffer.from(canonical, 'utf8')])
  return out
}

/** MAC of an entry's hash under the audit subkey (keyed BLAKE2b): only the key holder can extend the chain. */
export function entryMac(_sodium: Sodium, auditKey: Uint8Array, hash: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  sodiumNative.crypto_generichash_batch(view(out), [ENTRY_MAC_LABEL, view(hash)], view(auditKey))
  return out
}

/** MAC of the chain head (count + last hash), so deleting the newest entries is detected too. */
export function headMac(_sodium: Sodium, auditKey: Uint8Array, seq: number, hash: Uint8Array): Uint8Array {
  const count = Buffer.alloc(4)
  count.writeUInt32BE(seq, 0)
  const out = new Uint8Array(32)
  sodiumNative.crypto_generichash_batch(view(out), [HEAD_MAC_LABEL, count, view(hash)], view(auditKey))
  return out
}
