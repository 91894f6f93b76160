import type {
  AcceptedOffer,
  AuditVerification,
  ConsentEvent,
  EntrySigner,
  FieldPath,
  Grant,
  GrantNarrowing,
  HistoryFilter,
  ImportResult,
  OrderInput,
  Purchase,
  Vault,
  VaultExport,
  Vendor,
} from '@custos/vault'
import type { ReceiptExport } from '../receipts/receipt-export.js'
import { type BackupDownload, backupDownload } from './backup-download.js'
import type { CsvMappingMemory } from './csv-mapping-memory.js'
import { type ImportFile, previewFiles } from './import-files.js'
import type { CsvImportOptions, ImportRow } from './purchase-import.js'
import {
  type DuplicateChoice,
  type ImportPreview,
  type ImportPreviewRows,
  type CsvMapping,
  type ImportSource,
  type TextImportFormat,
  importRefusal,
  purchasesToImport,
  previewImport,
} from './purchase-import-service.js'

export interface DataActionsDeps {
  readonly vault: Vault
  /** The owner's CSV mappings per file shape (csv-mapping-memory.ts); tests may leave it out. */
  readonly csvMappings?: CsvMappingMemory
  readonly now: () => Date
  /** Revokes every access and refresh token issued under a grant (store/token-store.ts). */
  readonly revokeGrantTokens: (grantId: string) => Promise<void>
  /** Signs a consent receipt (compact JWS) of a grant's current revision (receipts/receipt.ts). */
  readonly signReceipt: (grant: Grant, vendor: Vendor) => Promise<string>
  /** Signs the same as an ISO/IEC TS 27560 consent record in the DPV profile (receipts/consent-record.ts). */
  readonly signConsentRecord: (grant: Grant, vendor: Vendor) => Promise<string>
  /** Signs one consent event in both shapes (receipts/receipt-history.ts). */
  readonly signEvent: (
    event: ConsentEvent,
    vendor: Vendor,
  ) => Promise<{ readonly receipt: string; readonly consentRecord: string }>
  /** Every receipt as one file, with the key to check them (receipts/receipt-export.ts). */
  readonly exportReceipts: (filter: { readonly vendorId?: string }) => Promise<ReceiptExport>
  /** Pushes due signals now rather than at the next round (signals/signal-delivery.ts). */
  readonly deliverSignals: () => void
  /** When this process last delivered a signal to a vendor. */
  readonly lastDeliveredAt: (vendorId: string) => string | undefined
  /** Signs the owner's conversation messages with the vault's key (conversations/message-signature.ts). */
  readonly entrySigner: () => Promise<EntrySigner>
}

/** One consent event's receipts, as the owner API lists them. */
export interface OwnerReceipt {
  readonly id: string
  readonly event: ConsentEvent['kind']
  readonly vendorId: string
  readonly grantId: string | null
  readonly revision: number | null
  readonly at: string
  /** Why a request was refused (a stable code), for `refused` events. */
  readonly refusal?: string
  /** Kantara v1.1, compact JWS. */
  readonly receipt: string
  /** ISO/IEC TS 27560 (DPV), compact JWS. */
  readonly consentRecord: string
}

/** What the owner sees of the signals to one vendor (issue 12): delivery and erasure. */
export interface VendorSignals {
  /** Signals due and not yet delivered (push or poll), since when, and the last push error. */
  readonly waiting: number
  readonly waitingSince?: string
  readonly lastError?: string
  readonly lastDeliveredAt?: string
  /** The newest erasure request and its acknowledgement. */
  readonly erasure?: { requestId: string; requestedAt: string; acknowledgedAt?: string }
}

/**
 * What the owner changes in the vault's contents: fields, purchases (and their import), the
 * inbox, grants, vendors, the log's barrier, and the export, import and backup — each once, for
 * the owner API and the pages alike. Most are the vault's own operation; the ones with steps
 * (revoking a grant kills its tokens, an import previews before it writes) hold them here.
 */
