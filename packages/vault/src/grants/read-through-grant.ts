import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { envelopeTerm, openJson } from '../crypto/envelope.js'
import type { DatabaseHandle } from '../db/open-database.js'
import type { GrantsTable } from '../db/schema.js'
import { NotFoundError, ValidationError, VaultError } from '../errors.js'
import { fieldPlace } from '../fields/field-store.js'
import { selectorMatches } from '../fields/selectors.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'
import type { Purchase } from '../purchases/order.js'
import { type Page, parsePurchaseFilter, queryPurchases } from '../purchases/purchase-query.js'
import { checkGrantRow, decryptGrantBody, grantStatus, grantView } from './grant-store.js'
import { checkVendorRow } from './vendor-store.js'
import type { Grant, GrantAction, GrantBody } from './grant.js'
import type { GrantRow } from './grant-read-cache.js'
import { type GrantCaller, assertVendorId } from './vendor-attempt.js'
import type { Refusal } from '../audit/refusal-burst.js'
import { consumeGrant, consumedError } from './grant-consumption.js'

/** What a vendor sees through a grant. */
export interface GrantedSlice {
  readonly grant: Grant
  /** Granted fields that have a value, by path. */
  readonly fields: Record<string, unknown>
  /** The granted purchases (one page), when the grant has a purchase slice and they were asked for. */
  readonly purchases?: Page<Purchase>
}

export interface ReadThroughGrantOptions {
  /** Which parts to read; both by default. */
  readonly include?: readonly ('fields' | 'purchases')[]
  readonly purchases?: { readonly cursor?: string; readonly limit?: number }
  /**
   * The database's change token ({@link DatabaseHandle.changeToken}) as the caller took it when
   * its request arrived, to check the read cache against instead of taking another — one read
   * transaction less per request. The answer is then as of that moment or later, so pass only a
   * token taken for this request. Ignored where the database has no change token (PostgreSQL).
   */
  readonly changeToken?: string
  /**
   * The vendor asking — the client id its access token was issued to. It must own the grant, else
   * the read is refused (ERR_GRANT_MISMATCH) and logged as this vendor's refusal. The API always
   * passes it; a check on a column already read, so it costs the hot path nothing.
   */
  readonly vendorId?: string
}

/**
 * A grant body decrypted once per unseal and reused while the stored row is the same: the vault's
 * read cache (grants/grant-read-cache.ts) keeps it, and drops it with the keys.
 */
function cachedBody(ctx: VaultContext, keys: UnsealedKeys, row: GrantsTable): GrantBody {
  const envelope = toBytes(row.body)
  const hit = ctx.grantReads.body(keys, row, envelope)
  if (hit) return hit
  const body = decryptGrantBody(ctx, row.id, envelope)
  ctx.grantReads.keepBody(keys, row, envelope, body)
  return body
}

type LiveGrant = { grant: Grant; row: GrantsTable; joined: GrantRow }

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/**
 * The one refusal policy for every vendor attempt (issue "P1 — Trust"): reads, grant lookups,
 * appends, token refreshes and code exchanges all come here. Loads a grant for use by its vendor
 * and refuses it — with an audit entry, aggregated per burst (audit/refusal-burst.ts) — when the
 * calling vendor does not own it, or it is revoked, expired, of a blocked vendor, lacks the
 * action, or the caller's credential is dead. The refusal codes are distinct so the API can answer
 * `invalid_token` vs `insufficient_scope` (RFC 6750 §3.1).
 *
 * @param caller who is asking, when known (always, from the API): the vendor its credential
 *   belongs to, and why that credential is dead if it is. Without it (the library's own callers)
 *   the grant's vendor is assumed and a missing grant is not logged.
 */
