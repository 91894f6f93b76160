import type { ConsentEvent } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { signedReceipts } from './receipt-history.js'

export const RECEIPT_EXPORT_FORMAT = 'custos-receipts'

/** One consent event's receipts in the owner's file. */
export interface ExportedReceipt {
  readonly id: string
  readonly event: ConsentEvent['kind']
  readonly vendor_id: string
  readonly grant_id: string | null
  readonly revision: number | null
  readonly at: string
  readonly refusal?: string
  /** Kantara v1.1, compact JWS (typ consent-receipt+jwt). */
  readonly receipt: string
  /** ISO/IEC TS 27560 in the DPV profile, compact JWS (typ consent-record+jwt). */
  readonly consent_record: string
}

/** Every receipt the owner holds (of one vendor, or all), with the key to check them offline. */
export interface ReceiptExport {
  readonly format: typeof RECEIPT_EXPORT_FORMAT
  readonly version: 1
  readonly exported_at: string
  readonly issuer: string
  readonly verify_with: { readonly jwks_uri: string; readonly keys: readonly object[] }
  readonly vendor_id?: string
  readonly count: number
  /** Oldest first. */
  readonly receipts: readonly ExportedReceipt[]
}

/**
 * The owner's copy of her receipts as one file (issue 12, part 3: "receipts both parties keep"):
 * each consent event signed in both shapes — byte for byte what the vendor fetches at
 * `POST /oauth/receipts` — with the vault's public key, so they check offline with any JWS tool.
 * Sealed: ERR_VAULT_LOCKED; an unknown vendor: ERR_NOT_FOUND.
 */
export async function receiptExport(
  app: AppContext,
  filter: { readonly vendorId?: string } = {},
): Promise<ReceiptExport> {
  const key = await app.stores.signingKeys.signingKey()
  if (filter.vendorId !== undefined) await app.vault.vendors.get(filter.vendorId)
  const events: ConsentEvent[] = []
  let page = await app.vault.grants.history({ ...filter, limit: 200 })
  events.push(...page.events)
  while (page.next) {
    page = await app.vault.grants.history({ ...filter, limit: 200, after: page.next })
    events.push(...page.events)
  }
  const vendors = new Map((await app.vault.vendors.list()).map((v) => [v.id, v]))
  const receipts: ExportedReceipt[] = []
  for (const event of events) {
    const vendor = vendors.get(event.vendorId) ?? (await app.vault.vendors.get(event.vendorId))
    const signed = await signedReceipts(app, event, vendor)
    receipts.push({
      id: event.id,
      event: event.kind,
      vendor_id: event.vendorId,
      grant_id: event.grantId ?? null,
      revision: event.revision ?? null,
      at: event.at,
      ...(event.refusal ? { refusal: event.refusal.reason } : {}),
      receipt: signed.receipt,
      consent_record: signed.consentRecord,
    })
  }
  return {
    format: RECEIPT_EXPORT_FORMAT,
    version: 1,
    exported_at: app.now().toISOString(),
    issuer: app.config.issuer,
    verify_with: {
      jwks_uri: `${app.config.issuer}/.well-known/jwks.json`,
      keys: [{ ...key.publicJwk }],
    },
    ...(filter.vendorId !== undefined ? { vendor_id: filter.vendorId } : {}),
    count: receipts.length,
    receipts,
  }
}
