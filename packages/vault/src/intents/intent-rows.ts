import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, openJson } from '../crypto/envelope.js'
import type { Transaction } from 'kysely'
import type { IntentOffersTable, IntentsTable, VaultDatabase } from '../db/schema.js'
import { enqueueSignals } from '../signals/signal-outbox.js'
import { IntegrityError } from '../errors.js'
import { authenticated } from '../integrity/row-auth.js'
import {
  type Intent,
  type IntentAudience,
  IntentBody,
  type IntentState,
  type Offer,
  OfferBody,
} from './intent.js'

/**
 * Reading intents and offers back: every row checked against its MAC before anything in it is
 * believed (SECURITY.md, "The barrier"), every body opened in its own place.
 */
export function intentPlace(vaultId: string, id: string): Place {
  return { table: 'intents', column: 'body', recordId: id, vaultId }
}

export function offerPlace(vaultId: string, id: string): Place {
  return { table: 'intent_offers', column: 'body', recordId: id, vaultId }
}

/**
 * Checks an intent row under the ledger epoch read in the same statement (`.select(ledgerEpoch)`,
 * grants/grant-store.ts): an authentic row from before the intent closed fails (SECURITY.md, the
 * barrier).
 */
export function checkIntentRow(
  ctx: VaultContext,
  row: IntentsTable & { readonly ledger_epoch: number | string | null },
): void {
  ctx.rows.check(
    'intents',
    authenticated.intents(row, Number(row.ledger_epoch)),
    toBytes(row.row_mac),
  )
}

export function checkOfferRow(ctx: VaultContext, row: IntentOffersTable): void {
  ctx.rows.check('intent_offers', authenticated.intent_offers(row), toBytes(row.row_mac))
}

/** `*` or a JSON array of vendor ids (db/schema.ts). */
export function audienceColumn(audience: IntentAudience): string {
  return audience === 'all' ? '*' : JSON.stringify([...new Set(audience.vendors)].sort())
}

export function audienceOf(column: string): IntentAudience {
  return column === '*' ? 'all' : { vendors: JSON.parse(column) as string[] }
}

export function audienceIncludes(column: string, vendorId: string): boolean {
  return column === '*' || (JSON.parse(column) as string[]).includes(vendorId)
}

export function intentState(
  row: Pick<IntentsTable, 'state' | 'open_until'>,
  now: Date,
): IntentState {
  if (row.state === 'open' && row.open_until <= now.toISOString()) return 'expired'
  return row.state
}

function openBody<T>(
  ctx: VaultContext,
  place: (vaultId: string, id: string) => Place,
  id: string,
  body: Uint8Array,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
): T {
  const keys = ctx.keys()
  const envelope = toBytes(body)
  const parsed = schema.safeParse(
    openJson(ctx.sodium, keys.termKey(envelopeTerm(envelope)), place(keys.vaultId, id), envelope),
  )
  if (!parsed.success) throw new IntegrityError()
  return parsed.data
}

/** The owner's view of a checked intent row. */
export function intentView(ctx: VaultContext, row: IntentsTable, openOffers: number): Intent {
  const body = openBody(ctx, intentPlace, row.id, row.body, IntentBody)
  return {
    ...body,
    id: row.id,
    state: intentState(row, ctx.now()),
    audience: audienceOf(row.audience),
    openUntil: row.open_until,
    createdAt: row.created_at,
    ...(row.closed_at ? { closedAt: row.closed_at } : {}),
    ...(row.accepted_offer_id ? { acceptedOfferId: row.accepted_offer_id } : {}),
    openOffers,
  }
}

export function intentBody(ctx: VaultContext, row: IntentsTable): IntentBody {
  return openBody(ctx, intentPlace, row.id, row.body, IntentBody)
}

/** The view of a checked offer row. */
export function offerView(ctx: VaultContext, row: IntentOffersTable): Offer {
  const body = openBody(ctx, offerPlace, row.id, row.body, OfferBody)
  return {
    ...body,
    id: row.id,
    intentId: row.intent_id,
    vendorId: row.vendor_id,
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Moves offers to a final state, re-MACs them, and tells each vendor (in the caller's transaction). */
export async function setOfferStates(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  offers: readonly IntentOffersTable[],
  state: 'accepted' | 'declined' | 'withdrawn',
): Promise<void> {
  const at = ctx.now().toISOString()
  for (const offer of offers) {
    const values = { ...offer, state, updated_at: at }
    await trx
      .updateTable('intent_offers')
      .set({
        state,
        updated_at: at,
        row_mac: ctx.rows.mac('intent_offers', authenticated.intent_offers(values)),
      })
      .where('id', '=', offer.id)
      .execute()
  }
  if (state === 'withdrawn') return
  await enqueueSignals(
    ctx,
    trx,
    offers.map((o) => ({
      vendorId: o.vendor_id,
      kind:
        state === 'accepted'
          ? ('intent.offer_accepted' as const)
          : ('intent.offer_declined' as const),
      paths: [o.id],
    })),
  )
}
