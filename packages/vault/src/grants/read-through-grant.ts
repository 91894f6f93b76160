import { sql } from 'kysely'
import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { envelopeTerm, openJson } from '../crypto/envelope.js'
import { HotQuery } from '../db/hot-query.js'
import type { DatabaseHandle } from '../db/open-database.js'
import type { GrantsTable } from '../db/schema.js'
import { NotFoundError, ValidationError, VaultError } from '../errors.js'
import { fieldPlace } from '../fields/field-store.js'
import { selectorMatches } from '../fields/selectors.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'
import type { Purchase } from '../purchases/order.js'
import { type Page, parsePurchaseFilter, queryPurchases } from '../purchases/purchase-query.js'
import { decryptGrantBody, grantStatus, grantView } from './grant-store.js'
import type { Grant, GrantAction, GrantBody } from './grant.js'

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
}

type GrantRow = GrantsTable & { vendor_blocked: number }
type FieldRow = { path: string; value: Uint8Array }

/**
 * Hot-path queries of one vault, compiled once. Field queries depend on the shape of the grant
 * (how many exact paths, how many subtrees), so they are cached per shape.
 */
class GrantReadQueries {
  readonly grant: HotQuery<GrantRow>
  readonly #ctx: VaultContext
  readonly #fields = new Map<string, HotQuery<FieldRow>>()

  constructor(ctx: VaultContext) {
    this.#ctx = ctx
    this.grant = new HotQuery(
      ctx.handle,
      ctx.db.selectFrom('grants').innerJoin('vendors', 'vendors.id', 'grants.vendor_id').selectAll('grants').select('vendors.blocked as vendor_blocked').where('grants.id', '=', ''),
    )
  }

