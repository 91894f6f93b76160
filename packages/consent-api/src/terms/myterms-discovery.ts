import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { sealedResponse } from '../problem.js'
import type { RegisteredClient } from '../store/client-store.js'
import { type Agreement, agreementOf } from './roster.js'
import { type TermsPolicy, profferForIds } from './terms-policy.js'
import { VendorTermsError } from './vendor-terms-document.js'

/**
 * `GET /.well-known/myterms`: what the owner proffers, so a vendor knows what to answer before it
 * pushes its request. Shaped like the tinyMyTerms discovery document (`effective_date`,
 * `agreements[{id,url}]`, `tos_url`), plus the owner's order of preference, whether she requires
 * an agreement, and how to answer. With `?client_id=` the agreement proffered to that vendor
 * (her first choice it accepts) is named: null when it cannot be known (see acceptedOrNone).
 */
export function discoveryDocument(
  app: AppContext,
  policy: TermsPolicy,
  effective: Date | undefined,
  accepted: readonly string[] | null | undefined,
): Record<string, unknown> {
  const agreements = policy.proffered
    .map((id) => agreementOf(id))
    .filter((a): a is Agreement => a !== undefined)
    .map((a) => ({ id: a.id, url: a.url, title: a.title, content_hash: a.contentHash }))
  return {
    effective_date: (effective ?? new Date(0)).toUTCString(),
    agreements,
    preference: policy.proffered,
    require_agreement: policy.requireAgreement,
    allow_after_decline: policy.allowAfterDecline,
    tos_url: null,
    ...(accepted !== undefined
      ? { proffered_to_you: accepted === null ? null : (profferForIds(policy, accepted) ?? null) }
      : {}),
    answer: {
      endpoint: `${app.config.issuer}/oauth/par`,
      where: 'authorization_details[0].myterms (custos_fields)',
      answers: ['accept', 'counter', 'decline'],
    },
  }
}

/**
 * What `client` accepts, for `proffered_to_you` — read as its pushed request will read it (its own
 * MyTerms document refreshed when stale, so what is named here is what its answer is checked
 * against); null when her terms proffer nothing or the vendor's document cannot be read and no
 * copy is kept. The refresh is bounded per vendor (terms/vendor-terms-store.ts), so asking here
 * cannot make the vault call a vendor's server in a loop.
 */
async function acceptedOrNone(
  app: AppContext,
  policy: TermsPolicy,
  client: RegisteredClient,
): Promise<readonly string[] | null> {
  if (policy.proffered.length === 0) return client.mytermsAccepted
  try {
    return await app.stores.vendorTerms.acceptedBy(client)
  } catch (err) {
    if (err instanceof VendorTermsError) return null
    throw err
  }
}

/** The discovery route; sealed → 503 (the owner's terms are a MAC'd setting: the key reads them). */
export function mytermsDiscoveryRoutes(app: AppContext): Hono {
  const routes = new Hono()
  routes.get('/', async (c) => {
    if (!app.vault.isUnsealed()) return sealedResponse(c)
    const clientId = c.req.query('client_id')
    const client = clientId === undefined ? undefined : await app.stores.clients.load(clientId)
    const store = app.stores.termsPolicy
    const policy = await store.get()
    const body = discoveryDocument(
      app,
      policy,
      await store.updatedAt(),
      client === undefined ? undefined : await acceptedOrNone(app, policy, client),
    )
    return c.json(body, 200, { 'cache-control': 'no-store' })
  })
  return routes
}
