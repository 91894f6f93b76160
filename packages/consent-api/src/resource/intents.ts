import { Hono } from 'hono'
import { IntentNotFoundError } from '@custos/vault'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import type { ResourceEnv } from './bearer.js'
import { vendorJson } from './json-body.js'
import { OfferRequest, offerSignature } from './offer-signature.js'

/** An intent's id as a vendor knows it (intents/intent-pseudonym.ts in the vault), or an offer's. */
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)

const NO_STORE = { 'cache-control': 'no-store' }

/**
 * The owner's intents as a vendor sees them (issue 13), behind the same bearer/DPoP checks as
 * every `/v1` route (bearer.ts). The grant must include `intents`; the vault decides everything
 * else — which intents this vendor may see (each under an id only it gets), the limits on
 * offers, and that nothing changes once an intent closed — and logs it.
 *
 * - `GET /v1/intents` — the open intents it may see, with its own offers on each;
 * - `GET /v1/intents/{id}` — one of them;
 * - `POST /v1/intents/{id}/offers` — an offer, signed (resource/offer-signature.ts): 201;
 * - `DELETE /v1/intents/{id}/offers/{offer}` — withdraws its open offer while the intent is open.
 */
export function intentRoutes(app: AppContext): Hono<ResourceEnv> {
  const routes = new Hono<ResourceEnv>()
  const vendor = (access: { clientId: string; grantId: string }) =>
    app.vault.intents.asVendor({ vendorId: access.clientId, grantId: access.grantId })
  // A malformed id names nothing this vendor may see: the same 404 as one it may not see.
  const idOf = (value: string | undefined, what: 'Intent' | 'Offer') => {
    const parsed = Id.safeParse(value)
    if (!parsed.success) throw new IntentNotFoundError(what)
    return parsed.data
  }

  routes.get('/', async (c) => c.json({ items: await vendor(c.var.access).list() }, 200, NO_STORE))

  routes.get('/:id', async (c) =>
    c.json(await vendor(c.var.access).get(idOf(c.req.param('id'), 'Intent')), 200, NO_STORE),
  )

  routes.post('/:id/offers', async (c) => {
    const access = c.var.access
    const id = idOf(c.req.param('id'), 'Intent')
    // The action first: without `intents`, nothing about the body is looked at. The vault's
    // refusal policy decides (and logs a refusal); the offer itself is checked again, atomically.
    await app.vault.access.authorize(access.grantId, {
      vendorId: access.clientId,
      action: 'intents',
    })
    const intents = vendor(access)
    const request = await vendorJson(c, OfferRequest, 'offer')
    if (request instanceof Response) return request
    const client = await app.stores.clients.load(access.clientId)
    if (!client) throw new IntentNotFoundError('Intent')
    const signature = await offerSignature(app, client, id, request)
    const { signature: _s, ...offer } = request
    return c.json(await intents.offer(id, offer, signature), 201, NO_STORE)
  })

  routes.delete('/:id/offers/:offer', async (c) => {
    await vendor(c.var.access).withdraw(
      idOf(c.req.param('id'), 'Intent'),
      idOf(c.req.param('offer'), 'Offer'),
    )
    return c.body(null, 204)
  })

  return routes
}
