import { z } from 'zod'
import type { RouteDoc } from '../openapi/openapi-document.js'
import { DraftEdits } from './draft-actions.js'
import { Anything, INVALID, NOT_FOUND, guarded, json, ok } from './owner-doc-kit.js'

/** The drafts the owner's assistants proposed (owner/draft-routes.ts), for the OpenAPI document. */
export const ownerDraftRouteDocs: readonly RouteDoc[] = [
  guarded({
    method: 'get',
    path: '/owner/drafts',
    summary:
      'What your assistants proposed and nothing has sent: intents and messages, oldest first',
    responses: ok('The drafts', z.object({ items: z.array(Anything) })),
  }),
  guarded({
    method: 'post',
    path: '/owner/drafts/{id}/send',
    summary:
      'Send a draft as you would have written it: the intent is published, the message posted (edits in the body are applied first)',
    description:
      'An empty body sends the draft as proposed. An intent goes to every vendor allowed to see intents (`audience`) and discloses nothing on acceptance (`disclose`) unless you say otherwise; a new thread needs `vendorId` (the assistant only names whom it means, `vendor_hint`). The draft is forgotten once sent.',
    body: json(DraftEdits),
    responses: {
      '201': { description: 'What was sent: the intent, or the message (and its new thread)' },
      ...INVALID,
      ...NOT_FOUND,
      '409': { description: 'Too many intents open (ERR_INTENT_LIMIT) or the thread is closed' },
    },
  }),
  guarded({
    method: 'delete',
    path: '/owner/drafts/{id}',
    summary: 'Discard a draft; nothing is sent',
    responses: { '204': { description: 'Discarded' }, ...NOT_FOUND },
  }),
]
