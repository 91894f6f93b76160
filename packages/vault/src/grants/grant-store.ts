import { type VaultContext, newId } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, openJson, sealJson } from '../crypto/envelope.js'
import type { GrantsTable, VaultDatabase } from '../db/schema.js'
import { type ExpressionBuilder, sql } from 'kysely'
import { NotFoundError, ValidationError, VaultError, issuesFromZod } from '../errors.js'
import { assertSelectors, selectorsCover } from '../fields/selectors.js'
import { advanceLedger } from '../integrity/ledger.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from '../keys/write-term.js'
import { orderInstant } from '../purchases/order.js'
import { checkVendorRow } from './vendor-store.js'
import { type Grant, GrantBody, GrantInput, GrantNarrowing, type PurchaseSlice } from './grant.js'
import { isWithin } from './purposes.js'
import { dropExpirySignal, enqueueSignals } from '../signals/signal-outbox.js'
import {
  type ConsentEvent,
  type ConsentHistoryPage,
  type ConsentRefusalInput,
  HistoryFilter,
  derivedEvents,
  openConsentEvent,
  pageOf,
  recordGrantEvent,
  recordRefusal,
} from './consent-history.js'

export function grantPlace(vaultId: string, id: string): Place {
  return { table: 'grants', column: 'body', recordId: id, vaultId }
}

export function grantStatus(
  row: Pick<GrantsTable, 'status' | 'expires_at'>,
  now: Date,
): Grant['status'] {
  if (row.status === 'revoked') return 'revoked'
  if (row.status === 'consumed') return 'consumed'
  return new Date(row.expires_at) <= now ? 'expired' : 'active'
}

/**
 * The ledger epoch, as a column of the same statement that reads the rows it authenticates (one
 * snapshot). The id is a literal, not a parameter, so hot queries bind only their own parameters.
 */
export const ledgerEpoch = (eb: ExpressionBuilder<VaultDatabase, keyof VaultDatabase>) =>
  eb
    .selectFrom('vault_meta')
    .select('ledger_epoch')
    .where('vault_meta.id', '=', sql.lit(1))
    .as('ledger_epoch')

/** Throws ERR_INTEGRITY unless the grant row is authentic under the ledger epoch (integrity/ledger.ts). */
export function checkGrantRow(ctx: VaultContext, row: GrantsTable, epoch: number): void {
  ctx.rows.check('grants', authenticated.grants(row, epoch), row.row_mac)
}

export function decryptGrantBody(ctx: VaultContext, id: string, envelope: Uint8Array): GrantBody {
  const keys = ctx.keys()
  return GrantBody.parse(
    openJson(
      ctx.sodium,
      keys.termKey(envelopeTerm(envelope)),
      grantPlace(keys.vaultId, id),
      envelope,
    ),
  )
}

export function decryptGrant(ctx: VaultContext, row: GrantsTable): Grant {
  return grantView(ctx, row, decryptGrantBody(ctx, row.id, toBytes(row.body)))
}

/** A grant as callers see it: the decrypted body plus the row's plaintext state. */
export function grantView(ctx: VaultContext, row: GrantsTable, body: GrantBody): Grant {
  return {
    ...body,
    id: row.id,
    vendorId: row.vendor_id,
    status: grantStatus(row, ctx.now()),
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  }
}

function scopeError(message: string): VaultError {
  return new VaultError('ERR_GRANT_SCOPE', message)
}

/** True when slice `inner` shows no purchase that `outer` hides. */
function sliceWithin(outer: PurchaseSlice | undefined, inner: PurchaseSlice | undefined): boolean {
  if (inner === undefined) return true
  if (outer === undefined) return false
  if (outer.madeWithVendor && !inner.madeWithVendor) return false
  if (outer.categories && !(inner.categories ?? []).every((c) => outer.categories?.includes(c)))
    return false
  if (outer.categories && !inner.categories) return false
  if (outer.since && (!inner.since || orderInstant(inner.since) < orderInstant(outer.since)))
    return false
  if (outer.until && (!inner.until || orderInstant(inner.until) > orderInstant(outer.until)))
    return false
  return true
}

/**
 * Grants: deny by default; a grant names field selectors, a purchase slice, actions, a purpose,
 * an expiry and the owner's terms the vendor accepted. Every change is audited in the same
 * transaction as the change itself.
 */
