import sodiumNative from 'sodium-native'
import { z } from 'zod'
import type { Sodium } from '../crypto/sodium.js'

/** What an audit entry records. */
export const AuditAction = z.enum([
  'vault.created',
  'vault.unlocked',
  'vault.unlock_failed',
  'vault.locked',
  'owner.authenticated',
  'vault.passphrase_changed',
  'vault.recovered',
  'keys.rotation_started',
  'keys.rotated',
  'vendor.registered',
  'vendor.blocked',
  'vendor.unblocked',
  /** The owner asked a vendor to erase what it holds about her (a signal, signals/signal-outbox.ts). */
  'vendor.erasure_requested',
  /** The vendor answered an erasure request with its own signed event. */
  'vendor.erasure_acknowledged',
  'grant.created',
  'grant.narrowed',
  'grant.revoked',
  /** A single-use grant's one read: the grant is finished (grants/grant-consumption.ts). */
  'grant.consumed',
  'grant.read',
  'grant.refused',
  /** The owner said no to a vendor's request on the consent page (a receipt exists for it). */
  'grant.denied',
  /** An authorization request refused before the consent page (a purpose the owner never allows). */
  'request.refused',
  /** A vendor looked at its grant (`GET /v1/grant`: what it may do, the consent receipt). */
  'grant.viewed',
  /**
   * The owner's assistant proposed a draft (issue 14: an intent or a message) through a grant with
   * the `draft` action; nothing was published or posted — the owner sends it, or not.
   */
  'draft.proposed',
  /** A vendor exchanged an authorization code for its first tokens. */
  'token.issued',
  /** A vendor used a refresh token for a new pair (RFC 6749 §6). */
  'token.refreshed',
  'inbox.appended',
  'inbox.accepted',
  'inbox.rejected',
  'vault.exported',
  'vault.imported',
  'vault.backed_up',
  'vault.restored',
  'audit.break_acknowledged',
  'purchases.linked',
  'purchases.unlinked',
  /** A conversation thread was opened (by the owner or a vendor); `detail` is its id. */
  'conversation.opened',
  /** A message was posted to a thread; `detail` is the thread's id. */
  'conversation.posted',
  /** The owner closed a thread. */
  'conversation.closed',
  /** A vendor read a thread (or its list of threads, without `detail`). */
  'conversation.read',
  /** The owner published an intent; `detail` is its id. */
  'intent.created',
  /** The owner closed an intent without accepting an offer (its open offers are declined). */
  'intent.closed',
  /** A vendor listed or read the intents it may see (`detail`: the intent, for one). */
  'intent.viewed',
  /** A vendor made an offer; `detail` is the offer's id. */
  'intent.offered',
  /** A vendor withdrew its offer; `detail` is the offer's id. */
  'intent.offer_withdrawn',
  /** The owner accepted an offer (the intent is fulfilled); `paths` are the fields she will disclose. */
  'intent.offer_accepted',
  /** The owner declined an offer (or accepted another, or closed the intent). */
  'intent.offer_declined',
])
export type AuditAction = z.infer<typeof AuditAction>

/**
 * Where an owner action came from: the web pages, the `custos` command line, the owner JSON API,
 * or a program using the library directly (the default). Said by the caller, not proven: it tells
 * the owner which door was used, the passphrase remains what proves who used it.
 */
export const AuditOrigin = z.enum(['browser', 'cli', 'api', 'library'])
export type AuditOrigin = z.infer<typeof AuditOrigin>

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
  /** Where an owner's lock, unlock or sign-in came from (see {@link AuditOrigin}). */
  origin: AuditOrigin.optional(),
  /** DPV purpose IRIs: what a grant allows the data to be used for, or what a refused request asked (grants/purposes.ts). */
  purposes: z.array(z.string().max(200)).max(10).optional(),
  /** How many refusals this entry stands for, when a burst was aggregated (audit/refusal-burst.ts); absent means one. */
  count: z.number().int().min(2).optional(),
})
export type AuditEntryInput = z.input<typeof AuditEntryInput>

export const AuditEntry = AuditEntryInput.extend({
  seq: z.number().int().positive(),
  at: z.string(),
})
export type AuditEntry = z.output<typeof AuditEntry>

