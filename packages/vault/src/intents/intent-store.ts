import type { Transaction } from 'kysely'
import { type VaultContext, newId } from '../context.js'
import { sealJson } from '../crypto/envelope.js'
import type { IntentOffersTable, IntentsTable, VaultDatabase } from '../db/schema.js'
import { IntentNotFoundError, ValidationError, VaultError, issuesFromZod } from '../errors.js'
import { ledgerEpoch } from '../grants/grant-store.js'
import { checkVendorRow } from '../grants/vendor-store.js'
import { type EntrySigner, MAX_MESSAGE_CHARS, type Thread } from '../conversations/conversation.js'
import { emitOpened, openThreadInTransaction } from '../conversations/open-thread.js'
import { advanceLedger } from '../integrity/ledger.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from '../keys/write-term.js'
import {
  type AcceptedOffer,
  type Intent,
  IntentInput,
  MAX_OPEN_INTENTS,
  type Offer,
  openUntilProblem,
} from './intent.js'
import {
  audienceColumn,
  checkIntentRow,
  checkOfferRow,
  intentBody,
  intentPlace,
  intentState,
  intentView,
  offerView,
  setOfferStates,
} from './intent-rows.js'
import { type IntentCaller, VendorIntents } from './vendor-intents.js'

/**
 * The owner's intents (issue 13): she publishes what she wants, vendors that may see it answer
 * with offers (their side: {@link VendorIntents}), she compares them, accepts one and the others
 * are declined — each vendor hears of it through a signal. Every step is audited in the
 * transaction that makes it; rows that decide visibility and state carry the vault's row MAC.
 *
 * @example
 * const intent = await vault.intents.create({
 *   category: 'Outdoor', text: 'A rain jacket for hiking', requirements: { size: 'M', budget: { amount: 200, currency: 'EUR' } },
 *   openUntil: '2026-12-31T00:00:00Z', audience: 'all', disclose: ['email', 'address.shipping'],
 * })
 * const offers = await vault.intents.offers(intent.id)
 * const accepted = await vault.intents.accept(intent.id, offers[0].id, (entry) => signCompactJws(entry))
 * // accepted.threadId: the conversation with that vendor about the order, already open
 * await vault.grants.create({ ...accepted.grant, fields: [...accepted.grant.fields], actions: ['read'], durationSeconds: 30 * 86400 })
 */
export class IntentStore {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /**
   * Publishes an intent. Chosen vendors must be registered and not blocked (else ERR_VALIDATION
   * naming `audience`); with {@link MAX_OPEN_INTENTS} open already: ERR_INTENT_LIMIT.
   */
  async create(input: IntentInput): Promise<Intent> {
    const ctx = this.#ctx
    ctx.keys()
    const parsed = IntentInput.safeParse(input)
    if (!parsed.success)
      throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid intent')
    const data = parsed.data
    const now = ctx.now()
    const problem = openUntilProblem(data.openUntil, now)
    if (problem)
      throw new ValidationError([{ path: 'openUntil', message: problem }], 'Invalid intent')
    const id = newId(ctx.sodium, 'int')
    const createdAt = now.toISOString()
    const openUntil = new Date(data.openUntil).toISOString()
    const audience = audienceColumn(data.audience)
    await ctx.db.transaction().execute(async (trx) => {
      const { term, key, epoch } = await writeTerm(ctx, trx)
      if (data.audience !== 'all') await requireVendors(ctx, trx, data.audience.vendors, epoch)
      const { open } = await trx
        .selectFrom('intents')
        .select((eb) => eb.fn.countAll<number | string>().as('open'))
        .where('state', '=', 'open')
        .where('open_until', '>', createdAt)
        .executeTakeFirstOrThrow()
      if (Number(open) >= MAX_OPEN_INTENTS)
        throw new VaultError(
          'ERR_INTENT_LIMIT',
          `At most ${MAX_OPEN_INTENTS} intents can be open at once; close one first`,
        )
      const values = {
        id,
        state: 'open' as const,
        audience,
        open_until: openUntil,
        created_at: createdAt,
        closed_at: null,
        accepted_offer_id: null,
      }
      const body = {
        category: data.category,
        text: data.text,
        requirements: data.requirements,
        disclose: [...new Set(data.disclose)],
      }
      await trx
        .insertInto('intents')
        .values({
          ...values,
          body: sealJson(ctx.sodium, key, term, intentPlace(ctx.keys().vaultId, id), body),
          term,
          row_mac: ctx.rows.mac('intents', authenticated.intents(values, epoch)),
        })
        .execute()
      await ctx.audit.appendInTransaction(trx, [
        { action: 'intent.created', actor: 'owner', detail: id, paths: body.disclose },
      ])
    })
    ctx.emit({ type: 'intent.created', intentId: id })
    return this.get(id)
  }

