import type { Grant } from '@custos/vault'

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
