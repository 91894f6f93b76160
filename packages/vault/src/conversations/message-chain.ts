import { createHash } from 'node:crypto'
import { z } from 'zod'
import { IntegrityError } from '../errors.js'
import { RequestedAction, ThreadStatus, ThreadTopic } from './conversation.js'

/**
 * The hash chain of a thread's messages. Each message is one canonical entry — JSON with a fixed
 * key order, so anyone can recompute its hash — naming its vault, thread, vendor, place (`seq`)
 * and the previous entry's SHA-256 (`prev`; 64 zeros for the first). The vault signs (or
 * countersigns) exactly these bytes, so a thread exported as a bundle verifies offline with any
 * SHA-256 and JWS tool: a message cannot be edited, reordered, dropped from the middle or moved
 * to another thread without breaking a hash or a signature, and the thread row's MAC over the
 * head stops one being cut from the end inside the vault.
 */
export const ENTRY_TYPE = 'custos-message/v1'
export const GENESIS_HEX = '0'.repeat(64)

const HEX_HASH = z.string().regex(/^[0-9a-f]{64}$/)

/** A message entry as signed. Parsed strictly on every read: an entry the vault did not write fails. */
export const MessageEntry = z
  .object({
    typ: z.literal(ENTRY_TYPE),
    vault: z.string().min(1).max(64),
    thread: z.string().min(1).max(64),
    vendor: z.string().min(1).max(64),
    seq: z.number().int().min(1),
    prev: HEX_HASH,
    at: z.string().min(1).max(40),
    author: z.enum(['owner', 'vendor']),
    client: z.string().min(1).max(64).nullable(),
    opens: z
      .object({
        topic: ThreadTopic,
        subject: z.string().max(200),
        purchaseId: z.string().max(64).nullable(),
        grantId: z.string().max(64).nullable(),
      })
      .strict()
      .nullable(),
    text: z.string(),
    orderNumber: z.string().max(64).nullable(),
    requestedAction: RequestedAction.nullable(),
    status: ThreadStatus.nullable(),
    closes: z.boolean(),
    vendorJws: z.string().nullable(),
  })
  .strict()
export type MessageEntry = z.output<typeof MessageEntry>

/** The canonical text of an entry: the keys in the schema's order, nothing else. */
export function canonicalMessageEntry(entry: MessageEntry): string {
  return JSON.stringify({
    typ: entry.typ,
    vault: entry.vault,
    thread: entry.thread,
    vendor: entry.vendor,
    seq: entry.seq,
    prev: entry.prev,
    at: entry.at,
    author: entry.author,
    client: entry.client,
    opens: entry.opens
      ? {
          topic: entry.opens.topic,
          subject: entry.opens.subject,
          purchaseId: entry.opens.purchaseId,
          grantId: entry.opens.grantId,
        }
      : null,
    text: entry.text,
    orderNumber: entry.orderNumber,
    requestedAction: entry.requestedAction,
    status: entry.status,
    closes: entry.closes,
    vendorJws: entry.vendorJws,
  })
}

/** SHA-256 of an entry's UTF-8 bytes, hex. */
export function entryHashHex(entry: string): string {
  return createHash('sha256').update(entry, 'utf8').digest('hex')
}

/** The payload of a compact JWS (RFC 7515 §7.1), as text; undefined when it is not one. */
export function jwsPayload(jws: string): string | undefined {
  const parts = jws.split('.')
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined
  return Buffer.from(parts[1] as string, 'base64url').toString('utf8')
}

/** One link of a chain as stored or exported. */
export interface ChainLink {
  readonly entry: string
  readonly jws: string
}

/**
 * Checks a thread's entries as a chain: canonical, of this thread, numbered from 1 without gaps,
 * each naming the previous entry's hash, each signed (the JWS payload is the entry; the signature
 * itself is checked by whoever holds the public key). Returns the parsed entries and the head
 * hash. Throws ERR_INTEGRITY at the first link that does not hold.
 */
export function verifyChain(
  links: readonly ChainLink[],
  expect: { readonly thread: string; readonly vault?: string; readonly vendor?: string },
): { entries: MessageEntry[]; head: string } {
  let prev = GENESIS_HEX
  const entries: MessageEntry[] = []
  for (const [i, link] of links.entries()) {
    let parsed: MessageEntry
    try {
      parsed = MessageEntry.parse(JSON.parse(link.entry))
    } catch {
      throw new IntegrityError('A conversation message failed its integrity check')
    }
    if (
      canonicalMessageEntry(parsed) !== link.entry ||
      parsed.seq !== i + 1 ||
      parsed.prev !== prev ||
      parsed.thread !== expect.thread ||
      (expect.vault !== undefined && parsed.vault !== expect.vault) ||
      parsed.vendor !== (expect.vendor ?? entries[0]?.vendor ?? parsed.vendor) ||
      i > 0 === (parsed.opens !== null) ||
      jwsPayload(link.jws) !== link.entry
    )
      throw new IntegrityError('A conversation message failed its integrity check')
    prev = entryHashHex(link.entry)
    entries.push(parsed)
  }
  return { entries, head: prev }
}
