import { Hono } from 'hono'
import { z } from 'zod'
import {
  type MessageInput,
  RequestedAction,
  ThreadStatus,
  ThreadTopic,
  type VendorConversations,
} from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { messageOf, vaultSigner, verifyVendorJws } from '../conversations/message-signature.js'
import { messageJson, threadJson, threadSummaryJson } from '../conversations/thread-json.js'
import type { ResourceEnv } from './bearer.js'
import { vendorJson } from './json-body.js'

/** A vendor's message: its words, or its own compact JWS of them (then nothing else). */
export const VendorMessageBody = z.union([
  z
    .object({
      jws: z
        .string()
        .min(1)
        .max(32 * 1024),
    })
    .strict(),
  z
    .object({
      text: z
        .string()
        .max(64 * 1024)
        .optional(),
      order_number: z.string().max(64).optional(),
      requested_action: RequestedAction.optional(),
      status: ThreadStatus.optional(),
    })
    .strict(),
])

/** A thread a vendor opens: about what, and its first message (or its signed form). */
export const VendorThreadBody = z.union([
  z
    .object({
      jws: z
        .string()
        .min(1)
        .max(32 * 1024),
    })
    .strict(),
  z
    .object({
      topic: ThreadTopic,
      subject: z.string().max(200),
      purchase_id: z.string().max(64).optional(),
      text: z
        .string()
        .max(64 * 1024)
        .optional(),
      order_number: z.string().max(64).optional(),
      requested_action: RequestedAction.optional(),
    })
    .strict(),
])

export const VendorStatusBody = z.object({ status: ThreadStatus }).strict()

function messageInput(b: {
  text?: string | undefined
  order_number?: string | undefined
  requested_action?: RequestedAction | undefined
  status?: ThreadStatus | undefined
}): MessageInput {
  return {
    ...(b.text !== undefined ? { text: b.text } : {}),
    ...(b.order_number !== undefined ? { orderNumber: b.order_number } : {}),
    ...(b.requested_action !== undefined ? { requestedAction: b.requested_action } : {}),
    ...(b.status !== undefined ? { status: b.status } : {}),
  }
}

/**
 * `/v1/conversations` (issue 13): a vendor's threads with the owner — list, read, open, post,
 * change status — only its own, only while the grant its token carries includes `converse` (the
 * vault decides and logs each refusal; a revoked or expired grant is `invalid_token`, a grant
 * without `converse` `insufficient_scope`, another vendor's thread 404). Bearer and DPoP exactly
 * as every `/v1` route (bearer.ts). Each message is countersigned by the vault on receipt with
 * the authenticated client recorded; a client with registered keys may sign it itself (`jws`).
 */
export function conversationRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  const side = (c: {
    var: { access: { clientId: string; grantId: string } }
  }): VendorConversations =>
    app.vault.conversations.asVendor({
      vendorId: c.var.access.clientId,
      grantId: c.var.access.grantId,
    })

  routes.get('/', async (c) => {
    const threads = await side(c).list()
    return c.json({ items: threads.map(threadSummaryJson) }, 200, { 'cache-control': 'no-store' })
  })

  routes.get('/:id', async (c) => {
    const thread = await side(c).read(c.req.param('id'))
    return c.json(threadJson(thread), 200, { 'cache-control': 'no-store' })
  })

  routes.post('/', async (c) => {
    const parsed = await vendorJson(c, VendorThreadBody, 'message')
    if (parsed instanceof Response) return parsed
    const conversations = side(c)
    if ('jws' in parsed) {
      const signed = await verifyVendorJws(app, c.var.access.clientId, parsed.jws, undefined)
      const thread = await conversations.open(
        {
          topic: signed.topic as never,
          subject: signed.subject ?? '',
          ...(signed.purchase_id !== undefined ? { purchaseId: signed.purchase_id } : {}),
          message: messageOf(signed),
        },
        await vaultSigner(app),
        { vendorJws: parsed.jws },
      )
      return c.json(threadJson(thread), 201, { 'cache-control': 'no-store' })
    }
    const thread = await conversations.open(
      {
        topic: parsed.topic,
        subject: parsed.subject,
        ...(parsed.purchase_id !== undefined ? { purchaseId: parsed.purchase_id } : {}),
        message: messageInput(parsed),
      },
      await vaultSigner(app),
    )
    return c.json(threadJson(thread), 201, { 'cache-control': 'no-store' })
  })

  routes.post('/:id/messages', async (c) => {
    const threadId = c.req.param('id')
    const parsed = await vendorJson(c, VendorMessageBody, 'message')
    if (parsed instanceof Response) return parsed
    const conversations = side(c)
    if ('jws' in parsed) {
      const signed = await verifyVendorJws(app, c.var.access.clientId, parsed.jws, threadId)
      const message = await conversations.post(
        threadId,
        messageOf(signed),
        await vaultSigner(app),
        {
          vendorJws: parsed.jws,
        },
      )
      return c.json(messageJson(message), 201, { 'cache-control': 'no-store' })
    }
    const message = await conversations.post(threadId, messageInput(parsed), await vaultSigner(app))
    return c.json(messageJson(message), 201, { 'cache-control': 'no-store' })
  })

  routes.post('/:id/status', async (c) => {
    const threadId = c.req.param('id')
    const parsed = await vendorJson(c, VendorStatusBody, 'message')
    if (parsed instanceof Response) return parsed
    const message = await side(c).post(threadId, { status: parsed.status }, await vaultSigner(app))
    return c.json(messageJson(message), 201, { 'cache-control': 'no-store' })
  })

  return routes
}
