/**
 * What Fjord Outdoor does with a customer's Custos, once, for both skins (the HTML routes and the
 * RFC 8935 receiver): connect, keep the record in step with the grant, send receipts, and obey
 * the vault's signals. Connections are made once per vault and kept for the shop's lifetime.
 */
import { randomBytes } from 'node:crypto'
import {
  CustosConnection,
  CustosError,
  type PendingAuthorization,
  type ShopIdentity,
} from './custos-connection.js'
import {
  type VendorIntentJson,
  catalogueMatch,
  fieldsToAsk,
  offerFor,
  threadOfOffer,
} from './intent-answers.js'
import type { CustomerRecord, OfferCopy, SentReceipt, ShopStore } from './shop-store.js'

const EVENTS = 'https://custos.dev/secevent'

/** A purchase as `POST /v1/purchases` takes it (the vault's inbox: the customer accepts or rejects it). */
export interface OrderReceipt {
  readonly seller: string
  readonly orderDate: string
  readonly orderNumber: string
  readonly currency: string
  readonly total: number
  readonly items: readonly { readonly name: string }[]
}

interface InFlight {
  readonly customerId: string
  readonly issuer: string
  readonly pending: PendingAuthorization
}

export class FjordShop {
  readonly identity: ShopIdentity
  readonly store: ShopStore
  readonly #fetch: typeof fetch | undefined
  /** One registration per vault (by issuer); a failed attempt is forgotten so the next can retry. */
  readonly #connections = new Map<string, Promise<CustosConnection>>()
  /** Authorizations in flight, by their `state` (RFC 6749 §10.12: binds the callback to this browser). */
  readonly #inFlight = new Map<string, InFlight>()

  constructor(identity: ShopIdentity, store: ShopStore, options: { fetch?: typeof fetch } = {}) {
    this.identity = identity
    this.store = store
    this.#fetch = options.fetch
  }

