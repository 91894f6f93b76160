import { type Grant, VaultError } from '@custos/vault'
import type { AppContext } from '../app-context.js'

/**
 * What a grant allows, in the words of the token response (RFC 6749 §5.1 `scope`, RFC 9396 §7
 * `authorization_details`) and of introspection (RFC 7662): always the grant as it stands — as
 * the owner approved it, or narrowed it since — never what the vendor asked for.
 */
export function grantedScope(grant: Grant): string {
  const read = grant.actions.includes('read')
  return [
    ...(read ? grant.fields.map((f) => `read:${f}`) : []),
    ...(read && grant.purchases ? ['read:purchases'] : []),
    ...(grant.actions.includes('append') ? ['append:purchases'] : []),
  ].join(' ')
}

export function grantedDetails(grant: Grant): Record<string, unknown>[] {
  return [
    {
      type: 'custos_fields',
      fields: grant.fields,
      ...(grant.purchases ? { purchases: grant.purchases } : {}),
      actions: grant.actions,
      purpose: grant.purpose,
      accepted_terms: grant.acceptedTerms,
      expires_at: grant.expiresAt,
    },
  ]
}

/** The grant if it is still live — active, and its vendor not blocked; undefined otherwise. */
export async function liveGrant(app: AppContext, grantId: string): Promise<Grant | undefined> {
  try {
    const grant = await app.vault.grants.get(grantId)
    if (grant.status !== 'active') return undefined
    if ((await app.vault.vendors.get(grant.vendorId)).blocked) return undefined
    return grant
  } catch (err) {
    if (err instanceof VaultError && err.code === 'ERR_NOT_FOUND') return undefined
    throw err
  }
}
