import { Hono } from 'hono'
import { html } from 'hono/html'
import type { OwnerPageKit } from '@custos/consent-api'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { notice, page } from './layout.js'
import { readText } from './access-log.js'
import { localTime } from './local-time.js'

const PAGE = 500
const atMost = (n: number, more: boolean) => (more ? `${n}+` : String(n))

/**
 * The home page: a glance at the vault — how much is in it, who is connected, what waits in the
 * inbox, which vendors read what lately — each linking to the page that handles it.
 */
export function homePages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()

  routes.get('/', ownerGate(kit), async (c) => {
    const { read } = kit.actions
    const [fields, purchases, grants, inbox, vendors, reads] = await Promise.all([
      read.fields.list(),
      read.purchases.list({ limit: PAGE }),
      read.grants.list({ status: 'active' }),
      read.inbox.list({ limit: 100 }),
      read.vendors.list(),
      read.audit.list({ action: 'grant.read', limit: 5 }),
    ])
    const names = new Map(vendors.map((v) => [v.id, v.name]))
    const connected = new Set(grants.map((g) => g.vendorId)).size
    const token = c.var.session.csrfToken
    const card = (href: string, count: string, label: string, note: string) =>
      html`<div class="card"><p class="count"><a href="${href}"><strong>${count}</strong> ${label}</a></p><p class="muted">${note}</p></div>`
    return page(
      c,
      200,
      'Home',
      html`<h1>Your vault</h1>${c.req.query('restored') === '1' ? notice('ok', 'Your backup is restored: this is the vault it holds, with its passphrase.') : ''}
<div class="cards">
${card('/profile', String(fields.length), fields.length === 1 ? 'profile field' : 'profile fields', 'Your details and preferences.')}
${card('/purchases', atMost(purchases.items.length, purchases.nextCursor !== undefined), purchases.items.length === 1 && !purchases.nextCursor ? 'purchase' : 'purchases', 'Your purchase history.')}
${card('/connections', String(connected), connected === 1 ? 'connected vendor' : 'connected vendors', `${grants.length} active ${grants.length === 1 ? 'grant' : 'grants'}.`)}
${card('/inbox', atMost(inbox.items.length, inbox.nextCursor !== undefined), 'waiting in the inbox', 'Receipts vendors wrote, for you to accept or reject.')}
</div>
<h2>Latest vendor reads</h2>
${
  reads.length === 0
    ? html`<p>No vendor has read anything yet.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col">When</th><th scope="col">Vendor</th><th scope="col">What it read</th></tr></thead><tbody>${reads.map(
        (r) =>
          html`<tr><td>${localTime(r.at, c.var.timeZone)}</td><td>${(r.vendorId && names.get(r.vendorId)) ?? r.vendorId ?? '—'}</td><td>${readText(r) || 'nothing'}</td></tr>`,
      )}</tbody></table></div>`
}
<p><a href="/log">Access log</a> — every vendor read and grant change, with a check that the log was not altered.</p>`,
      { csrfToken: token },
    )
  })

  return routes
}