export interface OwnerDataActions {
  readonly fields: {
    set(path: FieldPath, value: unknown): Promise<void>
    /** Several fields in one transaction (all or none). */
    setMany(values: Readonly<Record<string, unknown>>): Promise<void>
    delete(path: FieldPath): Promise<void>
  }
  readonly purchases: {
    add(order: OrderInput): Promise<Purchase>
    update(id: string, order: OrderInput): Promise<Purchase>
    delete(id: string): Promise<void>
    /** Every purchase from `seller` counts as made with the vendor (or, with null, with none). */
    linkSeller(seller: string, vendorId: string | null, from?: string): Promise<number>
    /** Parses and checks an import file and marks duplicates; writes nothing. A file unusable as a whole throws its 400 problem. */
    preview(source: ImportSource): Promise<ImportPreviewRows>
    /** The same preview from a file's text, a file unusable as a whole answered as data (for a page to show), not thrown. */
    previewText(
      format: TextImportFormat,
      text: string,
      options?: CsvImportOptions,
    ): Promise<ImportPreview>
    /**
     * Several files previewed as one list (a shop export, a payment export, a folder of emails):
     * each row tagged with its file, duplicates marked across the files too (import-files.ts).
     */
    previewFiles(files: readonly ImportFile[], options?: CsvImportOptions): Promise<ImportPreview>
    /**
     * Writes a preview's valid rows (less duplicates unless asked for) in one transaction, as
     * imported purchases; a CSV's mapping is then remembered for its file shape.
     */
    commitImport(
      rows: readonly ImportRow[],
      duplicates: DuplicateChoice,
      mapping?: CsvMapping,
    ): Promise<Purchase[]>
  }
  /**
   * The owner's intents (issue 13). Accepting an offer closes the intent, declines the rest and
   * opens a conversation thread with the chosen vendor about the order, its first message signed
   * with the vault's key; the fields the intent said she would disclose are then asked for by the
   * vendor on the normal consent page (it hears of the acceptance by signal), so no grant is made
   * here.
   */
  readonly intents: Pick<Vault['intents'], 'create' | 'close' | 'decline'> & {
    accept(id: string, offerId: string): Promise<AcceptedOffer>
  }
  readonly inbox: {
    /** The receipt joins the history (linked to its vendor); answers it as now stored. */
    accept(id: string): Promise<Purchase>
    /** The receipt is deleted. */
    reject(id: string): Promise<void>
  }
  readonly grants: {
    /** Only ever less (the vault's `GrantNarrowing`). */
    narrow(id: string, narrowing: GrantNarrowing): Promise<Grant>
    /**
     * Revokes the grant and every access and refresh token issued under it, so introspection
     * answers `active: false` at once (SECURITY.md 15; RFC 7662 §2.2) — the vault already refuses
     * reads through a revoked grant, this closes the token side too.
     */
    revoke(id: string): Promise<Grant>
    /** The signed consent receipt (compact JWS, verifiable against `/.well-known/jwks.json`) of the grant's current revision. */
    receipt(id: string): Promise<string>
    /** The same event as a signed ISO/IEC TS 27560 consent record (DPV profile, JSON-LD in a compact JWS). */
    consentRecord(id: string): Promise<string>
    /**
     * Every consent event — of one vendor, one grant, or all — oldest first, a page at a time,
     * each signed in both shapes: the receipts the owner keeps, the same the vendor fetches.
     */
    /** Every receipt (of one vendor, or all) as one file, with the vault's public key. */
    exportReceipts(filter?: { readonly vendorId?: string }): Promise<ReceiptExport>
    receipts(filter: HistoryFilter): Promise<{
      readonly receipts: readonly OwnerReceipt[]
      readonly next?: string
    }>
  }
  readonly vendors: {
    /** A blocked vendor's every request is refused by the vault until unblocked; answers the vendor as now stored. */
    setBlocked(id: string, blocked: boolean): Promise<Vendor>
    /**
     * Asks the vendor to erase what it holds about the owner: a signal (a SET pushed to its
     * endpoint, or waiting for its poll) and a log entry; answers the request's id.
     */
    requestErasure(id: string): Promise<string>
    /** Where signals to each vendor stand (for Connections). */
    signals(): Promise<Map<string, VendorSignals>>
  }
  readonly audit: {
    /**
     * Records a damaged log's break in a new anchored entry, so vendor reads resume (SECURITY.md,
     * "The barrier"); answers the verification that was acknowledged.
     */
    acknowledgeBreak(): Promise<AuditVerification>
  }
  /** The portable plaintext export (`custos-export` v1); audited by the vault. */
  exportJson(): Promise<VaultExport>
  /** Imports a portable export, validated whole before anything is written. */
  importJson(doc: unknown, mode: 'merge' | 'replace'): Promise<ImportResult>
  /** The encrypted backup as a download (see backup-download.ts); audited by the vault. */
  backup(): Promise<BackupDownload>
}

