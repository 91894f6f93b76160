import type { Transaction } from 'kysely'
import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, openJson } from '../crypto/envelope.js'
import type {
  ConversationMessagesTable,
  ConversationThreadsTable,
  VaultDatabase,
} from '../db/schema.js'
import { IntegrityError } from '../errors.js'
import { authenticated } from '../integrity/row-auth.js'
import {
  type ConversationMessage,
  type Thread,
  ThreadBody,
  type ThreadSummary,
} from './conversation.js'
import { type MessageEntry, entryHashHex, verifyChain } from './message-chain.js'

/**
 * Reading threads back: every row checked against its MAC, every body opened in its place, the
 * whole chain verified before a word of it is shown (SECURITY.md, "The barrier").
 */
export function threadPlace(vaultId: string, id: string): Place {
  return { table: 'conversation_threads', column: 'body', recordId: id, vaultId }
}

export function messagePlace(vaultId: string, id: string): Place {
  return { table: 'conversation_messages', column: 'body', recordId: id, vaultId }
}

export type ThreadRow = ConversationThreadsTable & { unread?: number | string | null }

/** Throws ERR_INTEGRITY unless the thread row is one the vault wrote. */
export function checkThreadRow(ctx: VaultContext, row: ConversationThreadsTable): void {
  ctx.rows.check(
    'conversation_threads',
    authenticated.conversation_threads({ ...row, head_hash: toBytes(row.head_hash) }),
    toBytes(row.row_mac),
  )
}

/** The owner's (or the vendor's) view of a thread row; `unread` was counted by the query. */
export function threadSummary(ctx: VaultContext, row: ThreadRow): ThreadSummary {
  checkThreadRow(ctx, row)
  const keys = ctx.keys()
  const envelope = toBytes(row.body)
  const body = ThreadBody.safeParse(
    openJson(
      ctx.sodium,
      keys.termKey(envelopeTerm(envelope)),
      threadPlace(keys.vaultId, row.id),
      envelope,
    ),
  )
  if (!body.success) throw new IntegrityError()
  return {
    id: row.id,
    vendorId: row.vendor_id,
    openedBy: row.opened_by,
    topic: body.data.topic,
    subject: body.data.subject,
    ...(row.purchase_id ? { purchaseId: row.purchase_id } : {}),
    ...(row.grant_id ? { grantId: row.grant_id } : {}),
    state: row.state,
    status: row.status,
    statusSince: row.status_since,
    createdAt: row.created_at,
    lastAt: row.last_at,
    messages: Number(row.last_seq),
    unread: Number(row.unread ?? 0),
  }
}

const SealedMessage = (value: unknown): { entry: string; jws: string } => {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { entry?: unknown }).entry === 'string' &&
    typeof (value as { jws?: unknown }).jws === 'string'
  )
    return value as { entry: string; jws: string }
  throw new IntegrityError()
}

export function messageView(
  row: Pick<ConversationMessagesTable, 'id'>,
  parsed: MessageEntry,
  link: { entry: string; jws: string },
  hash: string,
): ConversationMessage {
  return {
    id: row.id,
    seq: parsed.seq,
    author: parsed.author,
    at: parsed.at,
    text: parsed.text,
    ...(parsed.orderNumber !== null ? { orderNumber: parsed.orderNumber } : {}),
    ...(parsed.requestedAction !== null ? { requestedAction: parsed.requestedAction } : {}),
    ...(parsed.status !== null ? { status: parsed.status } : {}),
    closes: parsed.closes,
    ...(parsed.client !== null ? { clientId: parsed.client } : {}),
    entry: link.entry,
    hash,
    prevHash: parsed.prev,
    jws: link.jws,
    ...(parsed.vendorJws !== null ? { vendorJws: parsed.vendorJws } : {}),
  }
}

/**
 * A thread with all its messages, read in `trx` (or the database): each message row authentic,
 * its body opened in its place, the chain whole from the first message to the head the thread
 * row's MAC vouches for. Anything less is ERR_INTEGRITY — a thread is shown whole or not at all.
 */
export async function loadThread(
  ctx: VaultContext,
  db: Transaction<VaultDatabase> | VaultContext['db'],
  row: ThreadRow,
): Promise<Thread> {
  const summary = threadSummary(ctx, row)
  const keys = ctx.keys()
  const rows = await db
    .selectFrom('conversation_messages')
    .selectAll()
    .where('thread_id', '=', row.id)
    .orderBy('seq')
    .execute()
  const links = rows.map((m) => {
    const prev = toBytes(m.prev_hash)
    const hash = toBytes(m.hash)
    ctx.rows.check(
      'conversation_messages',
      authenticated.conversation_messages({ ...m, prev_hash: prev, hash }),
      toBytes(m.row_mac),
    )
    const envelope = toBytes(m.body)
    const sealed = SealedMessage(
      openJson(
        ctx.sodium,
        keys.termKey(envelopeTerm(envelope)),
        messagePlace(keys.vaultId, m.id),
        envelope,
      ),
    )
    return { row: m, prev: hex(prev), hash: hex(hash), sealed }
  })
  const { entries, head } = verifyChain(
    links.map((l) => l.sealed),
    { thread: row.id, vault: keys.vaultId, vendor: row.vendor_id },
  )
  if (
    entries.length !== Number(row.last_seq) ||
    head !== hex(toBytes(row.head_hash)) ||
    links.some(
      (l, i) =>
        l.row.seq !== i + 1 ||
        l.prev !== entries[i]?.prev ||
        l.hash !== entryHashHex(l.sealed.entry) ||
        l.row.author !== entries[i]?.author ||
        l.row.at !== entries[i]?.at,
    )
  )
    throw new IntegrityError('A conversation failed its integrity check')
  const items = links.map((l, i) =>
    messageView(l.row, entries[i] as MessageEntry, l.sealed, l.hash),
  )
  return { ...summary, items }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
