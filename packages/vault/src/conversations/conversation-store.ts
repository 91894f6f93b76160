import type { Transaction } from 'kysely'
import type { VaultContext } from '../context.js'
import type { VaultDatabase } from '../db/schema.js'
import { ThreadNotFoundError, ValidationError, VaultError, issuesFromZod } from '../errors.js'
import { liveGrant } from '../grants/read-through-grant.js'
import { assertVendorId } from '../grants/vendor-attempt.js'
import { retryOnUnknownTerm, writeTerm } from '../keys/write-term.js'
import {
  type ConversationCaller,
  type ConversationMessage,
  type EntrySigner,
  type MessageInput,
  type Thread,
  ThreadInput,
  type ThreadSummary,
  VendorThreadInput,
} from './conversation.js'
import {
  appendMessage,
  checkVendorJws,
  type Draft,
  parseMessage,
  signalOwnerMessage,
} from './message-writer.js'
import { type OpenDraft, emitOpened, openThreadInTransaction } from './open-thread.js'
import { type ThreadRow, loadThread, threadSummary } from './thread-rows.js'

const THREAD_ID = /^thr_[A-Za-z0-9_-]{22}$/

/** Options of a vendor's message: its own signature of it, checked by the caller against its registered key. */
export interface VendorMessageOptions {
  /** The vendor's compact JWS of its message (RFC 7515), already verified by the caller. */
  readonly vendorJws?: string
}

/**
 * Conversations between the owner and her vendors (issue 13), kept in her vault: every message
 * sealed, hash-chained within its thread (conversations/message-chain.ts), signed — by the vault
 * for the owner, countersigned by the vault on receipt for a vendor, beside the vendor's own
 * signature where it gives one — and logged in the transaction that writes it. The owner's record
 * is hers: revoking a vendor's grant ends the vendor's access, never her copy.
 *
 * The vault holds no signing key (the consent API does), so every write takes an
 * {@link EntrySigner}.
 *
 * @example
 * const thread = await vault.conversations.open(
 *   { vendorId: shop.id, topic: 'return', subject: 'Boots too small', message: { text: 'May I return them?', orderNumber: 'FO-1042' } },
 *   (entry) => signCompactJws(entry),
 * )
 */
