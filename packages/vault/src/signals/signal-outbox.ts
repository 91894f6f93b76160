import { type Transaction, sql } from 'kysely'
import { z } from 'zod'
import { type VaultContext, newId } from '../context.js'
import type { SignalOutboxTable, VaultDatabase } from '../db/schema.js'
import { AuditReader } from '../audit/audit-reader.js'
import { toBytes } from '../crypto/bytes.js'
import { NotFoundError, ValidationError } from '../errors.js'
import { selectorsCover } from '../fields/selectors.js'
import { checkGrantRow, decryptGrantBody } from '../grants/grant-store.js'
import { assertVendorId } from '../grants/vendor-attempt.js'
import { authenticated } from '../integrity/row-auth.js'

/**
 * Signals that reach vendors (issue 12, part 4): the vault's side of the promise "change it once,
 * every vendor you chose hears it". Each change a vendor should hear of is written to
 * `signal_outbox` in the same transaction as the change itself, so a crash can lose neither
 * (the transactional-outbox pattern): a grant revoked or narrowed, a grant's expiry (due at the
 * expiry), a granted field changed (the paths, never the value: the vendor reads it through its
 * grant), and the owner's request to erase. The consent API turns them into Security Event Tokens
 * (RFC 8417) and pushes them (RFC 8935) or lets the vendor poll (RFC 8936); it tells the outbox
 * what was delivered. Delivery is at least once: a signal's id is the SET's `jti`.
 *
 * Each row carries the vault's MAC (integrity/row-auth.ts) over what it says: someone who can
 * write the database cannot make the vault announce a revocation or a change that did not
 * happen. A row that does not verify is dropped, never sent.
 */
export const SignalKind = z.enum([
  'grant.revoked',
  'grant.narrowed',
  'grant.expired',
  'field.changed',
  'erasure.requested',
  /** A consent event has a receipt (grants/consent-history.ts); `paths` holds its id. */
  'receipt.issued',
  /** The owner wrote in a conversation thread with the vendor (issue 13); `paths` holds the thread id. */
  'message.posted',
  /** The owner accepted the vendor's offer on an intent (issue 13); `paths` holds the offer id. */
  'intent.offer_accepted',
  /** The owner declined the vendor's offer (or accepted another, or closed the intent); `paths` holds the offer id. */
  'intent.offer_declined',
])
export type SignalKind = z.infer<typeof SignalKind>

/** A signal as the outbox hands it out. */
export interface Signal {
  readonly id: string
  readonly vendorId: string
  readonly grantId: string | null
  readonly kind: SignalKind
  /** The changed field paths (`field.changed`), the one receipt id (`receipt.issued`), or thread id (`message.posted`). */
  readonly paths: readonly string[]
  /** When the change happened (an expiry: when it takes effect). */
  readonly at: string
  readonly attempts: number
  readonly lastError: string | null
}

/** An erasure request to a vendor and its answer (signals/signal-outbox.ts). */
export interface ErasureStatus {
  readonly requestId: string
  readonly requestedAt: string
  readonly acknowledgedAt?: string
}

/** Where delivery to one vendor stands, for the owner's Connections page. */
export interface SignalBacklog {
  readonly pending: number
  readonly oldest?: string
  readonly lastError?: string
  readonly attempts: number
}

interface Draft {
  readonly vendorId: string
  readonly grantId?: string
  readonly kind: SignalKind
  readonly paths?: readonly string[]
  readonly dueAt?: string
}

/**
 * Pending signals kept per vendor at most: field changes coalesce into one pending row per grant,
 * so 1,000 edits make one signal; beyond this many rows a vendor that never collects them stops
 * getting new ones (the oldest stay: a revocation is never pushed out by later noise).
 */
export const MAX_PENDING_PER_VENDOR = 1000