  /** The connection to this vault: discovered and registered the first time. */
  connection(issuer: URL): Promise<CustosConnection> {
    const key = issuer.origin
    let made = this.#connections.get(key)
    if (!made) {
      made = CustosConnection.connect(
        issuer,
        this.identity,
        this.#fetch ? { fetch: this.#fetch } : {},
      )
      made.catch(() => this.#connections.delete(key))
      this.#connections.set(key, made)
    }
    return made
  }

  /** The connection whose vault is `issuer`, if the shop has registered there. */
  async knownConnection(issuer: string): Promise<CustosConnection | undefined> {
    for (const made of this.#connections.values()) {
      const connection = await made.catch(() => undefined)
      if (connection?.issuer === issuer) return connection
    }
    return undefined
  }

  /**
   * Pushes the request and returns where the customer's browser goes next; `extraFields` are
   * those an accepted offer's intent discloses (an ordinary request, approved on her consent page).
   */
  async beginConnect(
    customerId: string,
    issuer: URL,
    extraFields: readonly string[] = [],
  ): Promise<URL> {
    const connection = await this.connection(issuer)
    const pending = await connection.startAuthorization(extraFields)
    this.#inFlight.set(pending.state, { customerId, issuer: connection.issuer, pending })
    return pending.url
  }

  /**
   * The callback: the code exchanged, then the record read. Returns the customer it belongs to;
   * undefined when the `state` is not one the shop issued to this customer (a forged or replayed
   * callback).
   */
  async completeConnect(customerId: string, callback: URL): Promise<CustomerRecord | undefined> {
    const state = callback.searchParams.get('state') ?? ''
    const flight = this.#inFlight.get(state)
    if (!flight || flight.customerId !== customerId) return undefined
    this.#inFlight.delete(state)
    const connection = await this.connection(new URL(flight.issuer))
    const tokens = await connection.finishAuthorization(flight.pending, callback)
    const before = this.store.customer(customerId)
    const record: CustomerRecord = {
      id: customerId,
      issuer: connection.issuer,
      clientId: connection.clientId,
      status: 'connected',
      tokens,
      grant: undefined,
      fields: {},
      agreements: [],
      consentReceipts: [],
      conversations: before?.conversations ?? [],
      offers: before?.offers ?? [],
      fieldsToApprove: [],
      receiptsSent: before?.receiptsSent ?? [],
      updatedAt: new Date().toISOString(),
    }
    await this.reread(record)
    return record
  }

  /**
   * Reads the record through the grant — profile, grant (receipt and consent record), the
   * agreement records and every receipt of the grant — and saves it. A 401 means the grant is gone: the copy is dropped.
   */
  async reread(record: CustomerRecord): Promise<void> {
    const connection = await this.connection(new URL(record.issuer))
    if (!record.tokens) return
    record.tokens = await connection.fresh(record.tokens)
    const tokens = record.tokens
    const [profile, grant, agreements] = await Promise.all([
      connection.resource(tokens, 'GET', '/v1/profile'),
      connection.resource(tokens, 'GET', '/v1/grant'),
      connection.resource(tokens, 'GET', '/v1/agreements'),
    ])
    // RFC 6750 §3.1: invalid_token — the grant was revoked or expired; stop and drop the copy.
    if ([profile, grant, agreements].some((r) => r.status === 401)) {
      this.dropCopy(record, 'revoked')
      return
    }
    for (const r of [profile, grant, agreements])
      if (!r.ok) throw new CustosError(`The vault answered ${r.status} to a read`)
    record.fields = ((await profile.json()) as { fields: Record<string, unknown> }).fields
    const g = (await grant.json()) as Record<string, unknown>
    record.grant = {
      grantId: String(g.grant_id),
      fields: g.fields as string[],
      purpose: String(g.purpose),
      purposes: g.purposes as string[],
      expiresAt: typeof g.expires_at === 'string' ? g.expires_at : undefined,
      receipt: String(g.receipt),
      consentRecord: String(g.consent_record),
    }
    const a = (await agreements.json()) as {
      agreements: {
        record_id: string
        jws: string
        record: { status: string; agreement: { id: string; url: string } | null }
      }[]
    }
    record.agreements = a.agreements.map((x) => ({
      recordId: x.record_id,
      jws: x.jws,
      agreement: x.record.agreement?.id ?? null,
      url: x.record.agreement?.url ?? null,
      status: x.record.status,
    }))
    record.consentReceipts = await connection.receipts(record.grant.grantId)
    this.store.save(record)
  }

  /** The grant ended: the copy of the customer's data goes; the evidence of past consent stays. */
  dropCopy(record: CustomerRecord, status: 'revoked' | 'expired'): void {
    record.status = status
    record.tokens = undefined
    record.fields = {}
    this.store.save(record)
  }

  /** Appends an order receipt to the customer's vault inbox (`POST /v1/purchases`, 202). */
  async sendReceipt(record: CustomerRecord): Promise<SentReceipt> {
    if (!record.tokens) throw new CustosError('Not connected to your Custos')
    const connection = await this.connection(new URL(record.issuer))
    record.tokens = await connection.fresh(record.tokens)
    const order: OrderReceipt = {
      seller: this.identity.name,
      orderDate: new Date().toISOString().slice(0, 10),
      orderNumber: `F-${randomBytes(3).toString('hex').toUpperCase()}`,
      currency: 'EUR',
      total: 129.9,
      items: [{ name: 'Rain jacket' }],
    }
    const res = await connection.resource(record.tokens, 'POST', '/v1/purchases', order)
    if (res.status === 401) {
      this.dropCopy(record, 'revoked')
      throw new CustosError('Your Custos no longer grants Fjord Outdoor access')
    }
    if (res.status !== 202) throw new CustosError(`Your Custos answered ${res.status}`)
    const { id } = (await res.json()) as { id: string }
    const sent = { orderNumber: order.orderNumber, inboxId: id, at: new Date().toISOString() }
    record.receiptsSent.push(sent)
    this.store.save(record)
    return sent
  }

  /**
   * Acts on one verified SET from `connection`'s vault (README "For vendors", step 6). Throws
   * when it could not finish (the vault unreachable for a re-read): the receiver then refuses the
   * push and the vault retries it.
   */
  async apply(connection: CustosConnection, events: Record<string, unknown>): Promise<void> {
    for (const [type, body] of Object.entries(events)) {
      const event = (typeof body === 'object' && body !== null ? body : {}) as {
        grant_id?: unknown
        request_id?: unknown
      }
      const record =
        typeof event.grant_id === 'string'
          ? this.store.byGrant(connection.issuer, event.grant_id)
          : undefined
      switch (type) {
        case `${EVENTS}/field-changed`:
        case `${EVENTS}/grant-narrowed`:
          // The SET names paths, never values: read the new ones through the grant.
          if (record) await this.reread(record)
          break
        case `${EVENTS}/grant-revoked`:
          if (record) this.dropCopy(record, 'revoked')
          break
        case `${EVENTS}/grant-expired`:
          if (record) this.dropCopy(record, 'expired')
          break
        case `${EVENTS}/receipt-issued`:
          // A new receipt: keep the grant's whole signed history (it is evidence, even revoked).
          if (record) {
            record.consentReceipts = await connection.receipts(event.grant_id as string)
            this.store.save(record)
          }
          break
        case `${EVENTS}/message-posted`:
          // The customer wrote in her vault: read the thread through the grant and answer.
          if (record && typeof (event as { thread_id?: unknown }).thread_id === 'string')
            await this.answer(record, (event as { thread_id: string }).thread_id)
          break
        case `${EVENTS}/intent-offer-accepted`:
        case `${EVENTS}/intent-offer-declined`: {
          // No grant in these: the offer id names the customer the shop made it to.
          const offerId = (event as { offer_id?: unknown }).offer_id
          const offerOf =
            typeof offerId === 'string' ? this.store.byOffer(connection.issuer, offerId) : undefined
          const offer = offerOf?.offers.find((o) => o.offerId === offerId)
          if (!offerOf || !offer) break
          if (type.endsWith('declined')) {
            offer.state = 'declined'
            this.store.save(offerOf)
          } else await this.accepted(offerOf, offer)
          break
        }
        case `${EVENTS}/erasure-requested`:
          if (typeof event.request_id === 'string') await this.erase(connection, event.request_id)
          break
        // RFC 8417 §2.2: an event type the receiver does not know is ignored, not an error.
      }
    }
  }

  /**
   * Reads a thread with the customer (`GET /v1/conversations/{id}`, the `converse` action of its
   * grant), keeps a copy, and — when her message is the last — answers it: the vault countersigns
   * the answer and keeps it in her record, which is the one that counts.
   */
  async answer(record: CustomerRecord, threadId: string): Promise<void> {
    const connection = await this.connection(new URL(record.issuer))
    if (!record.tokens) return
    record.tokens = await connection.fresh(record.tokens)
    const path = `/v1/conversations/${encodeURIComponent(threadId)}`
    let thread = await connection.resource(record.tokens, 'GET', path)
    if (!thread.ok) throw new CustosError(`The vault answered ${thread.status} to a thread read`)
    let body = (await thread.json()) as ThreadJson
    // A thread her acceptance opened is answered by `accepted` (the signals may be handled in
    // either order): one answer, not two.
    const aboutOurOffer = record.offers.some((o) => o.offerId === body.items[0]?.order_number)
    if (body.items.at(-1)?.author === 'owner' && body.state !== 'closed' && !aboutOurOffer) {
      const sent = await connection.resource(record.tokens, 'POST', `${path}/messages`, {
        text: 'Thank you — Fjord Outdoor has your message and will answer within one working day.',
        status: 'waiting_for_you',
      })
      if (!sent.ok) throw new CustosError(`The vault answered ${sent.status} to our reply`)
      thread = await connection.resource(record.tokens, 'GET', path)
      if (!thread.ok) throw new CustosError(`The vault answered ${thread.status} to a thread read`)
      body = (await thread.json()) as ThreadJson
    }
    const copy = {
      threadId: body.id,
      subject: body.subject,
      status: body.status,
      messages: body.items.map((m) => ({ author: m.author, at: m.at, text: m.text })),
    }
    record.conversations = [...record.conversations.filter((t) => t.threadId !== body.id), copy]
    this.store.save(record)
  }

  /**
   * The shop's rule for intents (issue 13): reads the open intents this customer's grant lets it
   * see and offers on each its catalogue fits and it has not answered yet. Returns the offers made.
   */
  async answerIntents(record: CustomerRecord): Promise<OfferCopy[]> {
    const connection = await this.connection(new URL(record.issuer))
    if (!record.tokens) return []
    record.tokens = await connection.fresh(record.tokens)
    const res = await connection.resource(record.tokens, 'GET', '/v1/intents')
    if (!res.ok) throw new CustosError(`The vault answered ${res.status} to the intents list`)
    const made: OfferCopy[] = []
    for (const intent of ((await res.json()) as { items: VendorIntentJson[] }).items) {
      const item = catalogueMatch(intent)
      if (!item || intent.state !== 'open' || intent.offers.length > 0) continue
      const path = `/v1/intents/${encodeURIComponent(intent.id)}/offers`
      const sent = await connection.resource(record.tokens, 'POST', path, offerFor(intent, item))
      if (sent.status !== 201)
        throw new CustosError(`The vault answered ${sent.status} to an offer`)
      const { id } = (await sent.json()) as { id: string }
      const copy: OfferCopy = {
        offerId: id,
        intentId: intent.id,
        category: intent.category,
        included: item.included,
        state: 'open',
      }
      record.offers.push(copy)
      made.push(copy)
    }
    this.store.save(record)
    return made
  }

  /** Answers the open intents of every connected customer (the shop's periodic round). */
  async answerAllIntents(): Promise<OfferCopy[]> {
    const made: OfferCopy[] = []
    for (const record of this.store.connected()) made.push(...(await this.answerIntents(record)))
    return made
  }

  /**
   * Her acceptance: the fields her intent discloses are asked for with an ordinary authorization
   * request where the grant lacks them (she approves them on her consent page; the account page
   * offers it), and the shop writes in the thread her vault opened with the acceptance.
   */
  async accepted(record: CustomerRecord, offer: OfferCopy): Promise<void> {
    const connection = await this.connection(new URL(record.issuer))
    if (!record.tokens) return
    record.tokens = await connection.fresh(record.tokens)
    offer.state = 'accepted'
    const read = await connection.resource(
      record.tokens,
      'GET',
      `/v1/intents/${encodeURIComponent(offer.intentId)}`,
    )
    if (!read.ok) throw new CustosError(`The vault answered ${read.status} to an intent read`)
    const { disclose } = (await read.json()) as VendorIntentJson
    record.fieldsToApprove = fieldsToAsk(record, disclose)
    const threadId = await threadOfOffer(connection, record.tokens, offer.offerId)
    if (threadId) {
      offer.threadId = threadId
      const ask =
        record.fieldsToApprove.length > 0
          ? ` To deliver, we need ${record.fieldsToApprove.join(', ')}: please approve them at ${this.identity.baseUrl}/account.`
          : ' We have what we need to deliver.'
      const path = `/v1/conversations/${encodeURIComponent(threadId)}/messages`
      const sent = await connection.resource(record.tokens, 'POST', path, {
        text: `Thank you for choosing Fjord Outdoor: ${offer.included}.${ask}`,
        status: 'waiting_for_you',
      })
      if (!sent.ok) throw new CustosError(`The vault answered ${sent.status} to our message`)
    }
    this.store.save(record)
    if (threadId) await this.answer(record, threadId)
  }

  /** Erases everything the shop holds through this registration, then says so, signed. */
  async erase(connection: CustosConnection, requestId: string): Promise<void> {
    const customers = this.store.byClient(connection.issuer, connection.clientId)
    for (const c of customers) this.store.erase(c.id)
    const done = {
      requestId,
      issuer: connection.issuer,
      customersErased: customers.length,
      acknowledged: false,
    }
    this.store.recordErasure(done)
    await connection.acknowledgeErasure(requestId)
    done.acknowledged = true
  }
}

/** A thread as `GET /v1/conversations/{id}` answers (what the shop reads of it). */
interface ThreadJson {
  readonly id: string
  readonly subject: string
  readonly status: string
  readonly state: string
  readonly items: readonly {
    readonly author: string
    readonly at: string
    readonly text: string
    readonly order_number?: string
  }[]
}