export async function liveGrant(
  ctx: VaultContext,
  grantId: string,
  action: GrantAction | undefined,
  cached?: { row: GrantRow; grant: Grant },
  caller?: GrantCaller,
): Promise<LiveGrant> {
  const keys = ctx.keys()
  if (typeof grantId !== 'string') throw new TypeError('grantId must be a string')
  const row = cached?.row ?? (await ctx.grantReads.grantQuery.run([grantId]))[0]
  if (!row) {
    if (caller) await ctx.refusals.refuse(refusalOf(caller.vendorId, grantId, 'ERR_NOT_FOUND'))
    throw new NotFoundError('Grant')
  }
  const {
    vendor_body,
    vendor_blocked,
    vendor_term,
    vendor_created_at,
    vendor_row_mac,
    ledger_epoch,
    ...grantRow
  } = row
  if (!cached) {
    // The barrier (SECURITY.md): the grant row and its vendor's row decide this access, so both
    // must be authentic and current before anything is believed. A cached row was checked when read.
    const epoch = Number(ledger_epoch)
    checkGrantRow(ctx, grantRow, epoch)
    checkVendorRow(
      ctx,
      {
        id: grantRow.vendor_id,
        body: vendor_body,
        blocked: vendor_blocked,
        term: vendor_term,
        created_at: vendor_created_at,
        row_mac: vendor_row_mac,
      },
      epoch,
    )
  }
  // Confused deputy: a token pointing one vendor at another's grant (an edited token row that
  // got past its store's MAC, or a store's bug) must not read that grant, nor be logged as that
  // grant's vendor's read. The vendor column of the authenticated grant row decides, before
  // anything is decrypted; to the caller it looks like a grant that does not exist.
  if (caller && grantRow.vendor_id !== caller.vendorId) {
    await ctx.refusals.refuse(refusalOf(caller.vendorId, grantId, 'ERR_GRANT_MISMATCH'))
    throw new VaultError('ERR_GRANT_MISMATCH', 'Grant not found')
  }
  // The status is always evaluated against the clock now; an unchanged row with an unchanged
  // status is the very view a fresh decryption would build.
  const grant =
    cached && grantStatus(grantRow, ctx.now()) === cached.grant.status
      ? cached.grant
      : grantView(ctx, grantRow, cachedBody(ctx, keys, grantRow))
  const refusal =
    grant.status === 'revoked'
      ? new VaultError('ERR_GRANT_REVOKED', 'This grant has been revoked')
      : grant.status === 'consumed'
        ? consumedError()
        : grant.status === 'expired'
          ? new VaultError('ERR_GRANT_EXPIRED', 'This grant has expired')
          : vendor_blocked === 1
            ? new VaultError('ERR_VENDOR_BLOCKED', 'This vendor is blocked')
            : action !== undefined && !grant.actions.includes(action)
              ? new VaultError('ERR_GRANT_SCOPE', `This grant does not allow ${action}`)
              : // The grant's own state comes first (a token dies with its grant); a dead
                // credential on a live grant is refused for itself.
                caller?.credential !== undefined
                ? new VaultError(caller.credential, 'This credential is no longer valid')
                : undefined
  if (refusal) {
    await ctx.refusals.refuse(refusalOf(grant.vendorId, grantId, refusal.code))
    throw refusal
  }
  return { grant, row: grantRow, joined: row }
}

const GRANT_ID = /^[A-Za-z0-9_-]{1,64}$/

/** A vendor's refusal as logged; a grant id that could not be one (a tampered token row) is left out. */
function refusalOf(vendorId: string, grantId: string, detail: string): Refusal {
  return {
    actor: `vendor:${vendorId}`,
    vendorId,
    ...(GRANT_ID.test(grantId) ? { grantId } : {}),
    detail,
  }
}

/**
 * Reads exactly what a grant allows. Field rows outside the grant are never selected, and every
 * selected row's plaintext path is checked against the grant *before* any decryption, so
 * ungranted values are never decrypted (promise 13). The read's audit entry (grant, paths,
 * purchase ids — no values) is durable before this resolves; if it cannot be written, the read
 * fails and nothing is returned (promise 19).
 */
