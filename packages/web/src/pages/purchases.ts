import { type Context, Hono } from 'hono'
import { html } from 'hono/html'
import { z } from 'zod'
import {
  NotFoundError,
  type Purchase,
  type PurchaseFilter,
  ValidationError,
  VaultError,
} from '@custos/vault'
import type { OwnerPageKit } from '@custos/consent-api'
import { type Html, csrfField, fixedMessage, notice, page } from './layout.js'
import { localTime } from './local-time.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import {
  EMPTY_FORM,
  type FormBody,
  type FormErrors,
  formValuesFromBody,
  formValuesFromPurchase,
  orderFromForm,
  purchaseForm,
} from './purchase-form.js'
import { purchaseImportPages } from './purchase-import-page.js'
import { MONTHS_SHOWN, SCAN_LIMIT, SELLERS_SHOWN, spendingTotals } from './purchases-spending.js'
import { formatAmount, spendingFigure } from './spending-chart.js'

/**
 * `/purchases` (PRODUCT.md owner step 2; issue 4 page 4): the purchase history as a table,
 * filtered (seller, dates, category) and paginated with the vault's keyset cursor; add, edit and
 * delete through plain forms; import (purchase-import-page.ts); spending charts on
 * `/purchases/spending` — a separate page, because totals need every matching purchase
 * decrypted, which the table does not.
 */
const DAY = /^\d{4}-\d{2}-\d{2}$/
const Day = z
  .string()
  .regex(DAY)
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)))
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

/** The list's query: every part optional; an empty input means "no filter". */
export const PurchaseQuery = z.object({
  seller: z.preprocess(blankToUndefined, z.string().trim().min(1).max(200).optional()),
  category: z.preprocess(blankToUndefined, z.string().trim().min(1).max(80).optional()),
  from: z.preprocess(blankToUndefined, Day.optional()),
  to: z.preprocess(blankToUndefined, Day.optional()),
  cursor: z.preprocess(blankToUndefined, z.string().max(200).optional()),
  limit: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(200).optional()),
})
type PurchaseQuery = z.output<typeof PurchaseQuery>

const PAGE_SIZE = 50

/** The vault filter of a query; `to` is inclusive for the owner, the vault's `until` exclusive. */
export function vaultFilter(q: PurchaseQuery): Omit<PurchaseFilter, 'cursor' | 'limit'> {
  const nextDay = (d: string) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  return {
    // Part of a name finds every seller containing it ("Amazon" → "Amazon.co.uk"): the vault looks
    // among its decrypted sellers, then lists each match through its blind index.
    ...(q.seller !== undefined ? { sellerContains: q.seller } : {}),
    ...(q.category !== undefined ? { categories: [q.category] } : {}),
    ...(q.from !== undefined ? { since: q.from } : {}),
    ...(q.to !== undefined ? { until: nextDay(q.to) } : {}),
  }
}

/** The filter part of a query as a query string (for links that keep the filters). */
function filterSearch(q: PurchaseQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams()
  for (const key of ['seller', 'category', 'from', 'to'] as const)
    if (q[key] !== undefined) params.set(key, q[key] as string)
  if (q.limit !== undefined) params.set('limit', String(q.limit))
  for (const [k, v] of Object.entries(extra)) params.set(k, v)
  const s = params.toString()
  return s ? `?${s}` : ''
}

function parseQuery(raw: Record<string, string>): { q: PurchaseQuery; error?: string } {
  const parsed = PurchaseQuery.safeParse(raw)
  if (parsed.success) return { q: parsed.data }
  return {
    q: {},
    error: 'Some filters were not understood (dates are YYYY-MM-DD); showing all purchases.',
  }
}

function filterForm(q: PurchaseQuery, action: string): Html {
  return html`<form method="get" action="${action}" class="filters" role="search" aria-label="Filter purchases"><div class="row">
<div><label for="f-seller">Seller</label><input type="search" id="f-seller" name="seller" value="${q.seller ?? ''}" aria-describedby="f-seller-hint"><p class="muted hint" id="f-seller-hint">All or part of the name: “amazon” finds Amazon.co.uk. Capitals and accents do not matter.</p></div>
<div><label for="f-category">Category</label><input type="search" id="f-category" name="category" value="${q.category ?? ''}"></div>
<div><label for="f-from">From</label><input type="date" id="f-from" name="from" value="${q.from ?? ''}"></div>
<div><label for="f-to">To</label><input type="date" id="f-to" name="to" value="${q.to ?? ''}"></div>
</div>${q.limit !== undefined ? html`<input type="hidden" name="limit" value="${q.limit}">` : ''}<p><button type="submit">Filter</button> <a href="${action}">Clear filters</a></p></form>`
}

