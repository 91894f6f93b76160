import { z } from 'zod'
import { MessageInput, ThreadInput, ThreadStatus, ThreadTopic } from '@custos/vault'
import type { RouteDoc } from '../openapi/openapi-document.js'
import { Anything, INVALID, NOT_FOUND, guarded, json, ok } from '../owner/owner-doc-kit.js'
import { CloseInput, ConversationQuery } from '../owner/conversation-routes.js'
import { VendorMessageBody, VendorStatusBody, VendorThreadBody } from '../resource/conversations.js'
import { ThreadBundle } from './thread-bundle.js'

/** A thread in a list (thread-json.ts). */
const ThreadSummaryJson = z.object({
  id: z.string(),
  vendor_id: z.string(),
  opened_by: z.enum(['owner', 'vendor']),
  topic: ThreadTopic,
  subject: z.string(),
  purchase_id: z.string().optional(),
  grant_id: z.string().optional(),
  state: z.enum(['open', 'closed']),
  status: ThreadStatus,
  status_since: z
    .string()
    .describe('When the status last changed ("waiting for the vendor since")'),
  created_at: z.string(),
  last_at: z.string(),
  messages: z.number().int(),
  unread: z.number().int(),
})

const MessageJson = z.object({
  id: z.string(),
  seq: z.number().int(),
  author: z.enum(['owner', 'vendor']),
  at: z.string(),
  text: z.string(),
  order_number: z.string().optional(),
  requested_action: z.string().optional(),
  status: ThreadStatus.optional(),
  closes: z.boolean(),
  client_id: z.string().optional().describe('The authenticated client that posted it'),
  hash: z.string().describe('SHA-256 of the signed entry, hex'),
  prev_hash: z.string(),
  jws: z
    .string()
    .describe('The vault’s compact JWS (EdDSA, typ custos-message+jws) whose payload is the entry'),
  vendor_jws: z.string().optional().describe('The vendor’s own signature of its message'),
})

const ThreadJson = ThreadSummaryJson.extend({ items: z.array(MessageJson) })

const BEARER = {
  '401': { description: 'invalid_token (revoked or expired grant) or no credentials' },
  '403': { description: 'insufficient_scope: the grant does not include converse' },
  '503': { description: 'The vault is sealed' },
} as const

const VENDOR_NOTE =
  'Needs a grant with the `converse` action (scope `converse`); only the threads of the calling vendor. Bearer or DPoP exactly as every /v1 route.'

const SIGNED_NOTE =
  'Either the message itself, or `{ "jws": … }`: a compact JWS (typ custos-vendor-message+jws) signed with a key the client registered (jwks / jwks_uri), whose payload holds `aud` (this issuer), `thread_id` (when posting to a thread) and the message fields. It is verified against the registered keys and kept with the message; either way the vault countersigns the message with the authenticated client recorded.'