  /** Every intent, newest first, with how many offers wait on each. */
  async list(): Promise<Intent[]> {
    const ctx = this.#ctx
    ctx.keys()
    const rows = await ctx.db
      .selectFrom('intents')
      .selectAll()
      .select(ledgerEpoch)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute()
    const counts = await ctx.db
      .selectFrom('intent_offers')
      .select(['intent_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('state', '=', 'open')
      .groupBy('intent_id')
      .execute()
    const open = new Map(counts.map((c) => [c.intent_id, Number(c.n)]))
    return rows.map((row) => {
      checkIntentRow(ctx, row)
      return intentView(ctx, row, open.get(row.id) ?? 0)
    })
  }

  async get(id: string): Promise<Intent> {
    const found = (await this.list()).find((i) => i.id === id)
    if (!found) throw new IntentNotFoundError('Intent')
    return found
  }

  /** The offers on an intent, cheapest first in each currency, for comparing side by side. */
  async offers(intentId: string): Promise<Offer[]> {
    const ctx = this.#ctx
    ctx.keys()
    const intent = await ctx.db
      .selectFrom('intents')
      .selectAll()
      .select(ledgerEpoch)
      .where('id', '=', intentId)
      .executeTakeFirst()
    if (!intent) throw new IntentNotFoundError('Intent')
    checkIntentRow(ctx, intent)
    const rows = await ctx.db
      .selectFrom('intent_offers')
      .selectAll()
      .where('intent_id', '=', intentId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows
      .map((row) => {
        checkOfferRow(ctx, row)
        return offerView(ctx, row)
      })
      .sort(
        (a, b) =>
          a.price.currency.localeCompare(b.price.currency) || a.price.amount - b.price.amount,
      )
  }

  /**
   * Accepts an open offer: the intent closes as fulfilled, every other open offer is declined,
   * and each vendor is told through a signal (`intent.offer_accepted` / `intent.offer_declined`).
   * In the same transaction a conversation thread with the chosen vendor about the order opens
   * (issue 13: "then a conversation thread with that vendor about the order"), its first message
   * signed with `sign` like any owner message and naming the offer as its order number — so the
   * acceptance never stands without its thread, nor the thread without the acceptance. The thread
   * is the owner's; the vendor reads and writes in it only while a grant of its allows `converse`
   * (the one refusal policy), and is signalled of it only then.
   * Allowed until the intent is decided, also after it stopped taking offers; not for an offer
   * past its own `validUntil` (ERR_OFFER_EXPIRED). Returns what is left to consent to: the grant
   * of exactly the fields the intent said she would disclose, for the normal grant path.
   */
  async accept(intentId: string, offerId: string, sign: EntrySigner): Promise<AcceptedOffer> {
    if (typeof sign !== 'function') throw new TypeError('sign must be a function')
    const { intent, offers, thread } = await this.#decide(intentId, offerId, sign)
    const chosen = offers.find((o) => o.id === offerId)
    if (!chosen || !thread) throw new IntentNotFoundError('Offer')
    const body = intent.body
    return {
      intentId,
      offerId,
      vendorId: chosen.vendor_id,
      threadId: thread.id,
      disclose: body.disclose,
      declined: offers.filter((o) => o.id !== offerId).map((o) => o.id),
      grant: {
        vendorId: chosen.vendor_id,
        fields: body.disclose,
        actions: ['read'],
        purpose: `To fulfil the accepted offer on: ${body.category}`.slice(0, 500),
      },
    }
  }

  /** Declines one open offer; the intent stays open for others. */
  async decline(intentId: string, offerId: string): Promise<void> {
    const ctx = this.#ctx
    ctx.keys()
    await ctx.db.transaction().execute(async (trx) => {
      await intentRow(ctx, trx, intentId)
      const offer = await trx
        .selectFrom('intent_offers')
        .selectAll()
        .where('id', '=', offerId)
        .where('intent_id', '=', intentId)
        .executeTakeFirst()
      if (!offer) throw new IntentNotFoundError('Offer')
      checkOfferRow(ctx, offer)
      if (offer.state !== 'open') throw new VaultError('ERR_CONFLICT', 'This offer is not open')
      await setOfferStates(ctx, trx, [offer], 'declined')
      await ctx.audit.appendInTransaction(trx, [
        {
          action: 'intent.offer_declined',
          actor: 'owner',
          vendorId: offer.vendor_id,
          detail: offer.id,
        },
      ])
    })
  }

  /** Closes an open intent without accepting anything: its open offers are declined. */
  async close(intentId: string): Promise<void> {
    await this.#decide(intentId, undefined, undefined)
  }

  /**
   * A vendor's view of the intents, for the consent API: every call first passes the refusal
   * policy for the grant the vendor's token carries — revoked, expired, blocked, not its own, or
   * without `intents` is a typed error, logged — and then sees only what it may.
   */
  asVendor(caller: IntentCaller): VendorIntents {
    return new VendorIntents(this.#ctx, caller)
  }

  /** Accept (`offerId`) or close: one transaction, one audit entry per step, one signal per vendor. */
  async #decide(
    intentId: string,
    offerId: string | undefined,
    sign: EntrySigner | undefined,
  ): Promise<{
    intent: { row: IntentsTable; body: ReturnType<typeof intentBody> }
    offers: IntentOffersTable[]
    thread?: Thread
  }> {
    const ctx = this.#ctx
    ctx.keys()
    let result:
      | {
          intent: { row: IntentsTable; body: ReturnType<typeof intentBody> }
          offers: IntentOffersTable[]
          thread?: Thread
        }
      | undefined
    const at = ctx.now().toISOString()
    await ctx.db.transaction().execute(async (trx) => {
      // First: holds vault_meta (the ledger epoch) for the advance at the end.
      const write = await writeTerm(ctx, trx)
      const row = await intentRow(ctx, trx, intentId)
      const offers = (
        await trx
          .selectFrom('intent_offers')
          .selectAll()
          .where('intent_id', '=', intentId)
          .where('state', '=', 'open')
          .execute()
      ).filter((o) => {
        checkOfferRow(ctx, o)
        return true
      })
      const chosen = offerId === undefined ? undefined : offers.find((o) => o.id === offerId)
      if (offerId !== undefined) {
        if (!chosen) throw new IntentNotFoundError('Offer')
        if (offerView(ctx, chosen).validUntil <= at)
          throw new VaultError('ERR_OFFER_EXPIRED', 'This offer is no longer valid')
      }
      const others = offers.filter((o) => o !== chosen)
      if (chosen) await setOfferStates(ctx, trx, [chosen], 'accepted')
      await setOfferStates(ctx, trx, others, 'declined')
      const values = {
        ...row,
        state: chosen ? ('fulfilled' as const) : ('closed' as const),
        closed_at: at,
        accepted_offer_id: chosen?.id ?? null,
      }
      await trx
        .updateTable('intents')
        .set({
          state: values.state,
          closed_at: at,
          accepted_offer_id: values.accepted_offer_id,
          row_mac: ctx.rows.mac('intents', authenticated.intents(values, write.epoch)),
        })
        .where('id', '=', intentId)
        .execute()
      const body = intentBody(ctx, row)
      await ctx.audit.appendInTransaction(trx, [
        chosen
          ? {
              action: 'intent.offer_accepted',
              actor: 'owner',
              vendorId: chosen.vendor_id,
              detail: chosen.id,
              paths: body.disclose,
            }
          : { action: 'intent.closed', actor: 'owner', detail: intentId },
        ...others.map((o) => ({
          action: 'intent.offer_declined' as const,
          actor: 'owner',
          vendorId: o.vendor_id,
          detail: o.id,
        })),
      ])
      const thread =
        chosen && sign
          ? await openThreadInTransaction(
              ctx,
              trx,
              write,
              orderThread(chosen.vendor_id, body, offerView(ctx, chosen)),
              sign,
            )
          : undefined
      // The intent no longer takes offers: every intent, grant and vendor row moves to the next
      // epoch, so the row saved while it was open cannot be put back (integrity/ledger.ts).
      await advanceLedger(ctx, trx, write.epoch)
      result = {
        intent: { row, body },
        offers: chosen ? [chosen, ...others] : others,
        ...(thread ? { thread } : {}),
      }
    })
    if (result?.thread) emitOpened(ctx, result.thread)
    ctx.emit({
      type: 'intent.closed',
      intentId,
      ...(offerId !== undefined ? { acceptedOfferId: offerId } : {}),
    })
    if (!result) throw new IntentNotFoundError('Intent')
    return result
  }
}

/** The intent's row, checked, and still undecided (else ERR_INTENT_CLOSED). */
async function intentRow(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  intentId: string,
): Promise<IntentsTable> {
  const row = await trx
    .selectFrom('intents')
    .selectAll()
    .select(ledgerEpoch)
    .where('id', '=', intentId)
    .executeTakeFirst()
  if (!row) throw new IntentNotFoundError('Intent')
  checkIntentRow(ctx, row)
  const state = intentState(row, ctx.now())
  if (state === 'fulfilled' || state === 'closed')
    throw new VaultError('ERR_INTENT_CLOSED', 'This intent is closed')
  return row
}

/** Chosen vendors must exist and not be blocked: an intent cannot be aimed at nobody by mistake. */
async function requireVendors(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  ids: readonly string[],
  epoch: number,
): Promise<void> {
  const rows = await trx
    .selectFrom('vendors')
    .selectAll()
    .select(ledgerEpoch)
    .where('id', 'in', [...ids])
    .execute()
  for (const row of rows) checkVendorRow(ctx, row, epoch)
  const usable = new Set(rows.filter((r) => r.blocked === 0).map((r) => r.id))
  const missing = ids.findIndex((id) => !usable.has(id))
  if (missing !== -1)
    throw new ValidationError(
      [{ path: `audience.vendors.${missing}`, message: 'not a connected, unblocked vendor' }],
      'Invalid intent',
    )
}

/**
 * The thread an acceptance opens: about the purchase, under the intent's category, its first
 * message saying which offer was accepted (the offer id, the vendor's own, as its order number)
 * and which fields the owner will consent to.
 */
function orderThread(
  vendorId: string,
  body: { readonly category: string; readonly disclose: readonly string[] },
  offer: Offer,
): Parameters<typeof openThreadInTransaction>[3] {
  const price = `${offer.price.amount} ${offer.price.currency}`
  const fields =
    body.disclose.length > 0
      ? ` You may ask for the fields I said I would disclose: ${body.disclose.join(', ')}.`
      : ''
  return {
    vendorId,
    openedBy: 'owner',
    topic: 'purchase',
    subject: `Your offer on ${body.category}`,
    purchaseId: undefined,
    grantId: undefined,
    message: {
      // Bounded like any message: the offer's text and the field list together could exceed it.
      text: `I accepted your offer (${price}): ${offer.included}.${fields}`
        .slice(0, MAX_MESSAGE_CHARS)
        .replace(/[\uD800-\uDBFF]$/, ''),
      orderNumber: offer.id,
      status: 'waiting_for_vendor',
    },
  }
}
