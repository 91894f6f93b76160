import { randomBytes } from 'node:crypto'
import type { StoreContext } from '../app-context.js'
import type { AssistantDraftsTable } from '../db/api-schema.js'
import { type UnmacedRow, authentic, openSealed, rowMac, sealedPlace } from '../db/stored-rows.js'
import { type Draft, DraftContent } from './draft.js'

/**
 * Drafts one assistant may keep waiting at a time: enough for a session's proposals, few enough
 * that a runaway assistant cannot bury the owner (or the database) in them. Sending or
 * discarding one makes room.
 */
export const MAX_PENDING_DRAFTS = 20

/** The assistant already has {@link MAX_PENDING_DRAFTS} drafts waiting. */
export class DraftLimitError extends Error {
  constructor() {
    super('Too many drafts wait for the owner')
    this.name = 'DraftLimitError'
  }
}

/**
 * What the owner's assistants proposed (issue 14), kept in `assistant_drafts` (migration 0008)
 * until she sends or discards it: the content sealed under the vault's key (it is her words and
 * her plans), the row MAC'd (db/stored-rows.ts) so an edited or forged draft reads as absent.
 * A draft is never acted on here: sending is the owner's act, through her own actions
 * (owner/draft-routes.ts).
 *
 * @example
 * const draft = await drafts.add(clientId, { kind: 'message', thread_id, text })
 * const waiting = await drafts.list()
 * await drafts.remove(draft.id)
 */
export class DraftStore {
  readonly #app: StoreContext

  constructor(app: StoreContext) {
    this.#app = app
  }

  /** Keeps a draft for the owner. DraftLimitError past {@link MAX_PENDING_DRAFTS}; sealed: ERR_VAULT_LOCKED. */
  async add(clientId: string, content: DraftContent): Promise<Draft> {
    const app = this.#app
    const parsed = DraftContent.parse(content)
    const id = `drf_${randomBytes(16).toString('base64url')}`
    const row: UnmacedRow<'assistant_drafts'> = {
      id,
      client_id: clientId,
      kind: parsed.kind,
      created_at: app.now().toISOString(),
      sealed: app.vault.envelopes.seal(sealedPlace('assistant_drafts', id), parsed),
    }
    // Counted and inserted in one transaction, so two calls at once cannot both take the last place.
    await app.db.transaction().execute(async (trx) => {
      const { n } = await trx
        .selectFrom('assistant_drafts')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('client_id', '=', clientId)
        .executeTakeFirstOrThrow()
      if (Number(n) >= MAX_PENDING_DRAFTS) throw new DraftLimitError()
      await trx
        .insertInto('assistant_drafts')
        .values({ ...row, row_mac: rowMac(app, 'assistant_drafts', row) })
        .execute()
    })
    return { id, clientId, createdAt: row.created_at, content: parsed }
  }

  /** Authentic drafts, oldest first: all of them, or one assistant's. */
  async list(filter: { readonly clientId?: string } = {}): Promise<Draft[]> {
    let query = this.#app.db.selectFrom('assistant_drafts').selectAll().orderBy('created_at')
    if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId)
    const rows = await query.orderBy('id').execute()
    return rows.flatMap((r) => this.#open(r))
  }

  /** One draft, if it is kept and authentic. */
  async get(id: string): Promise<Draft | undefined> {
    const row = await this.#app.db
      .selectFrom('assistant_drafts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return row ? this.#open(row)[0] : undefined
  }

  /** Forgets a draft (sent or discarded); whether there was one to forget. */
  async remove(id: string): Promise<boolean> {
    const result = await this.#app.db
      .deleteFrom('assistant_drafts')
      .where('id', '=', id)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  #open(
    row: {
      [K in keyof AssistantDraftsTable]: AssistantDraftsTable[K]
    },
  ): Draft[] {
    const app = this.#app
    if (!authentic(app, 'assistant_drafts', row)) return []
    const content = openSealed(
      app,
      sealedPlace('assistant_drafts', row.id),
      row.sealed,
      DraftContent,
    )
    return [{ id: row.id, clientId: row.client_id, createdAt: row.created_at, content }]
  }
}
