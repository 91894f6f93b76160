import type { VaultContext } from '../context.js'
import { writeTerm } from '../keys/write-term.js'
import { type RefusedRequest, recordRefusal } from './consent-history.js'
import type { Grant } from './grant.js'
import { liveGrant } from './read-through-grant.js'
import { type VendorAttempt as Attempt, VendorAttempt, assertVendorId } from './vendor-attempt.js'
import type { Vendor } from './vendor.js'
import { decryptVendor } from './vendor-store.js'

/** What an allowed attempt may use: the grant as it stands and its vendor. */
export interface AuthorizedAccess {
  readonly grant: Grant
  readonly vendor: Vendor
}

/**
 * Vendor attempts that do not read through a grant — `GET /v1/grant`, the check before an inbox
 * append, the token endpoint's code exchange and refresh — decided by the same policy as reads
 * ({@link liveGrant}) and logged the same way: every refusal with its reason (aggregated per
 * burst), and an allowed attempt as what the vendor got (`record`). So the API holds no second
 * copy of the rules, and no vendor request goes unrecorded (SECURITY.md promises 13, 19).
 */
export class AccessPolicy {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /**
   * Allows the attempt, or refuses it with ERR_GRANT_MISMATCH (the vendor does not own the grant),
   * ERR_NOT_FOUND, ERR_GRANT_REVOKED, ERR_GRANT_CONSUMED, ERR_GRANT_EXPIRED, ERR_VENDOR_BLOCKED,
   * ERR_GRANT_SCOPE, or the dead credential's own code — each refusal logged for the asking vendor.
   *
   * @example
   * // GET /v1/grant
   * const { grant, vendor } = await vault.access.authorize(grantId, { vendorId: clientId, record: 'grant.viewed' })
   * // a refresh token the token store found revoked: logged, then refused
   * await vault.access.authorize(grantId, { vendorId: clientId, credential: 'ERR_TOKEN_REVOKED' })
   */
  async authorize(grantId: string, attempt: Attempt): Promise<AuthorizedAccess> {
    const ctx = this.#ctx
    ctx.keys()
    const parsed = VendorAttempt.safeParse(attempt)
    if (!parsed.success)
      throw new TypeError('attempt must be { vendorId, action?, credential?, record? }')
    const { vendorId, action, credential, record } = parsed.data
    const { grant, joined } = await liveGrant(ctx, grantId, action, undefined, {
      vendorId,
      ...(credential !== undefined ? { credential } : {}),
    })
    // The vendor row came with the grant, authenticated by liveGrant: no second query.
    const vendor = decryptVendor(ctx, {
      id: joined.vendor_id,
      body: joined.vendor_body,
      blocked: joined.vendor_blocked,
      created_at: joined.vendor_created_at,
    })
    if (record !== undefined)
      await ctx.audit.appendDurable({
        action: record,
        actor: `vendor:${vendorId}`,
        grantId,
        vendorId,
      })
    return { grant, vendor }
  }

  /**
   * Records a presented credential that matches nothing: attributed to the vendor when the caller
   * has authenticated it (a client at the token endpoint), else a system refusal — counted per
   * burst like every refusal, so a flood of guessed tokens shows in the log without growing it
   * without bound. The caller then answers as it always does (`invalid_token`, `invalid_grant`).
   */
  async refuseUnknownCredential(options: { readonly vendorId?: string } = {}): Promise<void> {
    this.#ctx.keys()
    const { vendorId } = options
    if (vendorId !== undefined) assertVendorId(vendorId)
    await this.#ctx.refusals.refuse(
      vendorId !== undefined
        ? { actor: `vendor:${vendorId}`, vendorId, detail: 'ERR_TOKEN_UNKNOWN' }
        : { actor: 'system', detail: 'ERR_TOKEN_UNKNOWN' },
    )
  }

  /**
   * Records an authorization request refused before the owner saw it (or when she decided),
   * because it names purposes the owner never allows (issue 12, the owner's "never for" list), or
   * falls outside her MyTerms (`detail`); `refused` are the requested purposes it caught. Counted per burst like every refusal, so a vendor repeating the request
   * cannot grow the log without bound.
   */
  async refuseRequest(request: {
    readonly vendorId: string
    readonly refused: readonly string[]
    /**
     * Why, when not a "never for" purpose (the default, `ERR_PURPOSE_REFUSED`): the owner's
     * MyTerms (IEEE 7012) require an agreement and none was agreed (`ERR_TERMS_REQUIRED`), or the
     * agreement does not allow `refused` (`ERR_TERMS_NOT_COVERED`).
     */
    readonly detail?: 'ERR_PURPOSE_REFUSED' | 'ERR_TERMS_REQUIRED' | 'ERR_TERMS_NOT_COVERED'
    /**
     * What the request asked: given, the refusal is kept in the consent history too, so the vendor
     * and the owner hold a receipt of it (grants/consent-history.ts; at most
     * MAX_REFUSALS_PER_VENDOR per vendor are kept).
     */
    readonly request?: RefusedRequest
  }): Promise<void> {
    this.#ctx.keys()
    assertVendorId(request.vendorId)
    const detail = request.detail ?? 'ERR_PURPOSE_REFUSED'
    if (!['ERR_PURPOSE_REFUSED', 'ERR_TERMS_REQUIRED', 'ERR_TERMS_NOT_COVERED'].includes(detail))
      throw new TypeError('detail must be a request refusal code')
    await this.#ctx.refusals.refuse({
      action: 'request.refused',
      actor: `vendor:${request.vendorId}`,
      vendorId: request.vendorId,
      detail,
      purposes: request.refused.slice(0, 10),
    })
    if (request.request !== undefined) {
      const ctx = this.#ctx
      const refusal = {
        vendorId: request.vendorId,
        request: request.request,
        reason: detail,
        refused: request.refused.slice(0, 10),
      }
      await ctx.db.transaction().execute(async (trx) => {
        const { term, key } = await writeTerm(ctx, trx)
        await recordRefusal(ctx, trx, { key, term }, refusal)
      })
    }
  }
}
