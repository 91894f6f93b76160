import { type VaultContext, newId } from '../context.js'
import { sealJson } from '../crypto/envelope.js'
import type { IntentOffersTable, IntentsTable } from '../db/schema.js'
import { IntentNotFoundError, ValidationError, VaultError, issuesFromZod } from '../errors.js'
import { ledgerEpoch } from '../grants/grant-store.js'
import { liveGrant } from '../grants/read-through-grant.js'
import { assertVendorId } from '../grants/vendor-attempt.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from '../keys/write-term.js'
import {
  MAX_OFFERS_PER_INTENT,
  MAX_OFFERS_PER_VENDOR,
  type Offer,
  OfferInput,
  OfferSignature,
  type VendorIntent,
} from './intent.js'
import { intentPseudonym } from './intent-pseudonym.js'
import {
  audienceIncludes,
  checkIntentRow,
  checkOfferRow,
  intentBody,
  intentState,
  offerPlace,
  offerView,
  setOfferStates,
} from './intent-rows.js'

/** Who calls: the vendor the consent API authenticated, and the grant its token carries. */
export interface IntentCaller {
  readonly vendorId: string
  readonly grantId: string
}

/**
 * A vendor's side of the owner's intents. It sees an intent only while its live grant includes
 * `intents` and the intent's audience names it (or is everyone); a blocked vendor's grant stops
 * working, so it sees nothing and cannot offer. An intent it may not see is, to it, one that does
 * not exist (ERR_NOT_FOUND); one it may see that stopped taking offers is ERR_INTENT_CLOSED.
 */
export class VendorIntents {
  readonly #ctx: VaultContext
  readonly #caller: IntentCaller
  constructor(ctx: VaultContext, caller: IntentCaller) {
    assertVendorId(caller.vendorId)
    if (typeof caller.grantId !== 'string') throw new TypeError('grantId must be a string')
    this.#ctx = ctx
    this.#caller = caller
  }