export class GrantStore {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /**
   * Creates a grant for a registered, unblocked vendor.
   *
   * @example
   * const grant = await vault.grants.create({
   *   vendorId: shop.id, fields: ['name.given', 'email', 'prefs.sizes.*'], purchases: { madeWithVendor: true },
   *   actions: ['read', 'append'], purpose: 'Fit recommendations and order history', durationSeconds: 90 * 86400,
   * })
   */
  async create(input: GrantInput): Promise<Grant> {
    const ctx = this.#ctx
    const keys = ctx.keys()
    const parsed = GrantInput.safeParse(input)
    if (!parsed.success)
      throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid grant')
    const g = parsed.data
    assertSelectors(g.fields)
    const now = ctx.now()
    const expiresAt =
      g.expiresAt !== undefined
        ? new Date(g.expiresAt)
        : new Date(now.getTime() + (g.durationSeconds as number) * 1000)
    if (expiresAt <= now)
      throw new ValidationError(
        [{ path: 'expiresAt', message: 'must be in the future' }],
        'Invalid grant',
      )
    const id = newId(ctx.sodium, 'grt')
    const body: GrantBody = {
      fields: [...new Set(g.fields)],
      ...(g.purchases ? { purchases: g.purchases } : {}),
      actions: [...new Set(g.actions)],
      purpose: g.purpose,
      purposes: g.purposes,
      acceptedTerms: g.acceptedTerms,
      accessMode: g.accessMode,
    }
    let row: GrantsTable | undefined
    await ctx.db.transaction().execute(async (trx) => {
      const { term, key, epoch } = await writeTerm(ctx, trx)
      const vendor = await trx
        .selectFrom('vendors')
        .selectAll()
        .where('id', '=', g.vendorId)
        .executeTakeFirst()
      if (!vendor) throw new NotFoundError('Vendor')
      checkVendorRow(ctx, vendor, epoch)
      if (vendor.blocked === 1) throw new VaultError('ERR_VENDOR_BLOCKED', 'This vendor is blocked')
      const values = {
        id,
        vendor_id: g.vendorId,
        status: 'active' as const,
        expires_at: expiresAt.toISOString(),
        revision: 1,
        body: sealJson(ctx.sodium, key, term, grantPlace(keys.vaultId, id), body),
        term,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      }
      row = { ...values, row_mac: ctx.rows.mac('grants', authenticated.grants(values, epoch)) }
      await trx.insertInto('grants').values(row).execute()
      await recordGrantEvent(ctx, trx, { key, term }, grantView(ctx, row, body), 'given')
      // The vendor hears of the expiry when it comes (signals/signal-outbox.ts).
      await enqueueSignals(ctx, trx, [
        { vendorId: g.vendorId, grantId: id, kind: 'grant.expired', dueAt: values.expires_at },
      ])
      await ctx.audit.appendInTransaction(trx, [
        {
          action: 'grant.created',
          actor: 'owner',
          grantId: id,
          vendorId: g.vendorId,
          paths: body.fields,
          purposes: body.purposes,
        },
      ])
    })
    ctx.emit({ type: 'grant.created', grantId: id, vendorId: g.vendorId })
    return decryptGrant(ctx, row as GrantsTable)
  }

