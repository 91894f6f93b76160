import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { sealedResponse } from '../problem.js'
import { type Agreement, agreementOf } from './roster.js'
import { type TermsPolicy, profferForIds } from './terms-policy.js'

/**
 * `GET /.well-known/myterms`: what the owner proffers, so a vendor knows what to answer before it
 * pushes its request. Shaped like the tinyMyTerms discovery document (`effective_date`,
 * `agreements[{id,url}]`, `tos_url`), plus the owner's order of preference, whether she requires
 * an agreement, and how to answer. With `?client_id=` the agreement proffered to that vendor
 * (her first choice it accepts) is named.
 */
export function discoveryDocument(
  app: AppContext,
  policy: TermsPolicy,
  effective: Date | undefined,
  accepted: readonly string[] | undefined,
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
      ? { proffered_to_you: profferForIds(policy, accepted) ?? null }
      : {}),
    answer: {
      endpoint: `${app.config.issuer}/oauth/par`,
      where: 'authorization_details[0].myterms (custos_fields)',
      answers: ['accept', 'counter', 'decline'],
    },
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
    const body = discoveryDocument(
      app,
      await store.get(),
      await store.updatedAt(),
      client?.mytermsAccepted,
    )
    return c.json(body, 200, { 'cache-control': 'no-store' })
  })
  return routes
}