  async #allowed(): Promise<void> {
    await liveGrant(this.#ctx, this.#caller.grantId, 'intents', undefined, {
      vendorId: this.#caller.vendorId,
    })
  }

  /** Intents this vendor may see, any state, each with its pseudonym. */
  async #visible(): Promise<{ row: IntentsTable; pseudonym: string }[]> {
    const ctx = this.#ctx
    const keys = ctx.keys()
    const rows = await ctx.db
      .selectFrom('intents')
      .selectAll()
      .select(ledgerEpoch)
      .orderBy('created_at', 'desc')
      .execute()
    const out: { row: IntentsTable; pseudonym: string }[] = []
    for (const row of rows) {
      checkIntentRow(ctx, row)
      if (!audienceIncludes(row.audience, this.#caller.vendorId)) continue
      out.push({ row, pseudonym: intentPseudonym(keys, row.id, this.#caller.vendorId) })
    }
    return out
  }

  async #find(pseudonym: string): Promise<IntentsTable> {
    if (typeof pseudonym !== 'string') throw new TypeError('intent id must be a string')
    const found = (await this.#visible()).find((v) => v.pseudonym === pseudonym)
    if (!found) throw new IntentNotFoundError('Intent')
    return found.row
  }

  async #ownOffers(intentId: string): Promise<IntentOffersTable[]> {
    const rows = await this.#ctx.db
      .selectFrom('intent_offers')
      .selectAll()
      .where('intent_id', '=', intentId)
      .where('vendor_id', '=', this.#caller.vendorId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    for (const row of rows) checkOfferRow(this.#ctx, row)
    return rows
  }

  #view(row: IntentsTable, pseudonym: string, offers: readonly IntentOffersTable[]): VendorIntent {
    const body = intentBody(this.#ctx, row)
    return {
      ...body,
      id: pseudonym,
      state: intentState(row, this.#ctx.now()) === 'open' ? 'open' : 'closed',
      openUntil: row.open_until,
      offers: offers.map((o) => {
        const { intentId: _i, vendorId: _v, ...own } = offerView(this.#ctx, o)
        return own
      }),
    }
  }

  async #viewed(detail?: string): Promise<void> {
    await this.#ctx.audit.appendDurable({
      action: 'intent.viewed',
      actor: `vendor:${this.#caller.vendorId}`,
      vendorId: this.#caller.vendorId,
      grantId: this.#caller.grantId,
      ...(detail ? { detail } : {}),
    })
  }

  /** The open intents this vendor may see, newest first. Audited. */
  async list(): Promise<VendorIntent[]> {
    await this.#allowed()
    const now = this.#ctx.now()
    const open = (await this.#visible()).filter((v) => intentState(v.row, now) === 'open')
    const out: VendorIntent[] = []
    for (const v of open) out.push(this.#view(v.row, v.pseudonym, await this.#ownOffers(v.row.id)))
    await this.#viewed()
    return out
  }

  /**
   * One intent by this vendor's id for it: an open one, or a closed one it made offers on (so it
   * learns how they ended and, when accepted, which fields to ask for on the consent page). Any
   * other: ERR_NOT_FOUND. Audited.
   */
  async get(pseudonym: string): Promise<VendorIntent> {
    await this.#allowed()
    const row = await this.#find(pseudonym)
    const offers = await this.#ownOffers(row.id)
    if (intentState(row, this.#ctx.now()) !== 'open' && offers.length === 0)
      throw new IntentNotFoundError('Intent')
    await this.#viewed(row.id)
    return this.#view(row, pseudonym, offers)
  }

  /**
   * Makes an offer with the signature the consent API checked or made (the vault stores it and
   * signs nothing). Refused: an intent not open (ERR_INTENT_CLOSED), {@link MAX_OFFERS_PER_VENDOR}
   * offers from this vendor or {@link MAX_OFFERS_PER_INTENT} in all (ERR_OFFER_LIMIT), a
   * `validUntil` not in the future (ERR_VALIDATION).
   */
  async offer(pseudonym: string, input: OfferInput, signature: OfferSignature): Promise<Offer> {
    const ctx = this.#ctx
    const parsed = OfferInput.safeParse(input)
    if (!parsed.success)
      throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid offer')
    const sig = OfferSignature.safeParse(signature)
    if (!sig.success) throw new TypeError('signature must be { jws, signedBy }')
    const now = ctx.now()
    if (Date.parse(parsed.data.validUntil) <= now.getTime())
      throw new ValidationError(
        [{ path: 'validUntil', message: 'must be in the future' }],
        'Invalid offer',
      )
    await this.#allowed()
    const intent = await this.#find(pseudonym)
    const id = newId(ctx.sodium, 'ofr')
    const at = now.toISOString()
    const { vendorId, grantId } = this.#caller
    await ctx.db.transaction().execute(async (trx) => {
      const { term, key } = await writeTerm(ctx, trx)
      // Read again inside the transaction: the owner may have decided it meanwhile.
      const row = await trx
        .selectFrom('intents')
        .selectAll()
        .select(ledgerEpoch)
        .where('id', '=', intent.id)
        .executeTakeFirst()
      if (!row) throw new IntentNotFoundError('Intent')
      checkIntentRow(ctx, row)
      if (intentState(row, now) !== 'open')
        throw new VaultError('ERR_INTENT_CLOSED', 'This intent no longer takes offers')
      const counts = await trx
        .selectFrom('intent_offers')
        .select(['vendor_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('intent_id', '=', row.id)
        .groupBy('vendor_id')
        .execute()
      const mine = Number(counts.find((c) => c.vendor_id === vendorId)?.n ?? 0)
      const all = counts.reduce((sum, c) => sum + Number(c.n), 0)
      if (mine >= MAX_OFFERS_PER_VENDOR || all >= MAX_OFFERS_PER_INTENT)
        throw new VaultError('ERR_OFFER_LIMIT', 'No more offers can be made on this intent')
      const values = {
        id,
        intent_id: row.id,
        vendor_id: vendorId,
        state: 'open' as const,
        created_at: at,
        updated_at: at,
      }
      const body = {
        ...parsed.data,
        validUntil: new Date(parsed.data.validUntil).toISOString(),
        signature: sig.data,
      }
      await trx
        .insertInto('intent_offers')
        .values({
          ...values,
          body: sealJson(ctx.sodium, key, term, offerPlace(ctx.keys().vaultId, id), body),
          term,
          row_mac: ctx.rows.mac('intent_offers', authenticated.intent_offers(values)),
        })
        .execute()
      await ctx.audit.appendInTransaction(trx, [
        { action: 'intent.offered', actor: `vendor:${vendorId}`, vendorId, grantId, detail: id },
      ])
    })
    ctx.emit({ type: 'intent.offered', intentId: intent.id, offerId: id, vendorId })
    const [created] = (await this.#ownOffers(intent.id)).filter((o) => o.id === id)
    if (!created) throw new IntentNotFoundError('Offer')
    return offerView(ctx, created)
  }

  /**
   * Withdraws this vendor's open offer while the intent is open; after it closed:
   * ERR_INTENT_CLOSED. Another vendor's offer, or none: ERR_NOT_FOUND.
   */
  async withdraw(pseudonym: string, offerId: string): Promise<void> {
    const ctx = this.#ctx
    await this.#allowed()
    const intent = await this.#find(pseudonym)
    const { vendorId, grantId } = this.#caller
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('intents')
        .selectAll()
        .select(ledgerEpoch)
        .where('id', '=', intent.id)
        .executeTakeFirst()
      if (!row) throw new IntentNotFoundError('Intent')
      checkIntentRow(ctx, row)
      if (intentState(row, ctx.now()) !== 'open')
        throw new VaultError('ERR_INTENT_CLOSED', 'This intent is closed')
      const offer = await trx
        .selectFrom('intent_offers')
        .selectAll()
        .where('id', '=', offerId)
        .where('intent_id', '=', row.id)
        .where('vendor_id', '=', vendorId)
        .executeTakeFirst()
      if (!offer) throw new IntentNotFoundError('Offer')
      checkOfferRow(ctx, offer)
      if (offer.state !== 'open') throw new VaultError('ERR_CONFLICT', 'This offer is not open')
      await setOfferStates(ctx, trx, [offer], 'withdrawn')
      await ctx.audit.appendInTransaction(trx, [
        {
          action: 'intent.offer_withdrawn',
          actor: `vendor:${vendorId}`,
          vendorId,
          grantId,
          detail: offer.id,
        },
      ])
    })
  }
}
