import type { Transaction } from 'kysely'
import { type VaultContext, newId } from '../context.js'
import { sealJson } from '../crypto/envelope.js'
import type { VaultDatabase } from '../db/schema.js'
import { NotFoundError, ValidationError, VaultError } from '../errors.js'
import type { writeTerm } from '../keys/write-term.js'
import { type EntrySigner, MAX_VENDOR_OPEN_THREADS, type Thread } from './conversation.js'
import { GENESIS_HEX } from './message-chain.js'
import { type Draft, appendMessage, signalOwnerMessage } from './message-writer.js'
import { threadPlace } from './thread-rows.js'

/** A thread to open: who with, about what, what it links to, its first message. */
export interface OpenDraft {
  readonly vendorId: string
  readonly openedBy: 'owner' | 'vendor'
  readonly topic: Thread['topic']
  readonly subject: string
  readonly purchaseId: string | undefined
  readonly grantId: string | undefined
  readonly message: Draft['message']
  readonly vendorJws?: string
}

/**
 * Opens a thread inside the caller's transaction, so that a step which opens one as its
 * consequence (accepting an intent's offer, intents/intent-store.ts) either happens with its
 * thread or not at all. The first message is chained, signed and audited as any other; the
 * caller emits {@link emitOpened} once the transaction committed.
 */
export async function openThreadInTransaction(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  write: Awaited<ReturnType<typeof writeTerm>>,
  t: OpenDraft,
  sign: EntrySigner,
): Promise<Thread> {
  const keys = ctx.keys()
  const id = newId(ctx.sodium, 'thr')
  const createdAt = ctx.now().toISOString()
  const vendor = await trx
    .selectFrom('vendors')
    .select('id')
    .where('id', '=', t.vendorId)
    .executeTakeFirst()
  if (!vendor) throw new NotFoundError('Vendor')
  if (t.grantId !== undefined) {
    const grant = await trx
      .selectFrom('grants')
      .select('id')
      .where('id', '=', t.grantId)
      .where('vendor_id', '=', t.vendorId)
      .executeTakeFirst()
    if (!grant) throw new NotFoundError('Grant')
  }
  if (t.purchaseId !== undefined) {
    // A vendor may link only a purchase it is linked to: it must not learn of others by probing.
    const purchase = await trx
      .selectFrom('purchases')
      .select('id')
      .where('id', '=', t.purchaseId)
      .$if(t.openedBy === 'vendor', (q) => q.where('vendor_id', '=', t.vendorId))
      .executeTakeFirst()
    if (!purchase)
      throw t.openedBy === 'vendor'
        ? new ValidationError(
            [{ path: 'purchaseId', message: 'not a purchase linked to this vendor' }],
            'Invalid thread',
          )
        : new NotFoundError('Purchase')
  }
  if (t.openedBy === 'vendor') {
    const open = await trx
      .selectFrom('conversation_threads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('vendor_id', '=', t.vendorId)
      .where('opened_by', '=', 'vendor')
      .where('state', '=', 'open')
      .executeTakeFirstOrThrow()
    if (Number(open.n) >= MAX_VENDOR_OPEN_THREADS)
      throw new VaultError(
        'ERR_THREAD_LIMIT',
        'This vendor has as many open threads as it may open',
      )
  }
  const head = {
    id,
    vendor_id: t.vendorId,
    opened_by: t.openedBy,
    grant_id: t.grantId ?? null,
    purchase_id: t.purchaseId ?? null,
    state: 'open' as const,
    last_seq: 0,
    head_hash: new Uint8Array(Buffer.from(GENESIS_HEX, 'hex')),
    created_at: createdAt,
    status: 'waiting_for_vendor' as const,
    status_since: createdAt,
  }
  const { thread: next, message } = await appendMessage(
    ctx,
    trx,
    write,
    head,
    {
      author: t.openedBy,
      message: t.message,
      opens: {
        topic: t.topic,
        subject: t.subject,
        purchaseId: t.purchaseId ?? null,
        grantId: t.grantId ?? null,
      },
      ...(t.vendorJws !== undefined ? { vendorJws: t.vendorJws } : {}),
    },
    sign,
  )
  const body = sealJson(ctx.sodium, write.key, write.term, threadPlace(keys.vaultId, id), {
    topic: t.topic,
    subject: t.subject,
  })
  const own = t.openedBy === 'owner' ? 1 : 0
  await trx
    .insertInto('conversation_threads')
    .values({
      ...next,
      body,
      term: write.term,
      owner_read_seq: own,
      vendor_read_seq: 1 - own,
    })
    .execute()
  await ctx.audit.appendInTransaction(trx, [
    {
      action: 'conversation.opened',
      actor: t.openedBy === 'owner' ? 'owner' : `vendor:${t.vendorId}`,
      vendorId: t.vendorId,
      ...(t.grantId !== undefined ? { grantId: t.grantId } : {}),
      ...(t.purchaseId !== undefined ? { purchaseIds: [t.purchaseId] } : {}),
      detail: id,
    },
  ])
  if (t.openedBy === 'owner') await signalOwnerMessage(ctx, trx, write.epoch, t.vendorId, id)
  return {
    id,
    vendorId: t.vendorId,
    openedBy: t.openedBy,
    topic: t.topic,
    subject: t.subject,
    ...(t.purchaseId !== undefined ? { purchaseId: t.purchaseId } : {}),
    ...(t.grantId !== undefined ? { grantId: t.grantId } : {}),
    state: 'open',
    status: next.status,
    statusSince: next.status_since,
    createdAt,
    lastAt: next.last_at,
    messages: 1,
    unread: 0,
    items: [message],
  }
}

/** The event of a thread opened, after its transaction committed. */
export function emitOpened(ctx: VaultContext, thread: Thread): void {
  ctx.emit({
    type: 'conversation.posted',
    threadId: thread.id,
    vendorId: thread.vendorId,
    author: thread.openedBy,
  })
}
