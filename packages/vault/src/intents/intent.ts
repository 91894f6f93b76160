import { z } from 'zod'
import { isFieldPath } from '../fields/vocabulary.js'

/*
 * Intents (issue 13): the owner says what she wants and vendors answer with offers — a personal
 * request for proposals, kept in her vault. These schemas are the single source of truth for the
 * library, the API and the pages; every size is bounded so an intent or an offer cannot be used
 * to fill the vault.
 */

/** Open intents an owner may have at once. */
export const MAX_OPEN_INTENTS = 20
/** Offers one vendor may make on one intent, withdrawn ones included (withdraw-and-repost is spam too). */
export const MAX_OFFERS_PER_VENDOR = 3
/** Offers one intent takes in all, from every vendor. */
export const MAX_OFFERS_PER_INTENT = 100
/** How long an intent may stay open. */
export const MAX_OPEN_DAYS = 90

const DAY_MS = 24 * 3600 * 1000

/** An amount with its ISO 4217 currency code. */
export const Money = z
  .object({
    amount: z.number().finite().min(0).max(1_000_000_000),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
  })
  .strict()
export type Money = z.infer<typeof Money>

/** What the owner asks for, in structured form: each part optional. */
export const Requirements = z
  .object({
    size: z.string().trim().min(1).max(40).optional(),
    budget: Money.optional(),
    /** Delivered on or before this day. */
    deliverBy: z.iso.date().optional(),
    location: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
export type Requirements = z.infer<typeof Requirements>

const FieldPathSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => isFieldPath(p), 'not a field path of the vocabulary')

/**
 * Who may see an intent: `all` — every vendor whose live grant includes `intents` — or the
 * chosen connected vendors (who must hold such a grant too: the grant is what a vendor's request
 * carries, and blocking the vendor ends it).
 */
export const IntentAudience = z.union([
  z.literal('all'),
  z.object({ vendors: z.array(z.string().min(1).max(64)).min(1).max(50) }).strict(),
])
export type IntentAudience = z.infer<typeof IntentAudience>

/** What the owner writes. */
export const IntentInput = z
  .object({
    category: z.string().trim().min(1).max(80),
    text: z.string().trim().min(1).max(2000),
    requirements: Requirements.default({}),
    /** When it stops taking offers: in the future, at most {@link MAX_OPEN_DAYS} days away. */
    openUntil: z.iso.datetime({ offset: true }),
    audience: IntentAudience,
    /** The field paths she will disclose to the vendor whose offer she accepts. */
    disclose: z.array(FieldPathSchema).max(50).default([]),
  })
  .strict()
export type IntentInput = z.input<typeof IntentInput>

/** Checks the open-until against the clock (a schema cannot know the time). */
export function openUntilProblem(openUntil: string, now: Date): string | undefined {
  const at = Date.parse(openUntil)
  if (at <= now.getTime()) return 'must be in the future'
  if (at - now.getTime() > MAX_OPEN_DAYS * DAY_MS) return `at most ${MAX_OPEN_DAYS} days away`
  return undefined
}

/** The encrypted part of an intent row. */
export const IntentBody = z.object({
  category: z.string(),
  text: z.string(),
  requirements: Requirements,
  disclose: z.array(z.string()),
})
export type IntentBody = z.infer<typeof IntentBody>

/** `expired` is computed at read time from `openUntil`, like a grant's expiry. */
export type IntentState = 'open' | 'expired' | 'fulfilled' | 'closed'

/** An intent as the owner sees it. */
export interface Intent extends IntentBody {
  readonly id: string
  readonly state: IntentState
  readonly audience: IntentAudience
  readonly openUntil: string
  readonly createdAt: string
  readonly closedAt?: string
  readonly acceptedOfferId?: string
  /** Offers still open (neither withdrawn nor decided). */
  readonly openOffers: number
}

/** The vendor's terms: a text, a link, or both. */
export const OfferTerms = z
  .object({
    text: z.string().trim().min(1).max(4000).optional(),
    url: z
      .url({ protocol: /^https$/ })
      .max(2000)
      .optional(),
  })
  .strict()

/** What a vendor offers. */
export const OfferInput = z
  .object({
    price: Money,
    /** What is included, in the vendor's words. */
    included: z.string().trim().min(1).max(2000),
    validUntil: z.iso.datetime({ offset: true }),
    terms: OfferTerms.default({}),
  })
  .strict()
export type OfferInput = z.input<typeof OfferInput>

/**
 * The signature the consent API passed in with an offer: a compact JWS over the offer, by the
 * vendor with its registered key, or by the vault's key on receipt (a countersignature recording
 * the authenticated client). The vault stores it and never signs itself.
 */
export const OfferSignature = z
  .object({
    jws: z.string().min(1).max(16_000),
    signedBy: z.enum(['vendor', 'vault']),
  })
  .strict()
export type OfferSignature = z.infer<typeof OfferSignature>

/** The encrypted part of an offer row. */
export const OfferBody = z.object({
  price: Money,
  included: z.string(),
  validUntil: z.string(),
  terms: z.object({ text: z.string().optional(), url: z.string().optional() }),
  signature: OfferSignature,
})
export type OfferBody = z.infer<typeof OfferBody>

/** An offer as the owner (or its own vendor) sees it. */
export interface Offer extends OfferBody {
  readonly id: string
  readonly intentId: string
  readonly vendorId: string
  readonly state: 'open' | 'withdrawn' | 'accepted' | 'declined'
  readonly createdAt: string
  readonly updatedAt: string
}

/**
 * An intent as a vendor sees it: only what it says, under an id that only this vendor gets
 * (intents/intent-pseudonym.ts) — never the owner's identity, never the other vendors.
 */
export interface VendorIntent extends IntentBody {
  readonly id: string
  /** `closed` once it stopped taking offers, whatever the reason (the vendor's own offers say how theirs ended). */
  readonly state: 'open' | 'closed'
  readonly openUntil: string
  /** This vendor's own offers on it, with the vendor's own ids. */
  readonly offers: readonly Omit<Offer, 'intentId' | 'vendorId'>[]
}

/**
 * What accepting an offer leaves to do: the owner consents to give this vendor exactly the
 * fields the intent said she would disclose, through the normal grant path (a grant and its
 * consent receipt). The conversation thread with the vendor about the order is already open
 * (`threadId`); its first message names the offer as its order number.
 */
export interface AcceptedOffer {
  readonly intentId: string
  readonly offerId: string
  readonly vendorId: string
  /** The thread with the vendor about the order, opened with the acceptance. */
  readonly threadId: string
  /** The field paths to grant, exactly as the intent said. */
  readonly disclose: readonly string[]
  /** The offers declined with it. */
  readonly declined: readonly string[]
  /** A grant request to put to the owner's consent (vault.grants.create), ready to use. */
  readonly grant: {
    readonly vendorId: string
    readonly fields: readonly string[]
    readonly actions: readonly ['read']
    readonly purpose: string
  }
}
