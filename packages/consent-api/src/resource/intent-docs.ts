import { z } from 'zod'
import { OfferInput } from '@custos/vault'
import type { RouteDoc } from '../openapi/openapi-document.js'
import { OfferRequest } from './offer-signature.js'

/** RFC 6750 §3 errors, as for every `/v1` route (resource-docs.ts). */
const BEARER_ERROR = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
})
const AUTH_ERRORS = {
  '400': {
    description:
      'invalid_request (RFC 6750 §3.1): a malformed Authorization header, or a token outside it',
    schema: BEARER_ERROR,
  },
  '401': {
    description:
      'invalid_token / invalid_dpop_proof (the grant is revoked, expired, or its vendor blocked), or no credentials; see WWW-Authenticate',
    schema: BEARER_ERROR,
  },
  '403': {
    description: 'insufficient_scope: the grant does not include `intents`',
    schema: BEARER_ERROR,
  },
  '503': { description: 'The vault is sealed' },
} as const
const NOT_VISIBLE = {
  '404': {
    description:
      'No such open intent (or offer) for this vendor — one it may not see is the same (ERR_NOT_FOUND)',
  },
} as const

const Money = z.object({ amount: z.number(), currency: z.string() })
const Offer = OfferInput.extend({
  id: z.string(),
  state: z.enum(['open', 'withdrawn', 'accepted', 'declined']),
  validUntil: z.string(),
  terms: z.object({ text: z.string().optional(), url: z.string().optional() }),
  signature: z.object({ jws: z.string(), signedBy: z.enum(['vendor', 'vault']) }),
  createdAt: z.string(),
  updatedAt: z.string(),
})
const VendorIntent = z.object({
  id: z.string().describe('This vendor’s own id for the intent: another vendor sees another'),
  state: z.enum(['open', 'closed']),
  category: z.string(),
  text: z.string(),
  requirements: z.object({
    size: z.string().optional(),
    budget: Money.optional(),
    deliverBy: z.string().optional(),
    location: z.string().optional(),
  }),
  disclose: z
    .array(z.string())
    .describe('The field paths the owner will let the vendor whose offer she accepts ask for'),
  openUntil: z.string(),
  offers: z.array(Offer),
})

const INTENTS = 'Needs the `intents` action (scope `intents`).'

/** The vendor's side of the owner's intents (resource/intents.ts), for the OpenAPI document. */
export const intentRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/intents',
    tag: 'Vendor resources',
    summary: 'The open intents (requests for proposals) this vendor may see, with its own offers',
    description: `${INTENTS} Each intent says only what the owner wrote — never who she is — under an id only this vendor gets.`,
    auth: 'bearer',
    responses: {
      '200': {
        description: 'Open intents, newest first',
        schema: z.object({ items: z.array(VendorIntent) }),
      },
      ...AUTH_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/v1/intents/{id}',
    tag: 'Vendor resources',
    summary: 'One open intent, or a closed one this vendor made offers on (how they ended)',
    description: INTENTS,
    auth: 'bearer',
    pathParams: { id: 'The intent’s id as this vendor knows it' },
    responses: {
      '200': { description: 'The intent', schema: VendorIntent },
      ...AUTH_ERRORS,
      ...NOT_VISIBLE,
    },
  },
  {
    method: 'post',
    path: '/v1/intents/{id}/offers',
    tag: 'Vendor resources',
    summary: 'Make an offer on an open intent (signed)',
    description: `${INTENTS} A private_key_jwt client may sign its offer itself: \`signature\`, a JWT with iss (its client id), aud (this server), iat, jti, \`intent\` (the id in the path) and \`offer\` (the offer as sent), verified against its registered keys. Otherwise the vault countersigns it on receipt (EdDSA, typ offer+jwt, /.well-known/jwks.json), naming the authenticated client. At most 3 offers per vendor per intent, withdrawn ones included.`,
    auth: 'bearer',
    pathParams: { id: 'The intent’s id as this vendor knows it' },
    body: { type: 'application/json', schema: OfferRequest },
    responses: {
      '201': { description: 'The offer, open', schema: Offer },
      ...AUTH_ERRORS,
      ...NOT_VISIBLE,
      '400': {
        description:
          'invalid_request, an invalid offer, or a signature that does not verify or signs another offer (problem+json with issues)',
      },
      '409': { description: 'The intent no longer takes offers (ERR_INTENT_CLOSED)' },
      '415': { description: 'The body must be application/json' },
      '429': { description: 'No more offers from this vendor on this intent (ERR_OFFER_LIMIT)' },
    },
  },
  {
    method: 'delete',
    path: '/v1/intents/{id}/offers/{offer}',
    tag: 'Vendor resources',
    summary: 'Withdraw an open offer while the intent is open',
    description: INTENTS,
    auth: 'bearer',
    pathParams: { id: 'The intent’s id as this vendor knows it', offer: 'The offer’s id' },
    responses: {
      '204': { description: 'Withdrawn' },
      ...AUTH_ERRORS,
      ...NOT_VISIBLE,
      '409': {
        description:
          'The intent is closed (ERR_INTENT_CLOSED), or the offer is not open (ERR_CONFLICT)',
      },
    },
  },
]