  /**
   * Selects the rows of the granted paths only — exact paths by equality, subtrees by a LIKE on
   * their escaped prefix — so the work grows with the grant, not with the whole profile. The
   * caller still re-checks every path in JavaScript; SQL only narrows.
   */
  fields(selectors: readonly string[]): { query: HotQuery<FieldRow>; parameters: string[] } {
    const exact = selectors.filter((s) => !s.endsWith('.*'))
    const prefixes = selectors.filter((s) => s.endsWith('.*')).map((s) => `${s.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    const shape = `${exact.length}:${prefixes.length}`
    let query = this.#fields.get(shape)
    if (!query) {
      query = new HotQuery(
        this.#ctx.handle,
        this.#ctx.db
          .selectFrom('fields')
          .select(['path', 'value'])
          .where((eb) =>
            eb.or([
              ...(exact.length > 0 ? [eb('path', 'in', exact.map(() => ''))] : []),
              ...prefixes.map(() => eb(sql`path`, 'like', sql`${''} escape '\\'`)),
            ]),
          ),
      )
      this.#fields.set(shape, query)
    }
    return { query, parameters: [...exact, ...prefixes] }
  }
}

const queriesByContext = new WeakMap<VaultContext, GrantReadQueries>()
function queries(ctx: VaultContext): GrantReadQueries {
  let q = queriesByContext.get(ctx)
  if (!q) queriesByContext.set(ctx, (q = new GrantReadQueries(ctx)))
  return q
}

/**
 * Decrypted grant bodies of the current unseal, by grant id, reused while the stored row is
 * the same (same revision and the very same ciphertext bytes). Keyed by the key object, so a
 * lock drops the cache with the keys. Status, expiry and vendor blocking are *not* cached:
 * they come from the row read on every request, so revocation takes effect at once.
 */
const bodyCache = new WeakMap<UnsealedKeys, Map<string, { revision: number; envelope: Uint8Array; body: GrantBody }>>()

function cachedBody(ctx: VaultContext, keys: UnsealedKeys, row: GrantsTable): GrantBody {
  let cache = bodyCache.get(keys)
  if (!cache) bodyCache.set(keys, (cache = new Map()))
  const envelope = toBytes(row.body)
  const hit = cache.get(row.id)
  if (hit && hit.revision === row.revision && Buffer.compare(hit.envelope, envelope) === 0) return hit.body
  const body = decryptGrantBody(ctx, row.id, envelope)
  if (cache.size >= 10_000) cache.clear()
  cache.set(row.id, { revision: row.revision, envelope, body })
  return body
}

type LiveGrant = { grant: Grant; row: GrantsTable; joined: GrantRow }

/**
 * The granted fields of a grant as last read, valid while the database's change token is the
 * same (SQLite: `PRAGMA data_version` plus this connection's own writes — see DatabaseHandle).
 * An equal token proves no row changed, so the grant row and the decrypted slice are exactly
 * what a fresh read would return; any write anywhere, by this process or another, invalidates it.
 * Expiry is still evaluated against the clock on every read, and every read is still audited
 * durably. The cache lives and dies with the unsealed keys: locking drops it. Values are frozen
 * so a caller cannot change what the next caller gets.
 */
interface CachedSlice {
  readonly token: string
  readonly row: GrantRow
  /** The grant as seen when cached (frozen); reused while its status under the clock is the same. */
  readonly grant: Grant
  readonly fields: Readonly<Record<string, unknown>>
}
const sliceCache = new WeakMap<UnsealedKeys, Map<string, CachedSlice>>()
const MAX_CACHED_SLICES = 1_000

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/**
 * Loads a grant for use by its vendor and refuses it — with an audit entry — when it is
 * revoked, expired, of a blocked vendor, or lacks the action. The refusal codes are distinct
 * so the API can answer `invalid_token` vs `insufficient_scope` (RFC 6750 §3.1).
 */
export async function liveGrant(ctx: VaultContext, grantId: string, action: GrantAction, cached?: { row: GrantRow; grant: Grant }): Promise<LiveGrant> {
  const keys = ctx.keys()
  if (typeof grantId !== 'string') throw new TypeError('grantId must be a string')
  const row = cached?.row ?? (await queries(ctx).grant.run([grantId]))[0]
  if (!row) throw new NotFoundError('Grant')
  const { vendor_blocked, ...grantRow } = row
  // The status is always evaluated against the clock now; an unchanged row with an unchanged
  // status is the very view a fresh decryption would build.
  const grant = cached && grantStatus(grantRow, ctx.now()) === cached.grant.status ? cached.grant : grantView(ctx, grantRow, cachedBody(ctx, keys, grantRow))
  const refusal =
    grant.status === 'revoked'
      ? new VaultError('ERR_GRANT_REVOKED', 'This grant has been revoked')
      : grant.status === 'expired'
        ? new VaultError('ERR_GRANT_EXPIRED', 'This grant has expired')
        : vendor_blocked === 1
          ? new VaultError('ERR_VENDOR_BLOCKED', 'This vendor is blocked')
          : !grant.actions.includes(action)
            ? new VaultError('ERR_GRANT_SCOPE', `This grant does not allow ${action}`)
            : undefined
  if (refusal) {
    await ctx.audit.appendDurable({ action: 'grant.refused', actor: `vendor:${grant.vendorId}`, grantId, vendorId: grant.vendorId, outcome: 'refused', detail: refusal.code })
    throw refusal
  }
  return { grant, row: grantRow, joined: row }
}

/**
 * Reads exactly what a grant allows. Field rows outside the grant are never selected, and every
 * selected row's plaintext path is checked against the grant *before* any decryption, so
 * ungranted values are never decrypted (promise 13). The read's audit entry (grant, paths,
 * purchase ids — no values) is durable before this resolves; if it cannot be written, the read
 * fails and nothing is returned (promise 19).
 */
export async function readThroughGrant(ctx: VaultContext, grantId: string, options: ReadThroughGrantOptions = {}): Promise<GrantedSlice> {
  const keys = ctx.keys()
  let cache = sliceCache.get(keys)
  if (!cache) sliceCache.set(keys, (cache = new Map()))
  // Taken before reading: if anything is written meanwhile, the entry stored below is already stale.
  const token = ctx.grantReadCache && ctx.handle.changeToken ? (options.changeToken ?? ctx.handle.changeToken()) : undefined
  const hit = token === undefined ? undefined : cache.get(grantId)
  const cached = hit?.token === token ? hit : undefined
  const { grant, joined } = await liveGrant(ctx, grantId, 'read', cached)
  const include = options.include ?? ['fields', 'purchases']
  let fields: Record<string, unknown> = {}
  if (include.includes('fields') && grant.fields.length > 0) {
    if (cached) {
      fields = { ...cached.fields }
    } else {
      const { query, parameters } = queries(ctx).fields(grant.fields)
      const rows = await query.run(parameters)
      rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      for (const row of rows) {
        if (!grant.fields.some((s) => selectorMatches(s, row.path))) continue
        const envelope = row.value
        fields[row.path] = deepFreeze(openJson(ctx.sodium, keys.termKey(envelopeTerm(envelope)), fieldPlace(keys.vaultId, row.path), envelope))
      }
      if (token !== undefined) {
        if (cache.size >= MAX_CACHED_SLICES) cache.clear()
        cache.set(grantId, { token, row: joined, grant: deepFreeze(grant), fields: { ...fields } })
      }
    }
  }
  let purchases: Page<Purchase> | undefined
  if (include.includes('purchases') && grant.purchases) {
    const slice = grant.purchases
    const limit = options.purchases?.limit ?? 50
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ValidationError([{ path: 'limit', message: 'must be an integer from 1 to 500' }])
    const filter = parsePurchaseFilter({
      ...(slice.madeWithVendor ? { vendorId: grant.vendorId } : {}),
      ...(slice.categories ? { categories: slice.categories } : {}),
      ...(slice.since ? { since: slice.since } : {}),
      ...(options.purchases?.cursor !== undefined ? { cursor: options.purchases.cursor } : {}),
      limit,
    })
    purchases = await queryPurchases(ctx, filter, 'accepted')
  }
  const paths = Object.keys(fields)
  await ctx.audit.appendDurable({
    action: 'grant.read',
    actor: `vendor:${grant.vendorId}`,
    grantId,
    vendorId: grant.vendorId,
    paths,
    ...(purchases ? { purchaseIds: purchases.items.map((p) => p.id) } : {}),
  })
  ctx.emit({ type: 'grant.read', grantId, fieldCount: paths.length, purchaseCount: purchases?.items.length ?? 0 })
  return { grant, fields, ...(purchases ? { purchases } : {}) }
}