export async function readThroughGrant(
  ctx: VaultContext,
  grantId: string,
  options: ReadThroughGrantOptions = {},
): Promise<GrantedSlice> {
  const keys = ctx.keys()
  // Taken before reading: if anything is written meanwhile, the entry stored below is already stale.
  const token =
    ctx.grantReadCache && ctx.handle.changeToken
      ? (options.changeToken ?? ctx.handle.changeToken())
      : undefined
  const hit = token === undefined ? undefined : ctx.grantReads.slice(keys, grantId)
  const cached = hit?.token === token ? hit : undefined
  if (options.vendorId !== undefined) assertVendorId(options.vendorId)
  const { grant, joined } = await liveGrant(
    ctx,
    grantId,
    'read',
    cached,
    options.vendorId !== undefined ? { vendorId: options.vendorId } : undefined,
  )
  const include = options.include ?? ['fields', 'purchases']
  let fields: Record<string, unknown> = {}
  if (include.includes('fields') && grant.fields.length > 0) {
    if (cached) {
      fields = { ...cached.fields }
    } else {
      const { query, parameters } = ctx.grantReads.fieldQuery(grant.fields)
      const rows = await query.run(parameters)
      rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      for (const row of rows) {
        if (!grant.fields.some((s) => selectorMatches(s, row.path))) continue
        const envelope = row.value
        fields[row.path] = deepFreeze(
          openJson(
            ctx.sodium,
            keys.termKey(envelopeTerm(envelope)),
            fieldPlace(keys.vaultId, row.path),
            envelope,
          ),
        )
      }
      // A single-use grant is read once; its slice is never kept (the claim changes the row anyway).
      if (token !== undefined && grant.accessMode !== 'singleUse')
        ctx.grantReads.keepSlice(keys, grantId, {
          token,
          row: joined,
          grant: deepFreeze(grant),
          fields: { ...fields },
        })
    }
  }
  let purchases: Page<Purchase> | undefined
  if (include.includes('purchases') && grant.purchases) {
    const slice = grant.purchases
    const limit = options.purchases?.limit ?? 50
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new ValidationError([{ path: 'limit', message: 'must be an integer from 1 to 500' }])
    const filter = parsePurchaseFilter({
      ...(slice.madeWithVendor ? { vendorId: grant.vendorId } : {}),
      ...(slice.categories ? { categories: slice.categories } : {}),
      ...(slice.since ? { since: slice.since } : {}),
      ...(slice.until ? { until: slice.until } : {}),
      ...(options.purchases?.cursor !== undefined ? { cursor: options.purchases.cursor } : {}),
      limit,
    })
    const page = await queryPurchases(ctx, filter, 'accepted')
    // Which file the owner imported a purchase from is her bookkeeping, not part of the order.
    purchases = { ...page, items: page.items.map(({ importSource: _, ...p }) => p) }
  }
  const paths = Object.keys(fields)
  const entry = {
    action: 'grant.read' as const,
    actor: `vendor:${grant.vendorId}`,
    grantId,
    vendorId: grant.vendorId,
    paths,
    ...(purchases ? { purchaseIds: purchases.items.map((p) => p.id) } : {}),
  }
  let seen = grant
  if (grant.accessMode === 'singleUse') {
    // The read's entry and the claim commit together; a concurrent first read that lost gets nothing.
    try {
      seen = await consumeGrant(ctx, grant, entry)
    } catch (err) {
      if (err instanceof VaultError && err.code.startsWith('ERR_GRANT_'))
        await ctx.refusals.refuse(refusalOf(grant.vendorId, grantId, err.code))
      throw err
    }
  } else {
    await ctx.audit.appendDurable(entry)
  }
  ctx.emit({
    type: 'grant.read',
    grantId,
    fieldCount: paths.length,
    purchaseCount: purchases?.items.length ?? 0,
  })
  return { grant: seen, fields, ...(purchases ? { purchases } : {}) }
}
