import { type CredentialRefusal, VaultError, type VaultErrorCode } from '@custos/vault'
import type { AppContext } from '../app-context.js'

/** The codes of the vault's refusal policy: a vendor attempt turned down — and already logged by the vault. */
const REFUSALS: ReadonlySet<VaultErrorCode> = new Set([
  'ERR_NOT_FOUND',
  'ERR_GRANT_MISMATCH',
  'ERR_GRANT_REVOKED',
  'ERR_GRANT_CONSUMED',
  'ERR_GRANT_EXPIRED',
  'ERR_VENDOR_BLOCKED',
  'ERR_GRANT_SCOPE',
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_USED',
])

/** True for a refusal of the vault's policy (anything else — a broken log, storage — is not one). */
export function isRefusal(err: unknown): err is VaultError {
  return err instanceof VaultError && REFUSALS.has(err.code)
}

/** A presented credential that is not live: whose it is, as far as anyone can tell. */
export type DeadCredential =
  /** Known: the vendor presenting it, the grant it stands for, and why it is dead. */
  | { readonly vendorId: string; readonly grantId: string; readonly credential: CredentialRefusal }
  /** Matches nothing: the vendor when the request authenticated one (the token endpoint), else nobody. */
  | { readonly vendorId?: string; readonly grantId?: undefined }

/**
 * Logs a request with a dead credential through the vault's one refusal policy (issue "P1 —
 * Trust"): a known one as a refusal of its vendor and grant — with the grant's own reason when the
 * grant is what killed it (revoked, expired, vendor blocked) — and an unknown one as a counted
 * refusal of the client or of nobody. Resolves once logged; the caller then answers exactly as it
 * answers any bad credential, so the vendor learns nothing from the difference.
 */
export async function refuseCredential(app: AppContext, dead: DeadCredential): Promise<void> {
  if (dead.grantId === undefined)
    return app.vault.access.refuseUnknownCredential(
      dead.vendorId !== undefined ? { vendorId: dead.vendorId } : {},
    )
  try {
    await app.vault.access.authorize(dead.grantId, {
      vendorId: dead.vendorId,
      credential: dead.credential,
    })
  } catch (err) {
    // A dead credential is always refused; only a failure to log it (a broken log, storage) goes on.
    if (!isRefusal(err)) throw err
  }
}