export class Conversations {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /** The owner opens a thread with a vendor. */
  async open(input: ThreadInput, sign: EntrySigner): Promise<Thread> {
    const ctx = this.#ctx
    ctx.keys()
    const parsed = ThreadInput.safeParse(input)
    if (!parsed.success)
      throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid thread')
    const t = parsed.data
    const message = parseMessage(t.message)
    assertVendorId(t.vendorId)
    return await this.#openThread(
      {
        vendorId: t.vendorId,
        openedBy: 'owner',
        topic: t.topic,
        subject: t.subject,
        purchaseId: t.purchaseId,
        grantId: t.grantId,
        message,
      },
      sign,
    )
  }

  /** The owner's threads, newest activity first, with unread counts and whose turn it is. */
  async list(
    filter: { readonly vendorId?: string; readonly limit?: number } = {},
  ): Promise<ThreadSummary[]> {
    const ctx = this.#ctx
    ctx.keys()
    if (filter.vendorId !== undefined) assertVendorId(filter.vendorId)
    const rows = await ctx.db
      .selectFrom('conversation_threads')
      .selectAll('conversation_threads')
      .select((eb) =>
        eb
          .selectFrom('conversation_messages as m')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('m.thread_id', '=', 'conversation_threads.id')
          .where('m.author', '=', 'vendor')
          .whereRef('m.seq', '>', 'conversation_threads.owner_read_seq')
          .as('unread'),
      )
      .$if(filter.vendorId !== undefined, (q) =>
        q.where('vendor_id', '=', filter.vendorId as string),
      )
      .orderBy('last_at', 'desc')
      .orderBy('id', 'desc')
      .limit(500)
      .execute()
    return rows.map((r) => threadSummary(ctx, r))
  }

  /** Unread vendor messages across every thread (the navigation's badge). */
  async unreadCount(): Promise<number> {
    const ctx = this.#ctx
    ctx.keys()
    const row = await ctx.db
      .selectFrom('conversation_messages as m')
      .innerJoin('conversation_threads as t', 't.id', 'm.thread_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('m.author', '=', 'vendor')
      .whereRef('m.seq', '>', 't.owner_read_seq')
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /** One thread with every message, its chain verified; marks it read unless told not to. */
  async read(threadId: string, options: { readonly markRead?: boolean } = {}): Promise<Thread> {
    const ctx = this.#ctx
    ctx.keys()
    const row = await this.#row(ctx.db, threadId)
    if (!row) throw new ThreadNotFoundError()
    const thread = await loadThread(ctx, ctx.db, row)
    if (options.markRead !== false && row.owner_read_seq < row.last_seq) {
      await ctx.db
        .updateTable('conversation_threads')
        .set({ owner_read_seq: row.last_seq })
        .where('id', '=', threadId)
        .execute()
      return { ...thread, unread: 0 }
    }
    return thread
  }

  /** The owner writes in a thread; the vendor is signalled. Closed: ERR_THREAD_CLOSED. */
  async reply(
    threadId: string,
    message: MessageInput,
    sign: EntrySigner,
  ): Promise<ConversationMessage> {
    this.#ctx.keys()
    return await this.#post(
      threadId,
      undefined,
      { author: 'owner', message: parseMessage(message) },
      sign,
    )
  }

  /** The owner closes a thread, with a last word if she wants: no one can write in it afterwards. */
  async close(
    threadId: string,
    sign: EntrySigner,
    message: MessageInput = { status: 'resolved' },
  ): Promise<ConversationMessage> {
    this.#ctx.keys()
    return await this.#post(
      threadId,
      undefined,
      { author: 'owner', message: parseMessage(message), closes: true },
      sign,
    )
  }

  /**
   * The same threads as a vendor sees them: only its own, only while the grant its token carries
   * is live, of that vendor, and allows `converse` (the one refusal policy, grants/read-through-grant.ts).
   */
  asVendor(caller: ConversationCaller): VendorConversations {
    assertVendorId(caller.vendorId)
    if (typeof caller.grantId !== 'string') throw new TypeError('grantId must be a string')
    return retryOnUnknownTerm(
      this.#ctx,
      new VendorConversations(this.#ctx, caller, {
        open: (input, sign) => this.#openThread(input, sign),
        post: (threadId, draft, sign) => this.#post(threadId, caller.vendorId, draft, sign),
        row: (threadId) => this.#row(this.#ctx.db, threadId),
      }),
    )
  }

  async #row(
    db: Transaction<VaultDatabase> | VaultContext['db'],
    threadId: string,
  ): Promise<ThreadRow | undefined> {
    if (typeof threadId !== 'string') throw new TypeError('threadId must be a string')
    if (!THREAD_ID.test(threadId)) return undefined
    return await db
      .selectFrom('conversation_threads')
      .selectAll()
      .where('id', '=', threadId)
      .$if(this.#ctx.engine === 'postgres' && db !== this.#ctx.db, (q) => q.forUpdate())
      .executeTakeFirst()
  }

  async #openThread(t: OpenDraft, sign: EntrySigner): Promise<Thread> {
    const ctx = this.#ctx
    ctx.keys()
    let thread: Thread | undefined
    await ctx.db.transaction().execute(async (trx) => {
      thread = await openThreadInTransaction(ctx, trx, await writeTerm(ctx, trx), t, sign)
    })
    const opened = thread as unknown as Thread
    emitOpened(ctx, opened)
    return opened
  }

  async #post(
    threadId: string,
    vendorId: string | undefined,
    draft: Draft,
    sign: EntrySigner,
  ): Promise<ConversationMessage> {
    const ctx = this.#ctx
    let out: ConversationMessage | undefined
    let thread: ThreadRow | undefined
    await ctx.db.transaction().execute(async (trx) => {
      const write = await writeTerm(ctx, trx)
      const row = await this.#row(trx, threadId)
      // Another vendor's thread is one that does not exist (no probing for thread ids).
      if (!row || (vendorId !== undefined && row.vendor_id !== vendorId))
        throw new ThreadNotFoundError()
      // Loading the thread verifies its chain: nothing is added to a chain that does not hold.
      await loadThread(ctx, trx, row)
      if (row.state === 'closed') throw new VaultError('ERR_THREAD_CLOSED', 'This thread is closed')
      const { thread: next, message } = await appendMessage(ctx, trx, write, row, draft, sign)
      await trx
        .updateTable('conversation_threads')
        .set({
          ...next,
          ...(draft.author === 'owner'
            ? { owner_read_seq: next.last_seq }
            : { vendor_read_seq: next.last_seq }),
        })
        .where('id', '=', row.id)
        .where('last_seq', '=', row.last_seq)
        .execute()
      await ctx.audit.appendInTransaction(trx, [
        {
          action: draft.closes ? 'conversation.closed' : 'conversation.posted',
          actor: draft.author === 'owner' ? 'owner' : `vendor:${row.vendor_id}`,
          vendorId: row.vendor_id,
          detail: row.id,
        },
      ])
      if (draft.author === 'owner')
        await signalOwnerMessage(ctx, trx, write.epoch, row.vendor_id, row.id)
      out = message
      thread = row
    })
    const row = thread as unknown as ThreadRow
    ctx.emit({
      type: 'conversation.posted',
      threadId: row.id,
      vendorId: row.vendor_id,
      author: draft.author,
    })
    if (draft.closes) ctx.emit({ type: 'conversation.closed', threadId: row.id })
    return out as unknown as ConversationMessage
  }
}

