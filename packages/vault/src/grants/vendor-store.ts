import { type VaultContext, newId } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, openJson, sealJson } from '../crypto/envelope.js'
import type { VendorsTable } from '../db/schema.js'
import { NotFoundError, ValidationError, issuesFromZod } from '../errors.js'
import { writeTerm } from '../keys/write-term.js'
import { type Vendor, VendorInput } from './vendor.js'

export function vendorPlace(vaultId: string, id: string): Place {
  return { table: 'vendors', column: 'body', recordId: id, vaultId }
}

/** Vendors: who they are is encrypted (the list of shops you use is personal); ids and the blocked flag are not. */
export class VendorStore {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /**
   * Registers a vendor and returns it with its id.
   *
   * @example
   * const shop = await vault.vendors.register({ name: 'Fjord Outdoor', uri: 'https://fjord.example' })
   */
  async register(input: VendorInput, options: { id?: string } = {}): Promise<Vendor> {
    const ctx = this.#ctx
    const keys = ctx.keys()
    const parsed = VendorInput.safeParse(input)
    if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid vendor')
    const id = options.id ?? newId(ctx.sodium, 'ven')
    const createdAt = ctx.now().toISOString()
    await ctx.db.transaction().execute(async (trx) => {
      const { term, key } = await writeTerm(ctx, trx)
      const row: VendorsTable = { id, body: sealJson(ctx.sodium, key, term, vendorPlace(keys.vaultId, id), parsed.data), blocked: 0, term, created_at: createdAt }
      await trx.insertInto('vendors').values(row).execute()
      await ctx.audit.appendInTransaction(trx, [{ action: 'vendor.registered', actor: 'owner', vendorId: id }])
    })
    ctx.emit({ type: 'vendor.registered', vendorId: id })
    return { ...parsed.data, id, blocked: false, createdAt }
  }

  async get(id: string): Promise<Vendor> {
    this.#ctx.keys()
    const row = await this.#ctx.db.selectFrom('vendors').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw new NotFoundError('Vendor')
    return this.#decrypt(row)
  }

  async list(): Promise<Vendor[]> {
    this.#ctx.keys()
    const rows = await this.#ctx.db.selectFrom('vendors').selectAll().orderBy('created_at').orderBy('id').execute()
    return rows.map((row) => this.#decrypt(row))
  }

  /**
   * Blocks (or unblocks) a vendor: a blocked vendor's grants stop working at once and no new
   * grant can be made for it.
   */
  async setBlocked(id: string, blocked: boolean): Promise<void> {
    const ctx = this.#ctx
    ctx.keys()
    await ctx.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('vendors').set({ blocked: blocked ? 1 : 0 }).where('id', '=', id).executeTakeFirst()
      if (Number(result.numUpdatedRows) === 0) throw new NotFoundError('Vendor')
      await ctx.audit.appendInTransaction(trx, [{ action: blocked ? 'vendor.blocked' : 'vendor.unblocked', actor: 'owner', vendorId: id }])
    })
    ctx.emit({ type: 'vendor.blocked', vendorId: id, blocked })
  }

  #decrypt(row: VendorsTable): Vendor {
    const keys = this.#ctx.keys()
    const body = toBytes(row.body)
    const data = VendorInput.parse(openJson(this.#ctx.sodium, keys.termKey(envelopeTerm(body)), vendorPlace(keys.vaultId, row.id), body))
    return { ...data, id: row.id, blocked: row.blocked === 1, createdAt: row.created_at }
  }
}
