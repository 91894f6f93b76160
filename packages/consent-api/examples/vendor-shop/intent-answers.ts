/**
 * How Fjord Outdoor answers its customers' intents (issue 13): a shop-side rule — its catalogue —
 * decides which open intents it can serve and at what price; an accepted offer becomes an order
 * it follows up in the thread the customer's vault opened with the acceptance. The vault decides
 * who sees what (each intent under an id only this shop gets); the shop only reads and answers.
 */
import type { CustosConnection } from './custos-connection.js'
import type { CustomerRecord, GrantTokens } from './shop-store.js'

/** What the shop sells: a word the intent must mention, the price and what comes with it. */
export const CATALOGUE = Object.freeze([
  {
    word: 'jacket',
    price: { amount: 179, currency: 'EUR' },
    included: 'Fjord rain jacket, shipping and a 2-year warranty',
  },
  {
    word: 'boots',
    price: { amount: 149, currency: 'EUR' },
    included: 'Fjord hiking boots, shipping and free returns',
  },
])

/** An intent as `GET /v1/intents` answers (what the shop reads of it). */
export interface VendorIntentJson {
  readonly id: string
  readonly category: string
  readonly text: string
  readonly state: string
  readonly openUntil: string
  readonly disclose: readonly string[]
  readonly offers: readonly { readonly id: string; readonly state: string }[]
}

/** The shop's item that fits an intent, if any: the first catalogue word its words mention. */
export function catalogueMatch(
  intent: Pick<VendorIntentJson, 'category' | 'text'>,
): (typeof CATALOGUE)[number] | undefined {
  const words = `${intent.category} ${intent.text}`.toLowerCase()
  return CATALOGUE.find((item) => words.includes(item.word))
}

/** The offer for an intent the catalogue fits: valid while the intent is open. */
export function offerFor(intent: VendorIntentJson, item: (typeof CATALOGUE)[number]) {
  return {
    price: item.price,
    included: item.included,
    validUntil: intent.openUntil,
    terms: { text: 'Fjord Outdoor terms of sale: 30-day returns.' },
  }
}

/**
 * The thread the customer's vault opened with her acceptance: the one whose first message names
 * this offer as its order number (README "Intents": accepting opens a conversation).
 */
export async function threadOfOffer(
  connection: CustosConnection,
  tokens: GrantTokens,
  offerId: string,
): Promise<string | undefined> {
  const list = await connection.resource(tokens, 'GET', '/v1/conversations')
  if (!list.ok) return undefined
  const { items } = (await list.json()) as { items: { id: string }[] }
  for (const t of items) {
    const read = await connection.resource(
      tokens,
      'GET',
      `/v1/conversations/${encodeURIComponent(t.id)}`,
    )
    if (!read.ok) continue
    const thread = (await read.json()) as { items: { order_number?: string }[] }
    if (thread.items[0]?.order_number === offerId) return t.id
  }
  return undefined
}

/** Fields the intent discloses that the customer's grant does not give the shop yet. */
export function fieldsToAsk(record: CustomerRecord, disclose: readonly string[]): string[] {
  const granted = new Set(record.grant?.fields ?? [])
  return disclose.filter((f) => !granted.has(f))
}