const DONE: Record<string, string> = {
  added: 'Purchase added.',
  saved: 'Purchase saved.',
  deleted: 'Purchase deleted.',
  linked: 'Purchases from that seller now count as made with the vendor.',
  unlinked: 'Purchases from that seller no longer count as made with the vendor.',
}

function purchaseRow(p: Purchase, csrfToken: string): Html {
  return html`<tr><td>${p.orderDate.slice(0, 10)}</td><td>${p.seller}${p.orderNumber ? html`<div class="muted">#${p.orderNumber}</div>` : ''}${p.importSource ? html`<div class="muted import-source">Imported from ${p.importSource}</div>` : ''}</td><td>${p.category ?? ''}</td><td class="num">${formatAmount(p.total, p.currency)}</td><td>${
    p.items.length === 0
      ? html`<span class="muted">—</span>`
      : p.items.map((it) => html`<div>${it.quantity} × ${it.name}</div>`)
  }</td><td class="actions"><a href="/purchases/${p.id}/edit" aria-label="Edit purchase from ${p.seller} on ${p.orderDate.slice(0, 10)}">Edit</a>
<form method="post" action="/purchases/${p.id}/delete" class="inline">${csrfField(csrfToken)}<button type="submit" class="secondary" data-confirm="Delete this purchase?" aria-label="Delete purchase from ${p.seller} on ${p.orderDate.slice(0, 10)}">Delete</button></form></td></tr>`
}

/** The submitted form; a malformed body reads as an empty form, refused field by field (SECURITY.md 22). */
const formBody = (c: Parameters<typeof page>[0]): Promise<FormBody> =>
  c.req.parseBody({ all: true }).then(
    (b) => b as FormBody,
    () => ({}),
  )

export function purchasePages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  // Imports first: their route sets its own body limit before the gate reads the form.
  routes.route('/import', purchaseImportPages(kit))
  routes.use('*', ownerGate(kit))

  routes.get('/', async (c) => {
    const csrfToken = c.var.session.csrfToken
    const { q, error } = parseQuery(c.req.query())
    let listed: { items: Purchase[]; nextCursor?: string } = { items: [] }
    let listError = error
    try {
      listed = await kit.actions.read.purchases.list({
        ...vaultFilter(q),
        limit: q.limit ?? PAGE_SIZE,
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      })
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      listError = 'That page link is no longer valid; showing the first page.'
      listed = await kit.actions.read.purchases.list({
        ...vaultFilter(q),
        limit: q.limit ?? PAGE_SIZE,
      })
    }
    const done = fixedMessage(DONE, c.req.query('done'))
    const imported = Number(c.req.query('imported'))
    const filtered =
      q.seller !== undefined ||
      q.category !== undefined ||
      q.from !== undefined ||
      q.to !== undefined
    return page(
      c,
      200,
      'Purchases',
      html`<h1>Purchases</h1>
${notice('ok', done ?? (Number.isInteger(imported) && imported > 0 ? `Imported ${imported} purchase${imported === 1 ? '' : 's'}.` : undefined))}${notice('error', listError)}
<p class="actions-bar"><a class="button" href="/purchases/new">Add purchase</a> <a class="button secondary" href="/purchases/import">Import from a file</a> <a class="button secondary" href="/purchases/spending${filterSearch(q)}">Spending charts</a></p>
${filterForm(q, '/purchases')}
${
  listed.items.length === 0
    ? html`<p class="empty">${filtered ? 'No purchases match these filters.' : 'No purchases yet. Add one or import a file.'}</p>`
    : html`<div class="table-wrap"><table class="purchases"><caption class="visually-hidden">Purchases, newest first</caption><thead><tr><th scope="col">Date</th><th scope="col">Seller</th><th scope="col">Category</th><th scope="col">Total</th><th scope="col">Items</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${listed.items.map((p) => purchaseRow(p, csrfToken))}</tbody></table></div>`
}
<nav class="pager" aria-label="Pages">${q.cursor !== undefined ? html`<a href="/purchases${filterSearch(q)}">First page</a>` : ''}${
        listed.nextCursor !== undefined
          ? html` <a href="/purchases${filterSearch(q, { cursor: listed.nextCursor })}" rel="next">Next page</a>`
          : ''
      }</nav>`,
      { csrfToken, current: '/purchases' },
    )
  })

  routes.get('/spending', async (c) => {
    const { q, error } = parseQuery(c.req.query())
    const totals = await spendingTotals(kit.actions.read, vaultFilter(q))
    const charts = totals.currencies.map(
      (
        t,
        i,
      ) => html`<section aria-labelledby="cur-${i}"><h2 id="cur-${i}">${t.currency}: ${formatAmount(t.total, t.currency)} over ${t.count} purchase${t.count === 1 ? '' : 's'}</h2>