/** Writes signals inside the caller's transaction (the change they announce commits with them). */
export async function enqueueSignals(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  drafts: readonly Draft[],
): Promise<void> {
  const now = ctx.now().toISOString()
  for (const d of drafts) {
    const waiting = await trx
      .selectFrom('signal_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('vendor_id', '=', d.vendorId)
      .executeTakeFirstOrThrow()
    // Past the bound only what can be had again is dropped: field changes (the vendor reads the
    // field), receipt notices (it fetches its receipts) and message notices (it lists its threads).
    if (
      Number(waiting.n) >= MAX_PENDING_PER_VENDOR &&
      (d.kind === 'field.changed' || d.kind === 'receipt.issued' || d.kind === 'message.posted')
    )
      continue
    const values = {
      id: newId(ctx.sodium, 'sig'),
      vendor_id: d.vendorId,
      grant_id: d.grantId ?? null,
      kind: d.kind,
      paths: d.paths ? JSON.stringify([...d.paths].sort()) : null,
      created_at: now,
      due_at: d.dueAt ?? now,
    }
    await trx
      .insertInto('signal_outbox')
      .values({
        ...values,
        row_mac: ctx.rows.mac('signal_outbox', authenticated.signal_outbox(values)),
        attempts: 0,
        next_attempt_at: null,
        last_error: null,
      })
      .execute()
  }
}

/** Drops a grant's pending expiry signal (revoked, or its expiry moved). */
export async function dropExpirySignal(
  trx: Transaction<VaultDatabase>,
  grantId: string,
): Promise<void> {
  await trx
    .deleteFrom('signal_outbox')
    .where('grant_id', '=', grantId)
    .where('kind', '=', 'grant.expired')
    .execute()
}

/**
 * Gives every grant that has not been revoked an expiry signal, unless one waits already: after a
 * restore (whose outbox starts empty) and an import (whose grants were written as rows), so their
 * vendors still hear of each expiry when it comes — at once for one already past.
 */
export async function scheduleExpirySignals(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  grantIds?: readonly string[],
): Promise<void> {
  if (grantIds?.length === 0) return
  const grants = await trx
    .selectFrom('grants')
    .select(['id', 'vendor_id', 'expires_at'])
    .where('status', '=', 'active')
    .$if(grantIds !== undefined, (q) => q.where('id', 'in', grantIds as string[]))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('signal_outbox')
            .select('signal_outbox.id')
            .whereRef('signal_outbox.grant_id', '=', 'grants.id')
            .where('signal_outbox.kind', '=', 'grant.expired'),
        ),
      ),
    )
    .execute()
  await enqueueSignals(
    ctx,
    trx,
    grants.map((g) => ({
      vendorId: g.vendor_id,
      grantId: g.id,
      kind: 'grant.expired' as const,
      dueAt: g.expires_at,
    })),
  )
}

/**
 * After fields changed: one `field.changed` signal per live grant that covers any of them, its
 * paths merged into the grant's pending one (not yet tried) so that a burst of edits is one signal.
 */
export async function signalFieldChanges(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  paths: readonly string[],
): Promise<void> {
  const now = ctx.now().toISOString()
  const grants = await trx
    .selectFrom('grants')
    .selectAll()
    .select((eb) =>
      eb
        .selectFrom('vault_meta')
        .select('ledger_epoch')
        .where('vault_meta.id', '=', sql.lit(1))
        .as('ledger_epoch'),
    )
    .where('status', '=', 'active')
    .where('expires_at', '>', now)
    .execute()
  for (const row of grants) {
    checkGrantRow(ctx, row, Number(row.ledger_epoch))
    const body = decryptGrantBody(ctx, row.id, toBytes(row.body))
    if (!body.actions.includes('read')) continue
    const covered = paths.filter((p) => selectorsCover(body.fields, [p]))
    if (covered.length === 0) continue
    const pending = await trx
      .selectFrom('signal_outbox')
      .selectAll()
      .where('grant_id', '=', row.id)
      .where('kind', '=', 'field.changed')
      .where('attempts', '=', 0)
      .executeTakeFirst()
    if (pending && verifies(ctx, pending)) {
      const merged = JSON.stringify(
        [...new Set([...(JSON.parse(pending.paths ?? '[]') as string[]), ...covered])].sort(),
      )
      const values = { ...pending, paths: merged }
      await trx
        .updateTable('signal_outbox')
        .set({
          paths: merged,
          row_mac: ctx.rows.mac('signal_outbox', authenticated.signal_outbox(values)),
        })
        .where('id', '=', pending.id)
        .execute()
    } else {
      await enqueueSignals(ctx, trx, [
        { vendorId: row.vendor_id, grantId: row.id, kind: 'field.changed', paths: covered },
      ])
    }
  }
}

function verifies(ctx: VaultContext, row: SignalOutboxTable): boolean {
  return ctx.rows.verifies('signal_outbox', authenticated.signal_outbox(row), row.row_mac)
}

const RETRY_ERROR = z.string().max(200)

/**
 * The outbox as the consent API uses it: what is due, what was delivered, what failed and when to
 * try again, and the owner's erasure requests. Sealed: ERR_VAULT_LOCKED.
 *
 * @example
 * for (const s of await vault.signals.due(100)) { await push(s); await vault.signals.delivered([s.id]) }
 */
