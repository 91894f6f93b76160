import { Hono } from 'hono'
import { html } from 'hono/html'
import { type Purchase, ValidationError, VaultError } from '@custos/vault'
import type { OwnerPageKit } from '@custos/consent-api'
import { type Html, csrfField, fixedMessage, notice, page } from './layout.js'
import { localTime } from './local-time.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { formatAmount } from './spending-chart.js'

/**
 * `/inbox` (issue 4 page 7): purchase receipts vendors wrote through an `append` grant wait here,
 * invisible to every grant, until the owner accepts (they join the history, linked to the
 * vendor) or rejects (they are deleted). Each decision is audited by the vault.
 */
const PAGE_SIZE = 50
const ID = /^[A-Za-z0-9_-]{1,64}$/

const DONE: Record<string, string> = {
  accepted: 'Receipt accepted: it is now in your purchases.',
  rejected: 'Receipt rejected and deleted.',
}
const ERRORS: Record<string, string> = { ERR_NOT_FOUND: 'That receipt was already decided.' }

function receipt(p: Purchase, vendorName: string, csrfToken: string, zone: string): Html {
  const label = `${p.seller}, ${p.orderDate.slice(0, 10)}`
  return html`<article class="card receipt" aria-label="Receipt from ${vendorName}: ${label}"><h2>${p.seller} <span class="muted">· ${formatAmount(p.total, p.currency)}</span></h2>
<p class="muted">Sent by ${vendorName} on ${localTime(p.createdAt, zone)} · ordered ${p.orderDate.slice(0, 10)}${p.orderNumber ? ` · order #${p.orderNumber}` : ''}${p.category ? ` · ${p.category}` : ''}</p>
${p.items.length > 0 ? html`<ul>${p.items.map((it) => html`<li>${it.quantity} × ${it.name}${it.price !== undefined ? ` (${formatAmount(it.price, p.currency)})` : ''}</li>`)}</ul>` : ''}
${p.notes ? html`<p>${p.notes}</p>` : ''}
<form method="post" action="/inbox/${p.id}/accept" class="inline">${csrfField(csrfToken)}<button type="submit" aria-label="Accept receipt ${label}">Accept</button></form>
<form method="post" action="/inbox/${p.id}/reject" class="inline">${csrfField(csrfToken)}<button type="submit" class="secondary" aria-label="Reject receipt ${label}">Reject</button></form></article>`
}

export function inboxPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.use('*', ownerGate(kit))

  routes.get('/', async (c) => {
    const csrfToken = c.var.session.csrfToken
    const cursor = c.req.query('cursor')
    let listed: { items: Purchase[]; nextCursor?: string }
    let error = fixedMessage(ERRORS, c.req.query('error'))
    try {
      listed = await kit.actions.read.inbox.list({
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      })
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      error = 'That page link is no longer valid; showing the first page.'
      listed = await kit.actions.read.inbox.list({ limit: PAGE_SIZE })
    }
    const vendors = new Map((await kit.actions.read.vendors.list()).map((v) => [v.id, v.name]))
    // Offers on the owner's intents wait beside the receipts: the Intents page compares them.
    const offers = (await kit.actions.read.intents.list())
      .filter((i) => i.state === 'open' || i.state === 'expired')
      .reduce((n, i) => n + i.openOffers, 0)
    return page(
      c,
      200,
      'Inbox',
      html`<h1>Inbox</h1>${notice('ok', fixedMessage(DONE, c.req.query('done')))}${notice('error', error)}
<p class="muted">Receipts vendors sent you. No vendor can see them until you accept one into your purchases.</p>
${offers > 0 ? html`<p class="card offers-waiting"><a href="/intents">${offers === 1 ? '1 offer waits' : `${offers} offers wait`} on your intents</a>: compare them side by side and accept one.</p>` : ''}
${listed.items.length === 0 ? html`<p class="empty">Your inbox is empty.</p>` : listed.items.map((p) => receipt(p, vendors.get(p.vendorId ?? '') ?? 'an unknown vendor', csrfToken, c.var.timeZone))}
<nav class="pager" aria-label="Pages">${cursor ? html`<a href="/inbox">First page</a>` : ''}${listed.nextCursor !== undefined ? html` <a href="/inbox?cursor=${encodeURIComponent(listed.nextCursor)}" rel="next">Next page</a>` : ''}</nav>`,
      { csrfToken, current: '/inbox' },
    )
  })

  for (const decision of ['accept', 'reject'] as const) {
    routes.post(`/:id/${decision}`, async (c) => {
      const id = c.req.param('id')
      try {
        if (!ID.test(id)) return c.redirect('/inbox?error=ERR_NOT_FOUND', 303)
        await (decision === 'accept' ? kit.actions.inbox.accept(id) : kit.actions.inbox.reject(id))
      } catch (err) {
        if (err instanceof VaultError && err.code === 'ERR_NOT_FOUND')
          return c.redirect('/inbox?error=ERR_NOT_FOUND', 303)
        throw err
      }
      return c.redirect(`/inbox?done=${decision === 'accept' ? 'accepted' : 'rejected'}`, 303)
    })
  }

  return routes
}