${spendingFigure({ id: `month-${i}`, title: `Spending by month (${t.currency})`, description: `Total spent in ${t.currency} per month, oldest first, up to the newest ${MONTHS_SHOWN} months with purchases.`, currency: t.currency, bars: t.byMonth }, 'Month')}
${spendingFigure({ id: `seller-${i}`, title: `Spending by seller (${t.currency})`, description: `Total spent in ${t.currency} per seller, largest first; beyond ${SELLERS_SHOWN} sellers the rest are summed.`, currency: t.currency, bars: t.bySeller }, 'Seller')}</section>`,
    )
    return page(
      c,
      200,
      'Spending',
      html`<h1>Spending</h1>${notice('error', error)}
<p class="muted">One chart per currency: amounts in different currencies are never added together.${totals.currencies.length > 1 ? ` Your purchases use ${totals.currencies.length} currencies; the one you use most comes first.` : ''}</p>
${totals.truncated ? html`<p class="notice error" role="status">These charts cover only your newest ${SCAN_LIMIT.toLocaleString('en')} matching purchases. Narrow the dates to see older ones.</p>` : ''}
${filterForm(q, '/purchases/spending')}
${charts.length === 0 ? html`<p class="empty">No purchases to chart.</p>` : charts}
<p><a href="/purchases${filterSearch(q)}">Back to purchases</a></p>`,
      { csrfToken: c.var.session.csrfToken, current: '/purchases' },
    )
  })

  const formPage = (
    c: Parameters<typeof page>[0],
    status: 200 | 400,
    title: string,
    form: Html,
    csrfToken: string,
  ) => page(c, status, title, html`<h1>${title}</h1>${form}`, { csrfToken, current: '/purchases' })

  routes.get('/new', (c) => {
    const csrfToken = c.var.session.csrfToken
    return formPage(
      c,
      200,
      'Add purchase',
      purchaseForm({
        action: '/purchases/new',
        submit: 'Add purchase',
        values: EMPTY_FORM,
        errors: new Map(),
        csrfToken,
      }),
      csrfToken,
    )
  })

  routes.post('/new', async (c) => {
    const csrfToken = c.var.session.csrfToken
    const values = formValuesFromBody(await formBody(c))
    const result = orderFromForm(values)
    if (!result.ok)
      return formPage(
        c,
        400,
        'Add purchase',
        purchaseForm({
          action: '/purchases/new',
          submit: 'Add purchase',
          values,
          errors: result.errors,
          csrfToken,
        }),
        csrfToken,
      )
    await kit.actions.purchases.add(result.order)
    return c.redirect('/purchases?done=added', 303)
  })

  const load = async (id: string): Promise<Purchase | undefined> => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined
    try {
      const p = await kit.actions.read.purchases.get(id)
      // Pending receipts belong to the inbox, not to the history's editor.
      return p.status === 'accepted' ? p : undefined
    } catch (err) {
      if (err instanceof NotFoundError) return undefined
      throw err
    }
  }
  const missing = (c: Parameters<typeof page>[0], csrfToken: string) =>
    page(
      c,
      404,
      'No such purchase',
      html`<h1>No such purchase</h1><p>It may have been deleted. <a href="/purchases">Back to purchases</a></p>`,
      { csrfToken, current: '/purchases' },
    )

  routes.get('/:id/edit', async (c) => {
    const csrfToken = c.var.session.csrfToken
    const p = await load(c.req.param('id'))
    if (!p) return missing(c, csrfToken)
    return editPage(c, p, formValuesFromPurchase(p), new Map(), 200, csrfToken)
  })

  routes.post('/:id/edit', async (c) => {
    const csrfToken = c.var.session.csrfToken
    const p = await load(c.req.param('id'))
    if (!p) return missing(c, csrfToken)
    const values = formValuesFromBody(await formBody(c))
    const result = orderFromForm(values, p.orderDate)
    if (!result.ok) return editPage(c, p, values, result.errors, 400, csrfToken)
    await kit.actions.purchases.update(p.id, result.order)
    return c.redirect('/purchases?done=saved', 303)
  })

  // Links (or unlinks) every purchase from this purchase's seller to a vendor (vault purchases.linkSeller).
  routes.post('/:id/vendor', async (c) => {
    const p = await load(c.req.param('id'))
    if (!p || p.provenance === 'vendor') return missing(c, c.var.session.csrfToken)
    const chosen = (await formBody(c)).vendor
    const vendorId = typeof chosen === 'string' ? chosen.trim() : ''
    if (vendorId === '') {
      await kit.actions.purchases.linkSeller(p.seller, null, p.vendorId)
      return c.redirect('/purchases?done=unlinked', 303)
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(vendorId)) return missing(c, c.var.session.csrfToken)
    try {
      await kit.actions.purchases.linkSeller(p.seller, vendorId)
    } catch (err) {
      if (err instanceof NotFoundError) return missing(c, c.var.session.csrfToken)
      throw err
    }
    return c.redirect('/purchases?done=linked', 303)
  })

  routes.post('/:id/delete', async (c) => {
    const p = await load(c.req.param('id'))
    if (!p) return missing(c, c.var.session.csrfToken)
    try {
      await kit.actions.purchases.delete(p.id)
    } catch (err) {
      if (!(err instanceof VaultError && err.code === 'ERR_NOT_FOUND')) throw err
    }
    return c.redirect('/purchases?done=deleted', 303)
  })

  /** Whether purchases from this seller count as made with a vendor, and the form to change it. */
  async function vendorLink(p: Purchase, csrfToken: string): Promise<Html | ''> {
    if (p.provenance === 'vendor') return ''
    const vendors = await kit.actions.read.vendors.list()
    const linked = vendors.find((v) => v.id === p.vendorId)
    if (linked)
      return html`<section aria-labelledby="vendor-link"><h2 id="vendor-link">Made with a vendor</h2><p>Purchases from ${p.seller} count as made with ${linked.name}: its grants for “purchases you made with” it include them.</p>