export class SignalOutbox {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /**
   * Signals due now whose next attempt has come, oldest first; unauthentic rows are dropped. A
   * vendor's signals stay in order: while one waits for its retry, the ones after it wait too, so
   * a vendor never hears of a later change before an earlier one.
   */
  async due(limit = 100): Promise<Signal[]> {
    this.#ctx.keys()
    const now = this.#ctx.now().toISOString()
    const rows = await this.#ctx.db
      .selectFrom('signal_outbox')
      .selectAll()
      .where('due_at', '<=', now)
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .where(({ not, exists, selectFrom, or, and }) =>
        not(
          exists(
            selectFrom('signal_outbox as waiting')
              .select('waiting.id')
              .whereRef('waiting.vendor_id', '=', 'signal_outbox.vendor_id')
              .where('waiting.next_attempt_at', '>', now)
              .where((w) =>
                or([
                  w('waiting.due_at', '<', w.ref('signal_outbox.due_at')),
                  and([
                    w('waiting.due_at', '=', w.ref('signal_outbox.due_at')),
                    w('waiting.id', '<', w.ref('signal_outbox.id')),
                  ]),
                ]),
              ),
          ),
        ),
      )
      .orderBy('due_at')
      .orderBy('id')
      .limit(Math.max(1, Math.min(limit, 1000)))
      .execute()
    return await this.#authentic(rows)
  }

  /** One vendor's due signals (RFC 8936 polling: whatever their retry schedule), oldest first. */
  async forVendor(vendorId: string, limit = 100): Promise<Signal[]> {
    this.#ctx.keys()
    assertVendorId(vendorId)
    const rows = await this.#ctx.db
      .selectFrom('signal_outbox')
      .selectAll()
      .where('vendor_id', '=', vendorId)
      .where('due_at', '<=', this.#ctx.now().toISOString())
      .orderBy('due_at')
      .orderBy('id')
      .limit(Math.max(1, Math.min(limit, 1000)) + 1)
      .execute()
    return await this.#authentic(rows)
  }

  /** When the next signal falls due (a retry or an expiry), if any is waiting. */
  async nextDueAt(): Promise<string | undefined> {
    this.#ctx.keys()
    const row = await this.#ctx.db
      .selectFrom('signal_outbox')
      .select((eb) =>
        eb.fn
          .min(
            eb
              .case()
              .when('next_attempt_at', 'is not', null)
              .then(eb.ref('next_attempt_at'))
              .else(eb.ref('due_at'))
              .end(),
          )
          .as('at'),
      )
      .executeTakeFirst()
    return row?.at ?? undefined
  }

  /** Delivered (a 202, or acknowledged in a poll): gone. `vendorId` limits it to that vendor's. */
  async delivered(ids: readonly string[], vendorId?: string): Promise<number> {
    this.#ctx.keys()
    if (ids.length === 0) return 0
    const result = await this.#ctx.db
      .deleteFrom('signal_outbox')
      .where('id', 'in', [...ids].slice(0, 1000))
      .$if(vendorId !== undefined, (q) => q.where('vendor_id', '=', vendorId as string))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  /** A failed attempt: counted, with its reason (a code, never a response body), and when to retry. */
  async failed(id: string, retryAt: Date, error: string): Promise<void> {
    this.#ctx.keys()
    const reason = RETRY_ERROR.safeParse(error)
    await this.#ctx.db
      .updateTable('signal_outbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        next_attempt_at: retryAt.toISOString(),
        last_error: reason.success ? reason.data : 'error',
      }))
      .where('id', '=', id)
      .execute()
  }

  /**
   * Sets signals aside until `until` without counting an attempt: a vendor that polls (RFC 8936)
   * collects them itself, and pushing keeps to the vendors that listen.
   */
  async defer(ids: readonly string[], until: Date): Promise<void> {
    this.#ctx.keys()
    if (ids.length === 0) return
    await this.#ctx.db
      .updateTable('signal_outbox')
      .set({ next_attempt_at: until.toISOString() })
      .where('id', 'in', [...ids].slice(0, 1000))
      .execute()
  }

