import { z } from 'zod'
import type { StoreContext } from '../app-context.js'
import { type UnmacedRow, authentic, openSealed, rowMac, sealedPlace } from '../db/stored-rows.js'
import type { RegisteredClient } from '../store/client-store.js'
import {
  type FetchOptions,
  type VendorTermsDocument,
  VendorTermsError,
  type VendorTermsErrorCode,
  acceptedIn,
  fetchVendorTermsDocument,
} from './vendor-terms-document.js'

/** A copy is used without asking again for this long (jose's default for a `jwks_uri`: 10 min). */
export const MAX_AGE_SECONDS = 600
/** After a failed fetch, the vendor's server is not asked again for this long (jose's cooldown). */
export const RETRY_AFTER_FAILURE_SECONDS = 30

const Sealed = z.object({
  uri: z.string(),
  accepted: z.array(z.string()),
  effective_date: z.string().nullable(),
})

/** The last good copy of a vendor's MyTerms document: what it said it accepts, and when. */
export interface VendorTermsCopy {
  readonly uri: string
  readonly accepted: readonly string[]
  readonly effectiveDate: string | null
  readonly fetchedAt: Date
}

/**
 * What a vendor that registered a `myterms_uri` (and no `myterms_accepted`, which wins) accepts,
 * learned from its own MyTerms document (terms/vendor-terms-document.ts) — at registration, and
 * again when a copy older than {@link MAX_AGE_SECONDS} is needed (its pushed request, the owner's
 * discovery document asked with its client id).
 *
 * The last good copy is kept in `myterms_vendor_terms` (migration 0007): the URI, the accepted
 * ids and the fetch time sealed under the vault's key (they name the owner's vendors), the row
 * MAC'd (db/stored-rows.ts), so an edited row reads as absent. A failed fetch changes nothing:
 * the copy stays and is used; only a vendor with no good copy at all is refused. A failure is not
 * retried for {@link RETRY_AFTER_FAILURE_SECONDS}, and one fetch per vendor runs at a time, so a
 * vendor's dead server slows none of its requests for long and nobody can make the vault call it
 * in a loop.
 *
 * @example
 * const doc = await vendorTerms.fetchDocument(uri)          // registration: throws VendorTermsError
 * await vendorTerms.save(clientId, uri, doc)
 * const accepted = await vendorTerms.acceptedBy(client)     // the copy, refreshed when stale
 */
export class VendorTermsStore {
  readonly #app: StoreContext
  readonly #fetch: FetchOptions
  /** When each vendor's document last failed, and how: the cooldown (this app's life only). */
  readonly #failed = new Map<string, { readonly at: number; readonly code: VendorTermsErrorCode }>()
  readonly #inFlight = new Map<string, Promise<VendorTermsCopy>>()

  constructor(app: StoreContext, fetchOptions: FetchOptions = {}) {
    this.#app = app
    this.#fetch = fetchOptions
  }

  /** Fetches and parses a document now (registration: there is no copy yet). */
  fetchDocument(uri: string): Promise<VendorTermsDocument> {
    return fetchVendorTermsDocument(uri, this.#fetch)
  }

  /** Keeps `doc` as the vendor's last good copy, replacing the one before. Sealed: ERR_VAULT_LOCKED. */
  async save(clientId: string, uri: string, doc: VendorTermsDocument): Promise<VendorTermsCopy> {
    const app = this.#app
    const copy: VendorTermsCopy = {
      uri,
      accepted: acceptedIn(doc),
      effectiveDate: doc.effective_date ?? null,
      fetchedAt: app.now(),
    }
    const row: UnmacedRow<'myterms_vendor_terms'> = {
      client_id: clientId,
      fetched_at: copy.fetchedAt.toISOString(),
      sealed: app.vault.envelopes.seal(sealedPlace('myterms_vendor_terms', clientId), {
        uri,
        accepted: copy.accepted,
        effective_date: copy.effectiveDate,
      }),
    }
    const row_mac = rowMac(app, 'myterms_vendor_terms', row)
    await app.db
      .insertInto('myterms_vendor_terms')
      .values({ ...row, row_mac })
      .onConflict((oc) =>
        oc
          .column('client_id')
          .doUpdateSet({ fetched_at: row.fetched_at, sealed: row.sealed, row_mac }),
      )
      .execute()
    return copy
  }

  /** The vendor's last good copy of the document at `uri`, if one is kept and authentic. */
  async copy(clientId: string, uri: string): Promise<VendorTermsCopy | undefined> {
    const app = this.#app
    const row = await app.db
      .selectFrom('myterms_vendor_terms')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst()
    if (!row || !authentic(app, 'myterms_vendor_terms', row)) return undefined
    const sealed = openSealed(
      app,
      sealedPlace('myterms_vendor_terms', clientId),
      row.sealed,
      Sealed,
    )
    if (sealed.uri !== uri) return undefined
    return {
      uri,
      accepted: sealed.accepted,
      effectiveDate: sealed.effective_date,
      fetchedAt: new Date(row.fetched_at),
    }
  }

  /**
   * The roster ids the vendor accepts: its registered `myterms_accepted` (which wins), else its
   * document's — the kept copy while younger than {@link MAX_AGE_SECONDS}, else fetched again
   * (the copy is kept when that fails). Throws {@link VendorTermsError} only when the document
   * cannot be read and no good copy is kept.
   */
  async acceptedBy(client: RegisteredClient): Promise<readonly string[]> {
    const uri = client.mytermsUri
    if (uri === undefined) return client.mytermsAccepted
    const copy = await this.copy(client.clientId, uri)
    const now = this.#app.now().getTime()
    const age = copy ? now - copy.fetchedAt.getTime() : Number.POSITIVE_INFINITY
    if (copy && age >= 0 && age < MAX_AGE_SECONDS * 1000) return copy.accepted
    const failed = this.#failed.get(client.clientId)
    if (failed === undefined || now - failed.at >= RETRY_AFTER_FAILURE_SECONDS * 1000) {
      try {
        return (await this.#refresh(client.clientId, uri)).accepted
      } catch (err) {
        if (!(err instanceof VendorTermsError)) throw err
        this.#failed.set(client.clientId, { at: now, code: err.code })
        if (copy) return copy.accepted
        throw err
      }
    }
    if (copy) return copy.accepted
    throw new VendorTermsError(failed.code)
  }

  /** One fetch per vendor at a time: a second caller waits for the first one's answer. */
  #refresh(clientId: string, uri: string): Promise<VendorTermsCopy> {
    let running = this.#inFlight.get(clientId)
    if (!running) {
      running = (async () => {
        try {
          const copy = await this.save(clientId, uri, await this.fetchDocument(uri))
          this.#failed.delete(clientId)
          return copy
        } finally {
          this.#inFlight.delete(clientId)
        }
      })()
      this.#inFlight.set(clientId, running)
    }
    return running
  }
}
