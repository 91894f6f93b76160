import { Hono } from 'hono'
import { z } from 'zod'
import { MessageInput, ThreadInput } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { messageJson, threadJson, threadSummaryJson } from '../conversations/thread-json.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { jsonBody, queryParams } from './owner-input.js'

export const ConversationQuery = z
  .object({ vendor_id: z.string().min(1).max(64).optional() })
  .strict()

/** The owner's close: a last word, if she wants one. */
export const CloseInput = z
  .object({
    text: z
      .string()
      .max(64 * 1024)
      .optional(),
  })
  .strict()

/**
 * `/owner/conversations` (issue 13): her threads with unread counts and whose turn it is; a
 * thread with every message and what its signatures say (reading marks it read); opening one,
 * replying, closing; and the thread as a signed bundle she can verify offline.
 */
export function conversationRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const q = queryParams(c, ConversationQuery)
    const threads = await actions.conversations.list(
      q.vendor_id !== undefined ? { vendorId: q.vendor_id } : {},
    )
    return c.json({
      items: threads.map(threadSummaryJson),
      unread: threads.reduce((n, t) => n + t.unread, 0),
    })
  })

  routes.post('/', async (c) => {
    const thread = await actions.conversations.open(await jsonBody(c, ThreadInput))
    return c.json(threadJson(thread), 201)
  })

  routes.get('/:id', async (c) => {
    const thread = await actions.conversations.read(c.req.param('id'))
    return c.json({ ...threadJson(thread), verification: thread.verification })
  })

  routes.get('/:id/export', async (c) => {
    const bundle = await actions.conversations.export(c.req.param('id'))
    return c.json(bundle, 200, {
      'content-disposition': `attachment; filename="custos-thread-${bundle.thread_id}.json"`,
    })
  })

  routes.post('/:id/messages', async (c) => {
    const message = await actions.conversations.reply(
      c.req.param('id'),
      await jsonBody(c, MessageInput),
    )
    return c.json(messageJson(message), 201)
  })

  routes.post('/:id/close', async (c) => {
    const body = await jsonBody(c, CloseInput)
    const message = await actions.conversations.close(c.req.param('id'), {
      status: 'resolved',
      ...(body.text ? { text: body.text } : {}),
    })
    return c.json(messageJson(message), 201)
  })

  return routes
}