  /** Per vendor: how many signals wait, since when, and the last delivery error. */
  async backlog(): Promise<Map<string, SignalBacklog>> {
    this.#ctx.keys()
    const rows = await this.#ctx.db
      .selectFrom('signal_outbox')
      .select(['vendor_id', 'created_at', 'due_at', 'attempts', 'last_error'])
      .where('due_at', '<=', this.#ctx.now().toISOString())
      .orderBy('due_at')
      .execute()
    const out = new Map<string, SignalBacklog>()
    for (const r of rows) {
      const seen = out.get(r.vendor_id)
      const lastError = r.last_error ?? seen?.lastError
      out.set(r.vendor_id, {
        pending: (seen?.pending ?? 0) + 1,
        oldest: seen?.oldest ?? r.created_at,
        attempts: Math.max(seen?.attempts ?? 0, r.attempts),
        ...(lastError ? { lastError } : {}),
      })
    }
    return out
  }

  /**
   * The owner asks a vendor to erase what it holds about her: a signal to the vendor and an entry
   * in the log, in one transaction. The vendor answers with its own signed event
   * ({@link erasureAcknowledged}). Returns the request's id (the SET's `jti`).
   */
  async requestErasure(vendorId: string): Promise<string> {
    const ctx = this.#ctx
    ctx.keys()
    assertVendorId(vendorId)
    let id = ''
    await ctx.db.transaction().execute(async (trx) => {
      const vendor = await trx
        .selectFrom('vendors')
        .select('id')
        .where('id', '=', vendorId)
        .executeTakeFirst()
      if (!vendor) throw new NotFoundError('Vendor')
      await enqueueSignals(ctx, trx, [{ vendorId, kind: 'erasure.requested' }])
      const row = await trx
        .selectFrom('signal_outbox')
        .select('id')
        .where('vendor_id', '=', vendorId)
        .where('kind', '=', 'erasure.requested')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow()
      id = row.id
      await ctx.audit.appendInTransaction(trx, [
        { action: 'vendor.erasure_requested', actor: 'owner', vendorId, detail: id },
      ])
    })
    return id
  }

  /**
   * The newest erasure request to a vendor and whether it was acknowledged, from the log (whose
   * chain vouches for both): what Connections shows. Undefined when the owner never asked.
   */
  async erasureStatus(vendorId: string): Promise<ErasureStatus | undefined> {
    this.#ctx.keys()
    assertVendorId(vendorId)
    const entries = await new AuditReader(this.#ctx).list({
      vendorId,
      action: ['vendor.erasure_requested', 'vendor.erasure_acknowledged'],
      limit: 100,
    })
    const request = entries.find((e) => e.action === 'vendor.erasure_requested')
    if (!request?.detail) return undefined
    const ack = entries.find(
      (e) => e.action === 'vendor.erasure_acknowledged' && e.detail === request.detail,
    )
    return {
      requestId: request.detail,
      requestedAt: request.at,
      ...(ack ? { acknowledgedAt: ack.at } : {}),
    }
  }

  /** Whether `requestId` is this vendor's newest erasure request and still unanswered. */
  async erasureOpen(vendorId: string, requestId: string): Promise<boolean> {
    const status = await this.erasureStatus(vendorId)
    return status?.requestId === requestId && status.acknowledgedAt === undefined
  }

  /** The vendor's signed acknowledgement of an erasure request (verified by the caller): logged. */
  async erasureAcknowledged(vendorId: string, requestId: string): Promise<void> {
    this.#ctx.keys()
    assertVendorId(vendorId)
    if (!/^sig_[A-Za-z0-9_-]{22}$/.test(requestId))
      throw new ValidationError([{ path: 'requestId', message: 'not a signal id' }], 'Invalid id')
    await this.#ctx.audit.appendDurable({
      action: 'vendor.erasure_acknowledged',
      actor: `vendor:${vendorId}`,
      vendorId,
      detail: requestId,
    })
  }

  /** The rows the vault's MAC vouches for; the others were never written by it and are deleted. */
  async #authentic(rows: SignalOutboxTable[]): Promise<Signal[]> {
    const out: Signal[] = []
    const forged: string[] = []
    for (const r of rows) {
      const kind = SignalKind.safeParse(r.kind)
      if (!verifies(this.#ctx, r) || !kind.success) {
        forged.push(r.id)
        continue
      }
      out.push({
        id: r.id,
        vendorId: r.vendor_id,
        grantId: r.grant_id,
        kind: kind.data,
        paths: r.paths ? (JSON.parse(r.paths) as string[]) : [],
        at: r.due_at,
        attempts: r.attempts,
        lastError: r.last_error,
      })
    }
    if (forged.length > 0)
      await this.#ctx.db.deleteFrom('signal_outbox').where('id', 'in', forged).execute()
    return out
  }
}