export function ownerDataActions(deps: DataActionsDeps): OwnerDataActions {
  const { vault } = deps
  const preview = (source: ImportSource) => previewImport(vault, source, deps.csvMappings)
  async function previewText(
    format: TextImportFormat,
    text: string,
    options?: CsvImportOptions,
  ): Promise<ImportPreview> {
    try {
      const rows = await preview(
        format === 'json'
          ? { format, doc: JSON.parse(text) }
          : format === 'email'
            ? // The page carries a mail file as Latin-1 text (one character per byte): its bytes back.
              { format, chunks: [new Uint8Array(Buffer.from(text, 'latin1'))] }
            : format === 'amazon'
              ? { format, text }
              : { format, text, ...(options ? { options } : {}) },
      )
      return { ok: true, ...rows }
    } catch (err) {
      if (err instanceof SyntaxError)
        return { ok: false, title: 'The file is not valid JSON', issues: [] }
      const refusal = importRefusal(err)
      if (refusal) return { ok: false, ...refusal }
      throw err
    }
  }
  return Object.freeze({
    // A change of a granted field is a signal to its vendors (vault: signals/signal-outbox.ts).
    fields: Object.freeze({
      async set(path: FieldPath, value: unknown) {
        await vault.fields.set(path, value)
        deps.deliverSignals()
      },
      async setMany(values: Readonly<Record<string, unknown>>) {
        await vault.fields.setMany(values)
        deps.deliverSignals()
      },
      async delete(path: FieldPath) {
        await vault.fields.delete(path)
        deps.deliverSignals()
      },
    }),

    purchases: Object.freeze({
      add: (order: OrderInput) => vault.purchases.add(order),
      update: (id: string, order: OrderInput) => vault.purchases.update(id, order),
      delete: (id: string) => vault.purchases.delete(id),
      linkSeller: (seller: string, vendorId: string | null, from?: string) =>
        vault.purchases.linkSeller(seller, vendorId, from),
      preview,
      previewText,
      previewFiles(files: readonly ImportFile[], options?: CsvImportOptions) {
        return previewFiles(vault, files, (f) => previewText(f.format, f.text, options))
      },
      async commitImport(
        rows: readonly ImportRow[],
        duplicates: DuplicateChoice,
        mapping?: CsvMapping,
      ) {
        const { orders, options } = purchasesToImport(rows, duplicates)
        const added = orders.length > 0 ? await vault.purchases.addMany(orders, options) : []
        if (mapping && deps.csvMappings)
          await deps.csvMappings.remember(mapping.header, mapping.options)
        return added
      },
    }),

    intents: Object.freeze({
      create: (input: Parameters<Vault['intents']['create']>[0]) => vault.intents.create(input),
      close: (id: string) => vault.intents.close(id),
      async accept(id: string, offerId: string) {
        const accepted = await vault.intents.accept(id, offerId, await deps.entrySigner())
        deps.deliverSignals()
        return accepted
      },
      decline: (id: string, offerId: string) => vault.intents.decline(id, offerId),
    }),

    inbox: Object.freeze({
      async accept(id: string) {
        await vault.inbox.accept(id)
        return vault.purchases.get(id)
      },
      reject: (id: string) => vault.inbox.reject(id),
    }),

    grants: Object.freeze({
      async narrow(id: string, narrowing: GrantNarrowing) {
        const grant = await vault.grants.narrow(id, narrowing)
        deps.deliverSignals()
        return grant
      },
      async revoke(id: string) {
        const grant = await vault.grants.revoke(id)
        await deps.revokeGrantTokens(id)
        deps.deliverSignals()
        return grant
      },
      async receipt(id: string) {
        const grant = await vault.grants.get(id)
        return deps.signReceipt(grant, await vault.vendors.get(grant.vendorId))
      },
      async consentRecord(id: string) {
        const grant = await vault.grants.get(id)
        return deps.signConsentRecord(grant, await vault.vendors.get(grant.vendorId))
      },
      exportReceipts(filter: { readonly vendorId?: string } = {}) {
        return deps.exportReceipts(filter)
      },
      async receipts(filter: HistoryFilter) {
        const page = await vault.grants.history(filter)
        const vendors = new Map<string, Promise<Vendor>>()
        const vendorOf = (id: string) => {
          if (!vendors.has(id)) vendors.set(id, vault.vendors.get(id))
          return vendors.get(id) as Promise<Vendor>
        }
        const receipts = await Promise.all(
          page.events.map(async (event): Promise<OwnerReceipt> => {
            const signed = await deps.signEvent(event, await vendorOf(event.vendorId))
            return {
              id: event.id,
              event: event.kind,
              vendorId: event.vendorId,
              grantId: event.grantId ?? null,
              revision: event.revision ?? null,
              at: event.at,
              ...(event.refusal ? { refusal: event.refusal.reason } : {}),
              receipt: signed.receipt,
              consentRecord: signed.consentRecord,
            }
          }),
        )
        return { receipts, ...(page.next ? { next: page.next } : {}) }
      },
    }),

    vendors: Object.freeze({
      async setBlocked(id: string, blocked: boolean) {
        await vault.vendors.setBlocked(id, blocked)
        return vault.vendors.get(id)
      },
      async requestErasure(id: string) {
        const requestId = await vault.signals.requestErasure(id)
        deps.deliverSignals()
        return requestId
      },
      async signals() {
        const backlog = await vault.signals.backlog()
        const out = new Map<string, VendorSignals>()
        for (const v of await vault.vendors.list()) {
          const waiting = backlog.get(v.id)
          const erasure = await vault.signals.erasureStatus(v.id)
          const lastDeliveredAt = deps.lastDeliveredAt(v.id)
          out.set(v.id, {
            waiting: waiting?.pending ?? 0,
            ...(waiting?.oldest ? { waitingSince: waiting.oldest } : {}),
            ...(waiting?.lastError ? { lastError: waiting.lastError } : {}),
            ...(lastDeliveredAt ? { lastDeliveredAt } : {}),
            ...(erasure ? { erasure } : {}),
          })
        }
        return out
      },
    }),

    audit: Object.freeze({ acknowledgeBreak: () => vault.audit.acknowledgeBreak() }),

    exportJson: () => vault.exportJson(),
    importJson: (doc: unknown, mode: 'merge' | 'replace') => vault.importJson(doc, { mode }),
    backup: () => backupDownload(vault, deps.now()),
  })
}
