/**
 * Fjord Outdoor's own records, in memory: one customer record per connected vault. The record
 * *is* what the customer's vault grants — the shop keeps no second copy to drift out of date —
 * plus the evidence it must be able to show: the consent receipt (Kantara), the ISO/IEC TS 27560
 * consent record, the signed MyTerms agreement, and the order receipts it sent. A real shop puts
 * this in its database; the shape stays the same.
 */

/** The tokens of one grant (RFC 6749 §5.1): the access token lives minutes, the refresh token rotates. */
export interface GrantTokens {
  readonly accessToken: string
  readonly refreshToken: string | undefined
  /** Epoch milliseconds after which the access token is not used any more. */
  readonly expiresAt: number
}

/** What `GET /v1/grant` said, kept as the vault signed it. */
export interface GrantEvidence {
  readonly grantId: string
  readonly fields: readonly string[]
  readonly purpose: string
  readonly purposes: readonly string[]
  readonly expiresAt: string | undefined
  /** The Kantara consent receipt (compact JWS, the vault's key). */
  readonly receipt: string
  /** The ISO/IEC TS 27560 consent record (JWT of typ consent-record+jwt). */
  readonly consentRecord: string
}

/** One IEEE 7012 agreement record, exactly as `GET /v1/agreements` returned it. */
export interface AgreementEvidence {
  readonly recordId: string
  readonly jws: string
  /** The roster id in force (`SD-BASE`), or null after a decline. */
  readonly agreement: string | null
  readonly url: string | null
  readonly status: string
}

/** One consent event's receipts, as `POST /oauth/receipts` returned them (the vault's signatures). */
export interface ConsentReceiptEvidence {
  readonly id: string
  /** given, narrowed, withdrawn, expired (or refused). */
  readonly event: string
  readonly at: string
  readonly receipt: string
  readonly consentRecord: string
}

/** A conversation with the customer, as her vault keeps it (the shop's copy). */
export interface ConversationCopy {
  readonly threadId: string
  readonly subject: string
  readonly status: string
  readonly messages: readonly {
    readonly author: string
    readonly at: string
    readonly text: string
  }[]
}

/** An offer the shop made on a customer's intent (issue 13), and how it ended. */
export interface OfferCopy {
  readonly offerId: string
  /** The intent's id as the shop knows it (its own pseudonym for it). */
  readonly intentId: string
  readonly category: string
  readonly included: string
  state: 'open' | 'accepted' | 'declined'
  /** The thread the customer's vault opened with her acceptance. */
  threadId?: string
}

export interface SentReceipt {
  readonly orderNumber: string
  readonly inboxId: string
  readonly at: string
}

export interface CustomerRecord {
  /** The shop's own id for the customer (its session cookie names it). */
  readonly id: string
  /** The customer's vault, and the client id the shop holds there. */
  readonly issuer: string
  readonly clientId: string
  status: 'connected' | 'revoked' | 'expired'
  tokens: GrantTokens | undefined
  grant: GrantEvidence | undefined
  /** The granted fields that have values: the customer record proper. */
  fields: Record<string, unknown>
  agreements: AgreementEvidence[]
  /** Every consent receipt of the grant, kept as evidence (refreshed on each receipt-issued signal). */
  consentReceipts: ConsentReceiptEvidence[]
  /** Threads with the customer, kept in her vault; the shop keeps a copy to answer from. */
  conversations: ConversationCopy[]
  /** Offers made on her intents. */
  offers: OfferCopy[]
  /** Fields an accepted offer's intent discloses that the grant does not give yet: asked for next. */
  fieldsToApprove: string[]
  receiptsSent: SentReceipt[]
  updatedAt: string
}

/** An erasure the shop carried out, so it can say so (and to whom it answered). */
export interface ErasureDone {
  readonly requestId: string
  readonly issuer: string
  readonly customersErased: number
  acknowledged: boolean
}

/**
 * The shop's customers, the authorizations in flight, and the SET ids already handled.
 *
 * @example
 * const store = new ShopStore()
 * const record = store.customer('c_1')
 */
export class ShopStore {
  readonly #customers = new Map<string, CustomerRecord>()
  /** RFC 8935 delivery is at least once: a SET's jti seen before is answered 202 and not acted on again. */
  readonly #seenJtis = new Set<string>()
  readonly #erasures: ErasureDone[] = []

  customer(id: string): CustomerRecord | undefined {
    return this.#customers.get(id)
  }

  save(record: CustomerRecord): void {
    record.updatedAt = new Date().toISOString()
    this.#customers.set(record.id, record)
  }

  /** The customer whose grant this is (SETs name the grant in `sub_id` and the event). */
  byGrant(issuer: string, grantId: string): CustomerRecord | undefined {
    for (const c of this.#customers.values())
      if (c.issuer === issuer && c.grant?.grantId === grantId) return c
    return undefined
  }

  /** The customer the shop made this offer to (intent signals name the offer, not a grant). */
  byOffer(issuer: string, offerId: string): CustomerRecord | undefined {
    for (const c of this.#customers.values())
      if (c.issuer === issuer && c.offers.some((o) => o.offerId === offerId)) return c
    return undefined
  }

  /** Every customer whose grant is live. */
  connected(): CustomerRecord[] {
    return [...this.#customers.values()].filter((c) => c.status === 'connected')
  }

  /** Every customer the shop knows through this client id at this vault. */
  byClient(issuer: string, clientId: string): CustomerRecord[] {
    return [...this.#customers.values()].filter(
      (c) => c.issuer === issuer && c.clientId === clientId,
    )
  }

  /** Deletes the customer's record entirely: profile copy, tokens, evidence, receipts. */
  erase(id: string): void {
    this.#customers.delete(id)
  }

  /** Remembers a SET's jti once it has been acted on (not before: a failed attempt is retried). */
  remember(jti: string): void {
    this.#seenJtis.add(jti)
  }

  seen(jti: string): boolean {
    return this.#seenJtis.has(jti)
  }

  recordErasure(done: ErasureDone): void {
    this.#erasures.push(done)
  }

  erasures(): readonly ErasureDone[] {
    return this.#erasures
  }
}