/**
 * The canonical bytes of an entry: fixed key order, so the hash chain is reproducible. Fields added
 * after the first logs were written (`origin`, `count`, `purposes`) follow the original keys and appear only
 * when present, so every entry without them keeps its byte-identical form and old logs verify.
 */
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
    ...(entry.origin !== undefined ? { origin: entry.origin } : {}),
    ...(entry.count !== undefined ? { count: entry.count } : {}),
    ...(entry.purposes !== undefined ? { purposes: entry.purposes } : {}),
  })
}

export function entryFromCanonical(text: string): AuditEntry {
  const raw = JSON.parse(text) as Record<string, unknown>
  const withoutNulls = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null))
  return AuditEntry.parse(withoutNulls)
}

/** The genesis of logs created before the genesis was bound to the vault (row_auth_version 0 and 1). */
export const GENESIS_HASH = new Uint8Array(32)

/*
 * The three hashes below are BLAKE2b through `sodium-native` (the same libsodium, bound natively,
 * as crypto/aead.ts does for the same reason): every vendor read appends an entry, and the WASM
 * build's copying of each argument in and out of its heap cost more than the hash itself. The
 * bytes are unchanged — audit-log.test.ts checks them against the WASM build. The `sodium`
 * parameter stays so callers need not care which binding computes them.
 */
const view = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
const ENTRY_MAC_LABEL = Buffer.from('custos/audit/v1\0', 'latin1')
const HEAD_MAC_LABEL = Buffer.from('custos/head/v1\0\0', 'latin1')
const HEAD_MAC_LABEL_V2 = Buffer.from('custos/head/v2\0\0', 'latin1')
const GENESIS_LABEL = Buffer.from('custos/genesis/v1', 'latin1')

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

/**
 * The hash entry 1 links to. Bound to the vault id (row_auth_version 2), so a log can neither be
 * wiped and started afresh nor carried over from another vault; older logs start from zeros.
 */
export function genesisHash(vaultId: string, rowAuthVersion: number): Uint8Array {
  if (rowAuthVersion < 2) return GENESIS_HASH
  const out = new Uint8Array(32)
  sodiumNative.crypto_generichash_batch(view(out), [GENESIS_LABEL, Buffer.from(vaultId, 'utf8')])
  return out
}

/** What the head MAC vouches for: the chain's end, and the `vault_meta` state the barrier relies on. */
export interface HeadState {
  readonly seq: number
  readonly hash: Uint8Array
  /** `vault_meta.ledger_epoch`: lowering it to match saved grant rows breaks the head. */
  readonly epoch: number
  /** `vault_meta.audit_anchor_seq`: the newest acknowledged break. */
  readonly anchorSeq: number
  readonly rowAuthVersion: number
}

/**
 * The head MAC, so cutting off the newest entries, or editing the ledger epoch, the anchor or the
 * row-authentication version in `vault_meta`, is detected. Vaults not yet adopted into row
 * authentication (version 0) keep the first form, over the count and last hash only.
 */
export function headMacOf(_sodium: Sodium, auditKey: Uint8Array, head: HeadState): Uint8Array {
  if (head.rowAuthVersion === 0) return headMac(_sodium, auditKey, head.seq, head.hash)
  const numbers = Buffer.alloc(16)
  numbers.writeUInt32BE(head.seq, 0)
  numbers.writeUInt32BE(head.epoch, 4)
  numbers.writeUInt32BE(head.anchorSeq, 8)
  numbers.writeUInt32BE(head.rowAuthVersion, 12)
  const out = new Uint8Array(32)
  sodiumNative.crypto_generichash_batch(
    view(out),
    [HEAD_MAC_LABEL_V2, numbers, view(head.hash)],
    view(auditKey),
  )
  return out
}

/** The first form of the head MAC (count + last hash), used by logs from before row authentication. */
export function headMac(
  _sodium: Sodium,
  auditKey: Uint8Array,
  seq: number,
  hash: Uint8Array,
): Uint8Array {
  const count = Buffer.alloc(4)
  count.writeUInt32BE(seq, 0)
  const out = new Uint8Array(32)
  sodiumNative.crypto_generichash_batch(
    view(out),
    [HEAD_MAC_LABEL, count, view(hash)],
    view(auditKey),
  )
  return out
}
