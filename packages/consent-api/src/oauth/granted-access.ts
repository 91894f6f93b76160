import { z } from 'zod'
import { type Grant, GrantAction } from '@custos/vault'
import { VendorPurchaseSlice, toVendorSlice } from '../protocol/vendor-purchase-slice.js'
import { WireAccessMode, toWireMode } from '../protocol/access-mode.js'

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
    ...(grant.actions.includes('converse') ? ['converse'] : []),
    ...(grant.actions.includes('intents') ? ['intents'] : []),
    ...(grant.actions.includes('draft') ? ['draft'] : []),
  ].join(' ')
}

/**
 * One granted RFC 9396 authorization detail: the `custos_fields` object of the request as the
 * owner approved it, plus `expires_at` (when the grant ends, RFC 3339) — the token response's
 * schema in the OpenAPI document, so the document allows what is sent.
 */
export const GrantedDetail = z.object({
  type: z.literal('custos_fields'),
  fields: z.array(z.string()),
  purchases: VendorPurchaseSlice.optional(),
  actions: z.array(GrantAction),
  purpose: z.string(),
  /** DPV purpose IRIs (issue 12). */
  purposes: z.array(z.string()),
  accepted_terms: z.array(z.string()),
  /** `single_use`: the vendor's first read consumes the grant (issue 12 §5, PDPP's `access_mode`). */
  access_mode: WireAccessMode,
  expires_at: z.string(),
})

export function grantedDetails(grant: Grant): z.input<typeof GrantedDetail>[] {
  return [
    {
      type: 'custos_fields',
      fields: grant.fields,
      ...(grant.purchases ? { purchases: toVendorSlice(grant.purchases) } : {}),
      actions: grant.actions,
      purpose: grant.purpose,
      purposes: grant.purposes,
      accepted_terms: grant.acceptedTerms,
      access_mode: toWireMode(grant.accessMode),
      expires_at: grant.expiresAt,
    },
  ]
}
