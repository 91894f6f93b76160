import { Hono } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, intParam, pathParam, queryParams } from './owner-input.js'

export const InboxQuery = z
  .object({ cursor: z.string().min(1).max(200).optional(), limit: intParam(1, 500).optional() })
  .strict()

/**
 * The inbox: receipts vendors appended through `append` grants wait here, pending and invisible
 * to every grant, until the owner accepts (they join the history) or rejects (they are deleted).
 */
export function inboxRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const q = queryParams(c, InboxQuery)
    const page = await actions.read.inbox.list({
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
    })
    return c.json({
      items: page.items,
      ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
    })
  })

  routes.post('/:id/accept', async (c) => {
    return c.json(await actions.inbox.accept(pathParam(c, 'id', RecordId)))
  })

  routes.post('/:id/reject', async (c) => {
    await actions.inbox.reject(pathParam(c, 'id', RecordId))
    return c.body(null, 204)
  })

  return routes
}