interface VendorPaths {
  open(input: OpenDraft, sign: EntrySigner): Promise<Thread>
  post(threadId: string, draft: Draft, sign: EntrySigner): Promise<ConversationMessage>
  row(threadId: string): Promise<ThreadRow | undefined>
}

/**
 * A vendor's side of its conversations. Every call first passes the one refusal policy for the
 * grant its token carries (revoked, expired, blocked, not its own, no `converse`: a typed error,
 * logged); then it sees and writes only threads with itself. The owner's copy is never touched
 * by what happens to the grant.
 */
export class VendorConversations {
  readonly #ctx: VaultContext
  readonly #caller: ConversationCaller
  readonly #paths: VendorPaths
  constructor(ctx: VaultContext, caller: ConversationCaller, paths: VendorPaths) {
    this.#ctx = ctx
    this.#caller = caller
    this.#paths = paths
  }

  async #allowed(): Promise<void> {
    await liveGrant(this.#ctx, this.#caller.grantId, 'converse', undefined, {
      vendorId: this.#caller.vendorId,
    })
  }

  /** The vendor's threads, newest activity first; `unread` counts the owner's messages it has not read. */
  async list(): Promise<ThreadSummary[]> {
    const ctx = this.#ctx
    await this.#allowed()
    const rows = await ctx.db
      .selectFrom('conversation_threads')
      .selectAll('conversation_threads')
      .select((eb) =>
        eb
          .selectFrom('conversation_messages as m')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('m.thread_id', '=', 'conversation_threads.id')
          .where('m.author', '=', 'owner')
          .whereRef('m.seq', '>', 'conversation_threads.vendor_read_seq')
          .as('unread'),
      )
      .where('vendor_id', '=', this.#caller.vendorId)
      .orderBy('last_at', 'desc')
      .orderBy('id', 'desc')
      .limit(500)
      .execute()
    const out = rows.map((r) => threadSummary(ctx, r))
    await ctx.audit.appendDurable({
      action: 'conversation.read',
      actor: `vendor:${this.#caller.vendorId}`,
      vendorId: this.#caller.vendorId,
      grantId: this.#caller.grantId,
    })
    return out
  }

  /** One of its threads, whole and verified; marked read by the vendor. Another vendor's: ERR_NOT_FOUND. */
  async read(threadId: string): Promise<Thread> {
    const ctx = this.#ctx
    await this.#allowed()
    const row = await this.#paths.row(threadId)
    if (!row || row.vendor_id !== this.#caller.vendorId) throw new ThreadNotFoundError()
    const thread = await loadThread(ctx, ctx.db, row)
    await ctx.audit.appendDurable({
      action: 'conversation.read',
      actor: `vendor:${this.#caller.vendorId}`,
      vendorId: this.#caller.vendorId,
      grantId: this.#caller.grantId,
      detail: row.id,
    })
    if (row.vendor_read_seq < row.last_seq)
      await ctx.db
        .updateTable('conversation_threads')
        .set({ vendor_read_seq: row.last_seq })
        .where('id', '=', row.id)
        .execute()
    // The owner's unread count is hers; the vendor sees its own.
    return { ...thread, unread: 0 }
  }

  /** The vendor opens a thread, linked to the grant its token carries. */
  async open(
    input: VendorThreadInput,
    sign: EntrySigner,
    options: VendorMessageOptions = {},
  ): Promise<Thread> {
    this.#ctx.keys()
    const parsed = VendorThreadInput.safeParse(input)
    if (!parsed.success)
      throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid thread')
    const message = parseMessage(parsed.data.message)
    checkVendorJws(options.vendorJws)
    await this.#allowed()
    return await this.#paths.open(
      {
        vendorId: this.#caller.vendorId,
        openedBy: 'vendor',
        topic: parsed.data.topic,
        subject: parsed.data.subject,
        purchaseId: parsed.data.purchaseId,
        grantId: this.#caller.grantId,
        message,
        ...(options.vendorJws !== undefined ? { vendorJws: options.vendorJws } : {}),
      },
      sign,
    )
  }

  /** The vendor writes in one of its threads (a status change is a message too). */
  async post(
    threadId: string,
    message: MessageInput,
    sign: EntrySigner,
    options: VendorMessageOptions = {},
  ): Promise<ConversationMessage> {
    this.#ctx.keys()
    const parsed = parseMessage(message)
    checkVendorJws(options.vendorJws)
    await this.#allowed()
    return await this.#paths.post(
      threadId,
      {
        author: 'vendor',
        message: parsed,
        ...(options.vendorJws !== undefined ? { vendorJws: options.vendorJws } : {}),
      },
      sign,
    )
  }
}
