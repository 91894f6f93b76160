import type { Transaction } from 'kysely'
import { type VaultContext, newId } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { sealJson } from '../crypto/envelope.js'
import type { ConversationThreadsTable, VaultDatabase } from '../db/schema.js'
import { ValidationError, VaultError, issuesFromZod } from '../errors.js'
import { checkGrantRow, decryptGrantBody } from '../grants/grant-store.js'
import { authenticated } from '../integrity/row-auth.js'
import { enqueueSignals } from '../signals/signal-outbox.js'
import {
  type ConversationMessage,
  type EntrySigner,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_CHARS,
  MAX_THREAD_MESSAGES,
  MAX_VENDOR_JWS_CHARS,
  MessageInput,
  type ParsedMessage,
  type ThreadStatus,
} from './conversation.js'
import {
  ENTRY_TYPE,
  GENESIS_HEX,
  type MessageEntry,
  canonicalMessageEntry,
  entryHashHex,
  jwsPayload,
} from './message-chain.js'
import { messagePlace, messageView } from './thread-rows.js'

/** Parses a message; an over-long text is ERR_MESSAGE_TOO_LARGE, anything else malformed ERR_VALIDATION. */
export function parseMessage(input: unknown): ParsedMessage {
  const parsed = MessageInput.safeParse(input)
  if (!parsed.success)
    throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid message')
  const { text } = parsed.data
  if (text.length > MAX_MESSAGE_CHARS || Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES)
    throw new VaultError(
      'ERR_MESSAGE_TOO_LARGE',
      `A message holds at most ${MAX_MESSAGE_CHARS} characters`,
    )
  return parsed.data
}

/** Checks a vendor's compact JWS for shape and size only (its signature is the caller's to verify). */
export function checkVendorJws(jws: string | undefined): void {
  if (jws === undefined) return
  if (typeof jws !== 'string' || jws.length > MAX_VENDOR_JWS_CHARS || jwsPayload(jws) === undefined)
    throw new ValidationError(
      [{ path: 'jws', message: 'must be a compact JWS' }],
      'Invalid signature',
    )
}

/** What a new message says besides its words. */
export interface Draft {
  readonly author: 'owner' | 'vendor'
  readonly message: ParsedMessage
  readonly opens?: MessageEntry['opens']
  readonly closes?: boolean
  readonly vendorJws?: string
}

type ThreadHead = Pick<
  ConversationThreadsTable,
  | 'id'
  | 'vendor_id'
  | 'opened_by'
  | 'grant_id'
  | 'purchase_id'
  | 'state'
  | 'last_seq'
  | 'head_hash'
  | 'created_at'
  | 'status'
  | 'status_since'
>

/**
 * Appends one message to a thread inside the caller's transaction: the entry is built, signed by
 * the caller's signer, sealed, chained after the thread's head, and the thread row moves its head
 * and re-MACs. Returns the new thread columns for the caller to write, and the message.
 */
export async function appendMessage(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  write: { readonly key: Uint8Array; readonly term: number },
  thread: ThreadHead,
  draft: Draft,
  sign: EntrySigner,
): Promise<{
  thread: Omit<ConversationThreadsTable, 'body' | 'term' | 'owner_read_seq' | 'vendor_read_seq'>
  message: ConversationMessage
}> {
  const keys = ctx.keys()
  const seq = Number(thread.last_seq) + 1
  if (seq > MAX_THREAD_MESSAGES)
    throw new VaultError(
      'ERR_THREAD_LIMIT',
      'This thread holds as many messages as it can; open a new one',
    )
  const at = ctx.now().toISOString()
  const prev = seq === 1 ? GENESIS_HEX : Buffer.from(thread.head_hash).toString('hex')
  const m = draft.message
  const closes = draft.closes === true
  const entry = canonicalMessageEntry({
    typ: ENTRY_TYPE,
    vault: keys.vaultId,
    thread: thread.id,
    vendor: thread.vendor_id,
    seq,
    prev,
    at,
    author: draft.author,
    client: draft.author === 'vendor' ? thread.vendor_id : null,
    opens: draft.opens ?? null,
    text: m.text,
    orderNumber: m.orderNumber ?? null,
    requestedAction: m.requestedAction ?? null,
    status: closes ? 'resolved' : (m.status ?? null),
    closes,
    vendorJws: draft.vendorJws ?? null,
  })
  const jws = await sign(entry)
  if (typeof jws !== 'string' || jwsPayload(jws) !== entry)
    throw new TypeError('the signer must return a compact JWS whose payload is the entry')
  const hash = entryHashHex(entry)
  const id = newId(ctx.sodium, 'msg')
  const row = {
    id,
    thread_id: thread.id,
    seq,
    author: draft.author,
    at,
    prev_hash: new Uint8Array(Buffer.from(prev, 'hex')),
    hash: new Uint8Array(Buffer.from(hash, 'hex')),
  }
  await trx
    .insertInto('conversation_messages')
    .values({
      ...row,
      body: sealJson(ctx.sodium, write.key, write.term, messagePlace(keys.vaultId, id), {
        entry,
        jws,
      }),
      term: write.term,
      row_mac: ctx.rows.mac('conversation_messages', authenticated.conversation_messages(row)),
    })
    .execute()
  // Whose turn it is: as the message says, else the other side's.
  const status: ThreadStatus = closes
    ? 'resolved'
    : (m.status ?? (draft.author === 'owner' ? 'waiting_for_vendor' : 'waiting_for_you'))
  const next = {
    id: thread.id,
    vendor_id: thread.vendor_id,
    opened_by: thread.opened_by,
    grant_id: thread.grant_id,
    purchase_id: thread.purchase_id,
    state: closes ? ('closed' as const) : thread.state,
    last_seq: seq,
    head_hash: row.hash,
    created_at: thread.created_at,
  }
  const parsed = JSON.parse(entry) as MessageEntry
  return {
    thread: {
      ...next,
      row_mac: ctx.rows.mac('conversation_threads', authenticated.conversation_threads(next)),
      status,
      status_since: status === thread.status && seq > 1 ? thread.status_since : at,
      last_at: at,
    },
    message: messageView({ id }, parsed, { entry, jws }, hash),
  }
}

/**
 * The vendor hears of the owner's message (RFC 8935/8936 through the consent API) when it has a
 * live grant that lets it converse: a vendor without one could not read the thread anyway.
 */
export async function signalOwnerMessage(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  epoch: number,
  vendorId: string,
  threadId: string,
): Promise<void> {
  const grants = await trx
    .selectFrom('grants')
    .selectAll()
    .where('vendor_id', '=', vendorId)
    .where('status', '=', 'active')
    .where('expires_at', '>', ctx.now().toISOString())
    .orderBy('created_at', 'desc')
    .execute()
  for (const row of grants) {
    checkGrantRow(ctx, row, epoch)
    if (!decryptGrantBody(ctx, row.id, toBytes(row.body)).actions.includes('converse')) continue
    await enqueueSignals(ctx, trx, [
      { vendorId, grantId: row.id, kind: 'message.posted', paths: [threadId] },
    ])
    return
  }
}
