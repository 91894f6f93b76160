import { type VaultContext, newId } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, openJson, sealJson } from '../crypto/envelope.js'
import type { VendorsTable } from '../db/schema.js'
import { NotFoundError, ValidationError, issuesFromZod } from '../errors.js'
import { advanceLedger } from '../integrity/ledger.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from '../keys/write-term.js'
import { ledgerEpoch } from './grant-store.js'
import { type Vendor, VendorInput } from './vendor.js'

export function vendorPlace(vaultId: string, id: string): Place {
  return { table: 'vendors', column: 'body', recordId: id, vaultId }
}

/** A vendor as callers see it, from its row (checked by the caller: {@link checkVendorRow}). */
export function decryptVendor(
  ctx: VaultContext,
  row: Pick<VendorsTable, 'id' | 'body' | 'blocked' | 'created_at'>,
): Vendor {
  const keys = ctx.keys()
  const body = toBytes(row.body)
  const data = VendorInput.parse(
    openJson(ctx.sodium, keys.termKey(envelopeTerm(body)), vendorPlace(keys.vaultId, row.id), body),
  )
  return { ...data, id: row.id, blocked: row.blocked === 1, createdAt: row.created_at }
}

/** Throws ERR_INTEGRITY unless the vendor row is authentic under the ledger epoch (integrity/ledger.ts). */
export function checkVendorRow(ctx: VaultContext, row: VendorsTable, epoch: number): void {
  ctx.rows.check('vendors', authenticated.vendors(row, epoch), row.row_mac)
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
    if (!parsed.success)
      throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid vendor')
    const id = options.id ?? newId(ctx.sodium, 'ven')
    const createdAt = ctx.now().toISOString()
    await ctx.db.transaction().execute(async (trx) => {
      const { term, key, epoch } = await writeTerm(ctx, trx)
      const values = {
        id,
        body: sealJson(ctx.sodium, key, term, vendorPlace(keys.vaultId, id), parsed.data),
        blocked: 0,
        term,
        created_at: createdAt,
      }
      await trx
        .insertInto('vendors')
        .values({
          ...values,
          row_mac: ctx.rows.mac('vendors', authenticated.vendors(values, epoch)),
        })
        .execute()
      await ctx.audit.appendInTransaction(trx, [
        { action: 'vendor.registered', actor: 'owner', vendorId: id },
      ])
    })
    ctx.emit({ type: 'vendor.registered', vendorId: id })
    return { ...parsed.data, id, blocked: false, createdAt }
  }

  async get(id: string): Promise<Vendor> {
    this.#ctx.keys()
    const row = await this.#ctx.db
      .selectFrom('vendors')
      .selectAll()
      .select(ledgerEpoch)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('Vendor')
    checkVendorRow(this.#ctx, row, Number(row.ledger_epoch))
    return decryptVendor(this.#ctx, row)
  }

  async list(): Promise<Vendor[]> {
    this.#ctx.keys()
    const rows = await this.#ctx.db
      .selectFrom('vendors')
      .selectAll()
      .select(ledgerEpoch)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map((row) => {
      checkVendorRow(this.#ctx, row, Number(row.ledger_epoch))
      return decryptVendor(this.#ctx, row)
    })
  }

  /**
   * Blocks (or unblocks) a vendor: a blocked vendor's grants stop working at once and no new
   * grant can be made for it.
   */
  async setBlocked(id: string, blocked: boolean): Promise<void> {
    const ctx = this.#ctx
    ctx.keys()
    await ctx.db.transaction().execute(async (trx) => {
      const { epoch } = await writeTerm(ctx, trx)
      const row = await trx
        .selectFrom('vendors')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      if (!row) throw new NotFoundError('Vendor')
      checkVendorRow(ctx, row, epoch)
      const { row_mac: _old, ...values } = { ...row, blocked: blocked ? 1 : 0 }
      if (blocked) {
        // Blocking takes access away: a saved copy of the unblocked row must stop verifying.
        await advanceLedger(ctx, trx, epoch, { vendors: [values] })
      } else {
        await trx
          .updateTable('vendors')
          .set({
            blocked: 0,
            row_mac: ctx.rows.mac('vendors', authenticated.vendors(values, epoch)),
          })
          .where('id', '=', id)
          .execute()
      }
      await ctx.audit.appendInTransaction(trx, [
        { action: blocked ? 'vendor.blocked' : 'vendor.unblocked', actor: 'owner', vendorId: id },
      ])
    })
    ctx.emit({ type: 'vendor.blocked', vendorId: id, blocked })
  }
}