  async get(id: string): Promise<Grant> {
    this.#ctx.keys()
    const row = await this.#ctx.db
      .selectFrom('grants')
      .selectAll()
      .select(ledgerEpoch)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('Grant')
    checkGrantRow(this.#ctx, row, Number(row.ledger_epoch))
    return decryptGrant(this.#ctx, row)
  }

  /** Lists grants, newest first, optionally of one vendor or in one state. */
  async list(filter: { vendorId?: string; status?: Grant['status'] } = {}): Promise<Grant[]> {
    this.#ctx.keys()
    const rows = await this.#ctx.db
      .selectFrom('grants')
      .selectAll()
      .select(ledgerEpoch)
      .$if(filter.vendorId !== undefined, (q) =>
        q.where('vendor_id', '=', filter.vendorId as string),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute()
    const grants = rows.map((row) => {
      checkGrantRow(this.#ctx, row, Number(row.ledger_epoch))
      return decryptGrant(this.#ctx, row)
    })
    return filter.status === undefined ? grants : grants.filter((g) => g.status === filter.status)
  }

  /**
   * Narrows an active grant: fewer fields, a smaller purchase slice, fewer actions, fewer or
   * narrower purposes, or an earlier expiry. Anything that would widen it is refused with ERR_GRANT_SCOPE — widening needs a new
   * consent. The next read through the grant sees only what is left.
   *
   * @example
   * await vault.grants.narrow(grant.id, { fields: ['email'] })
   */
  async narrow(id: string, narrowing: GrantNarrowing): Promise<Grant> {
    const ctx = this.#ctx
    const keys = ctx.keys()
    const parsed = GrantNarrowing.safeParse(narrowing)
    if (!parsed.success)
      throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid narrowing')
    const n = parsed.data
    if (n.fields) assertSelectors(n.fields)
    let updated: GrantsTable | undefined
    await ctx.db.transaction().execute(async (trx) => {
      const { term, key, epoch } = await writeTerm(ctx, trx)
      const row = await trx
        .selectFrom('grants')
        .selectAll()
        .where('id', '=', id)
        .$if(ctx.engine === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst()
      if (!row) throw new NotFoundError('Grant')
      checkGrantRow(ctx, row, epoch)
      const current = decryptGrant(ctx, row)
      if (current.status === 'revoked')
        throw new VaultError('ERR_GRANT_REVOKED', 'This grant has been revoked')
      if (current.status === 'expired')
        throw new VaultError('ERR_GRANT_EXPIRED', 'This grant has expired')
      if (current.status === 'consumed')
        throw new VaultError('ERR_GRANT_CONSUMED', 'This single-use grant has been used')
      const fields = n.fields ? [...new Set(n.fields)] : current.fields
      if (!selectorsCover(current.fields, fields)) throw scopeError('Narrowing cannot add fields')
      const purchases = n.purchases === null ? undefined : (n.purchases ?? current.purchases)
      if (!sliceWithin(current.purchases, purchases))
        throw scopeError('Narrowing cannot widen the purchase slice')
      const actions = n.actions ? [...new Set(n.actions)] : current.actions
      if (!actions.every((a) => current.actions.includes(a)))
        throw scopeError('Narrowing cannot add actions')
      // A purpose may give way to a narrower one (marketing → direct marketing), never a new one.
      const purposes = n.purposes ?? current.purposes
      if (!purposes.every((p) => current.purposes.some((c) => isWithin(p, c))))
        throw scopeError('Narrowing cannot add purposes')
      const expiresAt = n.expiresAt ? new Date(n.expiresAt).toISOString() : current.expiresAt
      if (expiresAt > current.expiresAt) throw scopeError('Narrowing cannot extend the expiry')
      const body: GrantBody = {
        fields,
        ...(purchases ? { purchases } : {}),
        actions,
        purpose: current.purpose,
        purposes,
        acceptedTerms: current.acceptedTerms,
        // A narrowed single-use grant stays single use: narrowing never adds reads.
        accessMode: current.accessMode,
      }
      const { row_mac: _old, ...values } = {
        ...row,
        expires_at: expiresAt,
        revision: row.revision + 1,
        body: sealJson(ctx.sodium, key, term, grantPlace(keys.vaultId, id), body),
        term,
        updated_at: ctx.now().toISOString(),
      }
      // Narrowing takes access away: a saved copy of the wider row must stop verifying.
      const next = await advanceLedger(ctx, trx, epoch, { grants: [values] })
      updated = { ...values, row_mac: ctx.rows.mac('grants', authenticated.grants(values, next)) }
      await recordGrantEvent(ctx, trx, { key, term }, grantView(ctx, updated, body), 'narrowed')
      if (expiresAt !== current.expiresAt) await dropExpirySignal(trx, id)
      await enqueueSignals(ctx, trx, [
        { vendorId: row.vendor_id, grantId: id, kind: 'grant.narrowed' },
        ...(expiresAt !== current.expiresAt
          ? [
              {
                vendorId: row.vendor_id,
                grantId: id,
                kind: 'grant.expired' as const,
                dueAt: expiresAt,
              },
            ]
          : []),
      ])
      await ctx.audit.appendInTransaction(trx, [
        {
          action: 'grant.narrowed',
          actor: 'owner',
          grantId: id,
          vendorId: row.vendor_id,
          paths: fields,
          ...(purposes.length > 0 ? { purposes } : {}),
        },
      ])
    })
    const result = decryptGrant(ctx, updated as GrantsTable)
    ctx.emit({ type: 'grant.narrowed', grantId: id, revision: result.revision })
    return result
  }

  /**
   * Revokes a grant. Final: the next read or append through it fails with ERR_GRANT_REVOKED.
   * Revoking an already revoked grant is a no-op.
   */
  async revoke(id: string): Promise<Grant> {
    const ctx = this.#ctx
    ctx.keys()
    let row: GrantsTable | undefined
    await ctx.db.transaction().execute(async (trx) => {
      const { term, key, epoch } = await writeTerm(ctx, trx)
      row = await trx
        .selectFrom('grants')
        .selectAll()
        .where('id', '=', id)
        .$if(ctx.engine === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst()
      if (!row) throw new NotFoundError('Grant')
      checkGrantRow(ctx, row, epoch)
      // A used single-use grant is already finished; there is nothing left to withdraw.
      if (row.status === 'revoked' || row.status === 'consumed') return
      const { row_mac: _old, ...values } = {
        ...row,
        status: 'revoked' as const,
        updated_at: ctx.now().toISOString(),
      }
      // A saved copy of the active row must stop verifying (integrity/ledger.ts).
      const next = await advanceLedger(ctx, trx, epoch, { grants: [values] })
      await dropExpirySignal(trx, id)
      await enqueueSignals(ctx, trx, [
        { vendorId: row.vendor_id, grantId: id, kind: 'grant.revoked' },
      ])
      await ctx.audit.appendInTransaction(trx, [
        { action: 'grant.revoked', actor: 'owner', grantId: id, vendorId: row.vendor_id },
      ])
      row = { ...values, row_mac: ctx.rows.mac('grants', authenticated.grants(values, next)) }
      await recordGrantEvent(ctx, trx, { key, term }, decryptGrant(ctx, row), 'withdrawn')
    })
    ctx.emit({ type: 'grant.revoked', grantId: id })
    return decryptGrant(ctx, row as GrantsTable)
  }

  /**
   * Records that the owner said no to a vendor's request on the consent page: logged, and kept in
   * the consent history with what was asked, so a receipt of the denial exists for both sides
   * (issue 12, part 3). Returns the denial's receipt id.
   *
   * @example
   * await vault.grants.deny({ vendorId: shop.id, request: { fields: ['email'], actions: ['read'], purpose: 'Newsletter' }, reason: 'ERR_OWNER_DENIED' })
   */
  async deny(refusal: ConsentRefusalInput): Promise<string> {
    const ctx = this.#ctx
    ctx.keys()
    let id = ''
    await ctx.db.transaction().execute(async (trx) => {
      const { term, key } = await writeTerm(ctx, trx)
      id = await recordRefusal(ctx, trx, { key, term }, refusal)
      await ctx.audit.appendInTransaction(trx, [
        {
          action: 'grant.denied',
          actor: 'owner',
          vendorId: refusal.vendorId,
          detail: refusal.reason,
          ...(refusal.request.purposes && refusal.request.purposes.length > 0
            ? { purposes: refusal.request.purposes.slice(0, 10) }
            : {}),
        },
      ])
    })
    return id
  }

  /**
   * The consent events of one vendor's grants, or of one grant, oldest first, a page at a time:
   * every grant given, narrowed, withdrawn or expired and every refused request, each with what
   * was consented to (or asked) at the time (grants/consent-history.ts). ERR_INTEGRITY when a
   * stored event was edited.
   *
   * @example
   * let page = await vault.grants.history({ vendorId: shop.id })
   * while (page.next) page = await vault.grants.history({ vendorId: shop.id, after: page.next })
   */
  async history(filter: HistoryFilter = {}): Promise<ConsentHistoryPage> {
    const ctx = this.#ctx
    ctx.keys()
    const parsed = HistoryFilter.safeParse(filter)
    if (!parsed.success)
      throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid history filter')
    const f = parsed.data
    const rows = await ctx.db
      .selectFrom('consent_events')
      .selectAll()
      .$if(f.vendorId !== undefined, (q) => q.where('vendor_id', '=', f.vendorId as string))
      .$if(f.grantId !== undefined, (q) => q.where('grant_id', '=', f.grantId as string))
      .execute()
    const events: ConsentEvent[] = rows.map((row) => openConsentEvent(ctx, row))
    const recorded = new Set(events.map((e) => e.grantId).filter((g) => g !== undefined))
    const grants =
      f.grantId !== undefined
        ? [await this.get(f.grantId)]
        : await this.list(f.vendorId !== undefined ? { vendorId: f.vendorId } : {})
    for (const grant of grants) {
      if (f.vendorId !== undefined && grant.vendorId !== f.vendorId) continue
      events.push(...derivedEvents(grant, recorded.has(grant.id)))
    }
    return pageOf(events, f.after, f.limit)
  }
}
