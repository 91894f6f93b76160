import type { ConsentEvent, Grant, Vendor } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { consentRecordFor } from './consent-record.js'
import { consentReceiptFor } from './receipt.js'

/**
 * Receipts of the vault's consent history (issue 12, part 3: "a receipt for every grant,
 * narrowing, expiry, revocation and denial, in two shapes from the same record"). Each event is
 * signed on demand in both shapes — the Kantara v1.1 receipt (receipt.ts) and the ISO/IEC TS 27560
 * record (consent-record.ts) — from what the vault kept of it, so a receipt asked for today is
 * byte for byte the one handed out at the time (Ed25519 is deterministic, and nothing in either
 * reads the clock), as long as the owner's jurisdiction and the vendor's registration stand.
 */
export interface SignedReceipts {
  /** The event's id: the JWTs' `jti`. */
  readonly id: string
  readonly event: ConsentEvent
  /** Kantara v1.1, compact JWS. */
  readonly receipt: string
  /** ISO/IEC TS 27560 in the DPV profile, compact JWS. */
  readonly consentRecord: string
}

export async function signedReceipts(
  app: AppContext,
  event: ConsentEvent,
  vendor: Vendor,
): Promise<SignedReceipts> {
  const [receipt, consentRecord] = await Promise.all([
    consentReceiptFor(app, event, vendor),
    consentRecordFor(app, event, vendor),
  ])
  return { id: event.id, event, receipt, consentRecord }
}

/** A grant's latest consent event: what its receipt as things stand is of. */
export async function latestEventOf(app: AppContext, grant: Grant): Promise<ConsentEvent> {
  let page = await app.vault.grants.history({ grantId: grant.id, limit: 200 })
  let last = page.events.at(-1)
  while (page.next) {
    page = await app.vault.grants.history({ grantId: grant.id, limit: 200, after: page.next })
    last = page.events.at(-1) ?? last
  }
  // The vault derives an event for every grant (its current state when none was stored).
  if (!last) throw new Error(`grant ${grant.id} has no consent event`)
  return last
}

/** Both receipts of a grant as things stand (its latest event). */
export async function currentReceipts(
  app: AppContext,
  grant: Grant,
  vendor: Vendor,
): Promise<SignedReceipts> {
  return signedReceipts(app, await latestEventOf(app, grant), vendor)
}