<form method="post" action="/purchases/${p.id}/vendor">${csrfField(csrfToken)}<input type="hidden" name="vendor" value=""><button type="submit" class="secondary">Unlink ${p.seller} from ${linked.name}</button></form></section>`
    if (vendors.length === 0) return ''
    return html`<section aria-labelledby="vendor-link"><h2 id="vendor-link">Made with a vendor</h2>
<form method="post" action="/purchases/${p.id}/vendor">${csrfField(csrfToken)}<label for="link-vendor">Purchases from ${p.seller} were made with</label><select id="link-vendor" name="vendor">${vendors.map((v) => html`<option value="${v.id}">${v.name}</option>`)}</select>
<p class="muted">A vendor's grants for “purchases you made with” it then include every purchase from this seller.</p><p><button type="submit" class="secondary">Link</button></p></form></section>`
  }

  async function editPage(
    c: Context<PageEnv>,
    p: Purchase,
    values: ReturnType<typeof formValuesFromPurchase>,
    errors: FormErrors,
    status: 200 | 400,
    csrfToken: string,
  ) {
    const provenance = {
      owner: 'typed in by you',
      import: p.importSource ? `imported from ${p.importSource}` : 'imported from a file',
      vendor: 'sent by a vendor and accepted by you',
    }[p.provenance]
    const link = await vendorLink(p, csrfToken)
    return page(
      c,
      status,
      'Edit purchase',
      html`<h1>Edit purchase</h1><p class="muted">Added ${localTime(p.createdAt, c.var.timeZone)}, ${provenance}.</p>
${purchaseForm({ action: `/purchases/${p.id}/edit`, submit: 'Save', values, errors, csrfToken })}
<form method="post" action="/purchases/${p.id}/delete">${csrfField(csrfToken)}<button type="submit" class="danger" data-confirm="Delete this purchase?">Delete</button></form>${link}`,
      { csrfToken, current: '/purchases' },
    )
  }

  return routes
}
