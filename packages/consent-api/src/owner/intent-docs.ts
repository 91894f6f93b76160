import { z } from 'zod'
import { IntentInput } from '@custos/vault'
import type { RouteDoc } from '../openapi/openapi-document.js'
import { Anything, INVALID, NOT_FOUND, guarded, json, ok } from './owner-doc-kit.js'

const CLOSED = {
  '409': {
    description:
      'The intent is already decided (ERR_INTENT_CLOSED), the offer is not open (ERR_CONFLICT) or no longer valid (ERR_OFFER_EXPIRED), or too many intents are open (ERR_INTENT_LIMIT)',
  },
} as const

const Accepted = z.object({
  intentId: z.string(),
  offerId: z.string(),
  vendorId: z.string(),
  threadId: z.string(),
  disclose: z.array(z.string()),
  declined: z.array(z.string()),
  grant: z.object({
    vendorId: z.string(),
    fields: z.array(z.string()),
    actions: z.array(z.literal('read')),
    purpose: z.string(),
  }),
})

/** The owner's intents (owner/intent-routes.ts), for the OpenAPI document. */
export const ownerIntentRouteDocs: readonly RouteDoc[] = [
  guarded({
    method: 'get',
    path: '/owner/intents',
    summary: 'Every intent, newest first, with how many offers wait on each',
    responses: ok('The intents', z.object({ items: z.array(Anything) })),
  }),
  guarded({
    method: 'post',
    path: '/owner/intents',
    summary:
      'Publish an intent: what you want, requirements, open until, which vendors see it, which fields you will disclose to the offer you accept',
    body: json(IntentInput),
    responses: { '201': { description: 'The intent' }, ...INVALID, ...CLOSED },
  }),
  guarded({
    method: 'get',
    path: '/owner/intents/{id}',
    summary: 'One intent and its offers side by side (cheapest first per currency)',
    responses: {
      ...ok('The intent and its offers', z.object({ intent: Anything, offers: z.array(Anything) })),
      ...NOT_FOUND,
    },
  }),
  guarded({
    method: 'post',
    path: '/owner/intents/{id}/close',
    summary: 'Close an intent without accepting; its open offers are declined (vendors are told)',
    responses: { '204': { description: 'Closed' }, ...NOT_FOUND, ...CLOSED },
  }),
  guarded({
    method: 'post',
    path: '/owner/intents/{id}/offers/{offer}/accept',
    summary:
      'Accept an offer: the intent is fulfilled, the other offers declined, each vendor told by a signal',
    description:
      'Opens, in the same step, a conversation thread with the vendor about the order (`threadId`; its first message names the offer as its order number; the vendor reads and writes there once a grant of its allows `converse`). Answers what is left to consent to: the vendor asks for exactly `disclose` on the normal consent page (its intent-offer-accepted signal tells it).',
    responses: { ...ok('What was accepted', Accepted), ...NOT_FOUND, ...CLOSED },
  }),
  guarded({
    method: 'post',
    path: '/owner/intents/{id}/offers/{offer}/decline',
    summary: 'Decline one offer (the vendor is told); the intent stays open',
    responses: { '204': { description: 'Declined' }, ...NOT_FOUND, ...CLOSED },
  }),
]
