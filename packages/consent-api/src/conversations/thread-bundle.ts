import { createHash } from 'node:crypto'
import { type JWK, compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose'
import { z } from 'zod'
import { GENESIS_HEX, MessageEntry, canonicalMessageEntry } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { MESSAGE_TYP, VENDOR_MESSAGE_TYP } from './message-signature.js'

export const THREAD_BUNDLE_FORMAT = 'custos-thread'

/**
 * A conversation as one self-contained signed file (issue 13: "the owner keeps the whole
 * record"): every message's canonical entry with the vault's JWS over it, the vault's public key,
 * and the vendor's public keys when it signed messages itself. It verifies offline — with
 * {@link verifyThreadBundle} (`custos verify-thread FILE`) or by hand with any SHA-256 and JWS
 * tool (README, "Conversations"): each JWS verifies under the vault's key with the entry as its
 * payload, each entry's `prev` is the SHA-256 of the one before (64 zeros for the first), `seq`
 * counts from 1 without a gap, and a vendor's own JWS verifies under its key.
 */
export const ThreadBundle = z
  .object({
    format: z.literal(THREAD_BUNDLE_FORMAT),
    version: z.literal(1),
    exported_at: z.string(),
    issuer: z.string(),
    thread_id: z.string().min(1).max(64),
    vendor: z.object({ id: z.string(), name: z.string().optional() }).strict(),
    verify_with: z
      .object({
        jwks_uri: z.string(),
        keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10),
        vendor_keys: z.array(z.record(z.string(), z.unknown())).max(20).optional(),
      })
      .strict(),
    messages: z
      .array(
        z
          .object({ seq: z.number().int(), entry: z.string(), hash: z.string(), jws: z.string() })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict()
export type ThreadBundle = z.output<typeof ThreadBundle>

/** The owner's bundle of one thread (ERR_NOT_FOUND for an unknown one; sealed: ERR_VAULT_LOCKED). */
export async function threadBundle(app: AppContext, threadId: string): Promise<ThreadBundle> {
  const thread = await app.vault.conversations.read(threadId, { markRead: false })
  const jwk = (await app.stores.signingKeys.signingKey()).publicJwk
  const vendor = await app.vault.vendors.get(thread.vendorId).catch(() => undefined)
  const signedByVendor = thread.items.some((m) => m.vendorJws !== undefined)
  const client = signedByVendor ? await app.stores.clients.load(thread.vendorId) : undefined
  const vendorKeys = client?.jwks?.keys.map((k) => publicOnly(k))
  return {
    format: THREAD_BUNDLE_FORMAT,
    version: 1,
    exported_at: app.now().toISOString(),
    issuer: app.config.issuer,
    thread_id: thread.id,
    vendor: { id: thread.vendorId, ...(vendor ? { name: vendor.name } : {}) },
    verify_with: {
      jwks_uri: `${app.config.issuer}/.well-known/jwks.json`,
      keys: [{ ...jwk }],
      ...(vendorKeys && vendorKeys.length > 0 ? { vendor_keys: vendorKeys } : {}),
    },
    messages: thread.items.map((m) => ({ seq: m.seq, entry: m.entry, hash: m.hash, jws: m.jws })),
  }
}

/** A key's public members only: a registered JWK Set should hold no private ones, but never copy one. */
function publicOnly(k: Record<string, unknown>): Record<string, unknown> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...pub } = k
  return pub
}

/** What {@link verifyThreadBundle} found. */
export interface ThreadVerification {
  readonly ok: boolean
  readonly threadId?: string
  readonly messages: number
  /** Messages signed by the vendor itself (and verified). */
  readonly vendorSigned: number
  /** The first problem, in words; absent when `ok`. */
  readonly problem?: string
}

/**
 * Verifies a thread bundle offline: no network, no vault — only the keys in the file. Check the
 * vault key's fingerprint (`kid`, an RFC 7638 thumbprint) against the vault's published JWK Set
 * once, so the file's own key is not simply trusted.
 */
export async function verifyThreadBundle(input: unknown): Promise<ThreadVerification> {
  const parsed = ThreadBundle.safeParse(input)
  if (!parsed.success)
    return { ok: false, messages: 0, vendorSigned: 0, problem: 'not a custos-thread v1 file' }
  const b = parsed.data
  const fail = (problem: string, at?: number) => ({
    ok: false,
    threadId: b.thread_id,
    messages: b.messages.length,
    vendorSigned: 0,
    problem: at === undefined ? problem : `message ${at}: ${problem}`,
  })
  const vaultKeys = createLocalJWKSet({ keys: b.verify_with.keys as JWK[] })
  const vendorKeys = b.verify_with.vendor_keys
    ? createLocalJWKSet({ keys: b.verify_with.vendor_keys as JWK[] })
    : undefined
  let prev = GENESIS_HEX
  let vendorSigned = 0
  const decoder = new TextDecoder('utf-8', { fatal: true })
  for (const [i, m] of b.messages.entries()) {
    const seq = i + 1
    let payload: string
    try {
      if (decodeProtectedHeader(m.jws).typ !== MESSAGE_TYP)
        return fail('not a message signature', seq)
      payload = decoder.decode(
        (await compactVerify(m.jws, vaultKeys, { algorithms: ['EdDSA'] })).payload,
      )
    } catch {
      return fail('the vault signature does not verify', seq)
    }
    if (payload !== m.entry) return fail('the signature is over another entry', seq)
    let entry: MessageEntry
    try {
      entry = MessageEntry.parse(JSON.parse(m.entry))
    } catch {
      return fail('not a message entry', seq)
    }
    if (canonicalMessageEntry(entry) !== m.entry) return fail('the entry is not canonical', seq)
    if (entry.seq !== seq || m.seq !== seq) return fail('out of order or missing', seq)
    if (entry.thread !== b.thread_id || entry.vendor !== b.vendor.id)
      return fail('of another thread', seq)
    if (entry.prev !== prev) return fail('the chain is broken (prev does not match)', seq)
    prev = createHash('sha256').update(m.entry, 'utf8').digest('hex')
    if (m.hash !== prev) return fail('the hash does not match the entry', seq)
    if (entry.vendorJws !== null) {
      if (!vendorKeys) return fail('signed by the vendor, but the file has no vendor key', seq)
      try {
        if (decodeProtectedHeader(entry.vendorJws).typ !== VENDOR_MESSAGE_TYP) throw new Error()
        const signed = JSON.parse(
          decoder.decode((await compactVerify(entry.vendorJws, vendorKeys)).payload),
        ) as { text?: unknown; thread_id?: unknown }
        if (signed.text !== entry.text) throw new Error()
        if (seq > 1 && signed.thread_id !== b.thread_id) throw new Error()
      } catch {
        return fail('the vendor signature does not verify or says something else', seq)
      }
      vendorSigned++
    }
  }
  return { ok: true, threadId: b.thread_id, messages: b.messages.length, vendorSigned }
}
