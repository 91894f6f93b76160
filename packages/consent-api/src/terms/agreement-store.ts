import type { Selectable } from 'kysely'
import { z } from 'zod'
import type { StoreContext } from '../app-context.js'
import type { MytermsAgreementsTable } from '../db/api-schema.js'
import { type UnmacedRow, authentic, openSealed, rowMac, sealedPlace } from '../db/stored-rows.js'
import { newSecret } from '../store/new-secret.js'
import { AgreementRecord, type SignedAgreement } from './agreement-record.js'

const Sealed = z.object({ record: AgreementRecord, jws: z.string() })

/** Agreement records on the vendor's side: how many one listing returns at most, newest first. */
export const MAX_LISTED = 500
/** How many rows {@link AgreementStore.all} reads per query. */
const PAGE = 500

/**
 * The IEEE 7012 agreement records (table `myterms_agreements`, migration 0006): the record and
 * the vault's JWS sealed under the vault's key (they name the owner's vendors), the row MAC'd
 * (db/stored-rows.ts) so an edited, moved or forged row reads as absent. Records are never
 * changed: both parties keep the one that was signed.
 *
 * @example
 * await agreements.add({ clientId, grantId, answerId, signed })
 * const mine = await agreements.list({ clientId })
 */
export class AgreementStore {
  readonly #app: StoreContext
  constructor(app: StoreContext) {
    this.#app = app
  }

  /** The keyed hash that makes a vendor's answer id single-use (the column's unique index). */
  #answerKey(clientId: string, answerId: string): string {
    return this.#app.vault.hashSecret(`myterms-answer\n${clientId}\n${answerId}`)
  }

  /** Whether an answer of this vendor with this id is already on record. */
  async answerUsed(clientId: string, answerId: string): Promise<boolean> {
    const row = await this.#app.db
      .selectFrom('myterms_agreements')
      .select('id')
      .where('answer_key', '=', this.#answerKey(clientId, answerId))
      .executeTakeFirst()
    return row !== undefined
  }

  /** Stores a signed record; a second record of the same answer fails (unique answer key). */
  async add(entry: {
    readonly clientId: string
    readonly grantId: string | undefined
    readonly answerId: string
    readonly signed: SignedAgreement
  }): Promise<void> {
    const app = this.#app
    const id = newSecret()
    const row: UnmacedRow<'myterms_agreements'> = {
      id,
      client_id: entry.clientId,
      grant_id: entry.grantId ?? null,
      answer_key: this.#answerKey(entry.clientId, entry.answerId),
      created_at: app.now().toISOString(),
      sealed: app.vault.envelopes.seal(sealedPlace('myterms_agreements', id), {
        record: entry.signed.record,
        jws: entry.signed.jws,
      }),
    }
    await app.db
      .insertInto('myterms_agreements')
      .values({ ...row, row_mac: rowMac(app, 'myterms_agreements', row) })
      .execute()
  }

  /** Authentic records, newest first: all of them, or one vendor's, or one grant's. */
  async list(
    filter: { readonly clientId?: string; readonly grantId?: string } = {},
  ): Promise<SignedAgreement[]> {
    const app = this.#app
    let query = app.db
      .selectFrom('myterms_agreements')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(MAX_LISTED)
    if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId)
    if (filter.grantId !== undefined) query = query.where('grant_id', '=', filter.grantId)
    return this.#opened(await query.execute())
  }

  /**
   * Every authentic record, newest first, with no cap — for the owner's export
   * (terms/agreement-export.ts): read in pages by (created_at, id), so no query holds them all.
   */
  async all(): Promise<SignedAgreement[]> {
    const app = this.#app
    const out: SignedAgreement[] = []
    let after: { readonly createdAt: string; readonly id: string } | undefined
    for (;;) {
      let query = app.db
        .selectFrom('myterms_agreements')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(PAGE)
      if (after) {
        const { createdAt, id } = after
        query = query.where((eb) =>
          eb.or([
            eb('created_at', '<', createdAt),
            eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
          ]),
        )
      }
      const rows = await query.execute()
      out.push(...this.#opened(rows))
      const last = rows.at(-1)
      if (rows.length < PAGE || last === undefined) return out
      after = { createdAt: last.created_at, id: last.id }
    }
  }

  /** The rows the vault's key vouches for, opened; the others read as absent (db/stored-rows.ts). */
  #opened(rows: Selectable<MytermsAgreementsTable>[]): SignedAgreement[] {
    const app = this.#app
    return rows
      .filter((row) => authentic(app, 'myterms_agreements', row))
      .map((row) => openSealed(app, sealedPlace('myterms_agreements', row.id), row.sealed, Sealed))
  }
}
