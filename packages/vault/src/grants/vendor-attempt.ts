import { z } from 'zod'
import { GrantAction } from './grant.js'

/** A vendor (OAuth client) id as the access log's `actor` can hold it. */
const VENDOR_ID = /^[A-Za-z0-9_-]{1,64}$/
const VendorId = z.string().regex(VENDOR_ID)

/**
 * Why the caller's credential is dead, as its token store knows (the vault does not keep
 * tokens): revoked, expired, a refresh token or code already used, or one issued to another
 * client. Refused with this reason — unless the grant itself is refused first.
 */
export const CredentialRefusal = z.enum([
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_USED',
  'ERR_GRANT_MISMATCH',
])
export type CredentialRefusal = z.infer<typeof CredentialRefusal>

/** Who is asking through a grant: the vendor its credential belongs to, and whether that credential is dead. */
export interface GrantCaller {
  readonly vendorId: string
  readonly credential?: CredentialRefusal
}

/** What a vendor attempt records when it is allowed, for attempts that are not reads or appends (those write their own). */
export const AttemptRecord = z.enum([
  'grant.viewed',
  'token.issued',
  'token.refreshed',
  'draft.proposed',
])
export type AttemptRecord = z.infer<typeof AttemptRecord>

/** One vendor attempt through a grant, as {@link AccessPolicy.authorize} decides it. */
export const VendorAttempt = z
  .object({
    /** The client id the credential was issued to: it must own the grant. */
    vendorId: VendorId,
    /** The action the attempt needs, when it needs one (`append` before an inbox write). */
    action: GrantAction.optional(),
    /** Set when the credential is dead: the attempt is refused (and logged) with this reason. */
    credential: CredentialRefusal.optional(),
    /**
     * The entry to write when allowed. Omit it for a check that precedes the act, when the act
     * writes its own entry (an inbox append) or is checked again afterwards.
     */
    record: AttemptRecord.optional(),
  })
  .strict()
export type VendorAttempt = z.input<typeof VendorAttempt>

/**
 * Caller misuse (not untrusted input: the API passes the client id of a stored token) is a
 * TypeError. A plain regex test, not a schema parse: it runs on every vendor read.
 */
export function assertVendorId(vendorId: unknown): asserts vendorId is string {
  if (typeof vendorId !== 'string' || !VENDOR_ID.test(vendorId))
    throw new TypeError('vendorId must be a vendor id')
}
