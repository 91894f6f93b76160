import { type Grant, type GrantAction, type Vendor, VaultError } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import type { VendorAccess } from './bearer.js'

/**
 * The caller's grant, refused exactly as the vault refuses a read through it — revoked, expired,
 * vendor blocked, or without `action` — for the routes that do not read through the grant
 * (`GET /v1/grant`) or must check the action before looking at the body (`POST /v1/purchases`:
 * a vendor without `append` learns nothing about its order's validity). Reads themselves go
 * through `vault.readThroughGrant`, which makes the same checks at the moment of the read.
 */
export async function liveGrant(app: AppContext, access: VendorAccess, action?: GrantAction): Promise<{ grant: Grant; vendor: Vendor }> {
  const grant = await app.vault.grants.get(access.grantId)
  // The token store binds a token to its client's grant; a mismatch means a corrupted row.
  if (grant.vendorId !== access.clientId) throw new VaultError('ERR_NOT_FOUND', 'Grant not found')
  if (grant.status === 'revoked') throw new VaultError('ERR_GRANT_REVOKED', 'This grant has been revoked')
  if (grant.status === 'expired') throw new VaultError('ERR_GRANT_EXPIRED', 'This grant has expired')
  const vendor = await app.vault.vendors.get(grant.vendorId)
  if (vendor.blocked) throw new VaultError('ERR_VENDOR_BLOCKED', 'This vendor is blocked')
  if (action !== undefined && !grant.actions.includes(action)) throw new VaultError('ERR_GRANT_SCOPE', `This grant does not allow ${action}`)
  return { grant, vendor }
}