/** The conversation routes (issue 13) for the OpenAPI document. */
export const conversationRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/conversations',
    tag: 'Vendor resources',
    summary: 'This vendor’s conversation threads with the owner, newest activity first',
    description: VENDOR_NOTE,
    auth: 'bearer',
    responses: {
      '200': {
        description: 'The threads',
        schema: z.object({ items: z.array(ThreadSummaryJson) }),
      },
      ...BEARER,
    },
  },
  {
    method: 'post',
    path: '/v1/conversations',
    tag: 'Vendor resources',
    summary: 'Open a thread with the owner',
    description: `${VENDOR_NOTE} ${SIGNED_NOTE}`,
    auth: 'bearer',
    body: { type: 'application/json', schema: VendorThreadBody },
    responses: {
      '201': { description: 'The thread', schema: ThreadJson },
      ...BEARER,
      '400': { description: 'Invalid input, or a signature that does not verify' },
      '413': { description: 'The message is too long (ERR_MESSAGE_TOO_LARGE)' },
      '415': { description: 'The body must be application/json' },
      '429': { description: 'Too many open threads opened by this vendor (ERR_THREAD_LIMIT)' },
    },
  },
  {
    method: 'get',
    path: '/v1/conversations/{id}',
    tag: 'Vendor resources',
    summary: 'One thread with every message and its signatures',
    description: VENDOR_NOTE,
    auth: 'bearer',
    responses: {
      '200': { description: 'The thread', schema: ThreadJson },
      ...BEARER,
      '404': { description: 'No such thread of this vendor' },
    },
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/messages',
    tag: 'Vendor resources',
    summary: 'Write in a thread',
    description: `${VENDOR_NOTE} ${SIGNED_NOTE}`,
    auth: 'bearer',
    body: { type: 'application/json', schema: VendorMessageBody },
    responses: {
      '201': { description: 'The message as kept', schema: MessageJson },
      ...BEARER,
      '400': { description: 'Invalid input, or a signature that does not verify' },
      '404': { description: 'No such thread of this vendor' },
      '409': { description: 'The thread is closed (ERR_THREAD_CLOSED)' },
      '413': { description: 'The message is too long (ERR_MESSAGE_TOO_LARGE)' },
      '415': { description: 'The body must be application/json' },
    },
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/status',
    tag: 'Vendor resources',
    summary: 'Change a thread’s status (kept as a message in the chain)',
    description: VENDOR_NOTE,
    auth: 'bearer',
    body: { type: 'application/json', schema: VendorStatusBody },
    responses: {
      '201': { description: 'The status message as kept', schema: MessageJson },
      ...BEARER,
      '400': { description: 'Invalid status' },
      '404': { description: 'No such thread of this vendor' },
      '409': { description: 'The thread is closed (ERR_THREAD_CLOSED)' },
      '415': { description: 'The body must be application/json' },
    },
  },
  guarded({
    method: 'get',
    path: '/owner/conversations',
    summary: 'Conversations with vendors: unread counts and whose turn it is',
    query: ConversationQuery,
    responses: {
      ...ok(
        'The threads and the total unread',
        z.object({ items: z.array(ThreadSummaryJson), unread: z.number().int() }),
      ),
      ...INVALID,
    },
  }),
  guarded({
    method: 'post',
    path: '/owner/conversations',
    summary: 'Open a thread with a vendor (the message is signed with the vault’s key)',
    body: json(ThreadInput),
    responses: {
      '201': { description: 'The thread', schema: ThreadJson },
      ...INVALID,
      ...NOT_FOUND,
      '413': { description: 'The message is too long' },
    },
  }),
  guarded({
    method: 'get',
    path: '/owner/conversations/{id}',
    summary: 'A thread with every message and what its signatures say; marks it read',
    responses: {
      ...ok('The thread', ThreadJson.extend({ verification: Anything })),
      ...NOT_FOUND,
    },
  }),
  guarded({
    method: 'get',
    path: '/owner/conversations/{id}/export',
    summary: 'The thread as a signed bundle (custos-thread v1) to verify offline',
    responses: { ...ok('The bundle', ThreadBundle), ...NOT_FOUND },
  }),
  guarded({
    method: 'post',
    path: '/owner/conversations/{id}/messages',
    summary: 'Reply in a thread (the vendor is signalled)',
    body: json(MessageInput),
    responses: {
      '201': { description: 'The message', schema: MessageJson },
      ...INVALID,
      ...NOT_FOUND,
      '409': { description: 'The thread is closed' },
      '413': { description: 'The message is too long' },
    },
  }),
  guarded({
    method: 'post',
    path: '/owner/conversations/{id}/close',
    summary: 'Close a thread (resolved); no one can write in it afterwards',
    body: json(CloseInput),
    responses: {
      '201': { description: 'The closing message', schema: MessageJson },
      ...INVALID,
      ...NOT_FOUND,
      '409': { description: 'Already closed' },
    },
  }),
]
