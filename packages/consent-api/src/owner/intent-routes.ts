import { Hono } from 'hono'
import { IntentInput } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, jsonBody, pathParam } from './owner-input.js'

/**
 * The owner's intents (issue 13): publish one, list them, compare the offers on one side by side,
 * accept one (the rest are declined) or decline one, close one. Accepting opens a conversation
 * thread with the vendor about the order (`threadId`) and answers what is left to consent to —
 * the vendor and exactly the fields the intent said she would disclose — which the vendor then
 * asks for on the normal consent page (it hears of the acceptance by signal).
 */
export function intentRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => c.json({ items: await actions.read.intents.list() }))

  routes.post('/', async (c) =>
    c.json(await actions.intents.create(await jsonBody(c, IntentInput)), 201),
  )

  routes.get('/:id', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    const intent = await actions.read.intents.get(id)
    return c.json({ intent, offers: await actions.read.intents.offers(id) })
  })

  routes.post('/:id/close', async (c) => {
    await actions.intents.close(pathParam(c, 'id', RecordId))
    return c.body(null, 204)
  })

  routes.post('/:id/offers/:offer/accept', async (c) =>
    c.json(
      await actions.intents.accept(pathParam(c, 'id', RecordId), pathParam(c, 'offer', RecordId)),
    ),
  )

  routes.post('/:id/offers/:offer/decline', async (c) => {
    await actions.intents.decline(pathParam(c, 'id', RecordId), pathParam(c, 'offer', RecordId))
    return c.body(null, 204)
  })

  return routes
}
