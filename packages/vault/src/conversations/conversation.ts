import { z } from 'zod'

/**
 * Conversations (issue 13): threads between the owner and one vendor, kept in her vault rather
 * than in the vendor's CRM. The schemas here are the single source of truth for what a thread and
 * a message may hold; the store (conversation-store.ts) enforces who may write them.
 */

/** What a thread is about. */
export const ThreadTopic = z.enum(['purchase', 'return', 'complaint', 'question'])
export type ThreadTopic = z.infer<typeof ThreadTopic>

/** Where a thread stands: whose turn it is, or settled. */
export const ThreadStatus = z.enum(['waiting_for_you', 'waiting_for_vendor', 'resolved'])
export type ThreadStatus = z.infer<typeof ThreadStatus>

/** What the writer asks the other side to do, where a message asks for something. */
export const RequestedAction = z.enum([
  'refund',
  'replacement',
  'repair',
  'cancellation',
  'information',
  'other',
])
export type RequestedAction = z.infer<typeof RequestedAction>

/** A message's text, at most this many characters … */
export const MAX_MESSAGE_CHARS = 4000
/** … and this many UTF-8 bytes. Longer: ERR_MESSAGE_TOO_LARGE. */
export const MAX_MESSAGE_BYTES = 16 * 1024
/** A vendor's signed copy of its message, at most this long (checked by the caller, kept here). */
export const MAX_VENDOR_JWS_CHARS = 32 * 1024
/** Open threads a vendor may have opened itself: a vendor must not flood the owner's list. */
export const MAX_VENDOR_OPEN_THREADS = 20
/** Messages per thread: a thread's whole chain is verified on every read. */
export const MAX_THREAD_MESSAGES = 1000

/**
 * One message: text and structured fields. Text may be empty only when the message changes the
 * status (a vendor marking a thread resolved says so without words).
 */
export const MessageInput = z
  .object({
    // Length is checked after parsing, so that an oversized text is ERR_MESSAGE_TOO_LARGE.
    text: z.string().trim().default(''),
    orderNumber: z.string().trim().min(1).max(64).optional(),
    requestedAction: RequestedAction.optional(),
    status: ThreadStatus.optional(),
  })
  .strict()
  .refine((m) => m.text.length > 0 || m.status !== undefined, {
    message: 'a message needs text or a status',
    path: ['text'],
  })
export type MessageInput = z.input<typeof MessageInput>
export type ParsedMessage = z.output<typeof MessageInput>

/** A new thread: who with, about what, what it links to, and its first message. */
export const ThreadInput = z
  .object({
    vendorId: z.string().min(1).max(64),
    topic: ThreadTopic,
    subject: z.string().trim().min(1).max(200),
    purchaseId: z.string().min(1).max(64).optional(),
    grantId: z.string().min(1).max(64).optional(),
    message: MessageInput,
  })
  .strict()
export type ThreadInput = z.input<typeof ThreadInput>

/** A new thread as a vendor opens it: the vendor and the grant come from its credential. */
export const VendorThreadInput = ThreadInput.omit({ vendorId: true, grantId: true })
export type VendorThreadInput = z.input<typeof VendorThreadInput>

/** The sealed part of a thread row. */
export const ThreadBody = z.object({ topic: ThreadTopic, subject: z.string() }).strict()
export type ThreadBody = z.output<typeof ThreadBody>

/** One message as read back: its words, its place in the chain, and the signed entry itself. */
export interface ConversationMessage {
  readonly id: string
  readonly seq: number
  readonly author: 'owner' | 'vendor'
  readonly at: string
  readonly text: string
  readonly orderNumber?: string
  readonly requestedAction?: RequestedAction
  readonly status?: ThreadStatus
  /** The message closed the thread. */
  readonly closes: boolean
  /** The vendor client that posted it (vendor messages): the authenticated client, recorded on receipt. */
  readonly clientId?: string
  /** The canonical entry (JSON) the chain hashes and the vault's signature covers. */
  readonly entry: string
  /** SHA-256 of `entry`, hex; the next message's `prevHash`. */
  readonly hash: string
  readonly prevHash: string
  /** The vault's compact JWS over `entry`: its signature (owner) or countersignature (vendor). */
  readonly jws: string
  /** The vendor's own compact JWS of its message, when it signed it with its registered key. */
  readonly vendorJws?: string
}

/** A thread in a list: what the owner's Conversations page shows per row. */
export interface ThreadSummary {
  readonly id: string
  readonly vendorId: string
  readonly openedBy: 'owner' | 'vendor'
  readonly topic: ThreadTopic
  readonly subject: string
  readonly purchaseId?: string
  readonly grantId?: string
  readonly state: 'open' | 'closed'
  readonly status: ThreadStatus
  /** When the status last changed: with `waiting_for_vendor`, "waiting for the vendor since". */
  readonly statusSince: string
  readonly createdAt: string
  readonly lastAt: string
  readonly messages: number
  /** Messages from the other side not yet read (the owner's view: vendor messages; the vendor's: owner messages). */
  readonly unread: number
}

/** A thread with every message, its chain verified. */
export interface Thread extends ThreadSummary {
  readonly messages: number
  readonly items: readonly ConversationMessage[]
}

/**
 * Signs a message's canonical entry with the vault's key and returns the compact JWS (RFC 7515)
 * whose payload is exactly `entry`. The vault holds no signing key of its own (the consent API's
 * signing-key store does), so the caller passes this in.
 */
export type EntrySigner = (entry: string) => Promise<string> | string

/** Who a vendor is when it reads or writes: its client id and the grant its token carries. */
export interface ConversationCaller {
  readonly vendorId: string
  readonly grantId: string
}
