import { type Context, Hono } from 'hono'
import { html } from 'hono/html'
import {
  type Intent,
  type IntentInput,
  type Offer,
  ValidationError,
  VaultError,
  fieldLabel,
} from '@custos/vault'
import type { OwnerPageKit } from '@custos/consent-api'
import { type Problem, errorSummary } from './error-summary.js'
import { readForm } from './form-values.js'
import { type Html, csrfField, fixedMessage, notice, page } from './layout.js'
import { localTime } from './local-time.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { formatAmount } from './spending-chart.js'
import { DRAFT_DONE, DRAFT_ERRORS, draftSection } from './assistant-drafts.js'

/**
 * `/intents` (issue 13): the owner writes what she wants — a personal request for proposals —
 * chooses who may see it and which fields she will disclose to the offer she accepts, and
 * compares the offers side by side. Accepting one closes the intent and declines the others
 * (each vendor is told); the chosen vendor then asks for the disclosed fields on the normal
 * consent page, which the notice says.
 */
const ID = /^[A-Za-z0-9_-]{1,64}$/
const DAY_MS = 86_400_000
const OPEN_DAYS = [3, 7, 14, 30, 90] as const

const DONE: Record<string, string> = {
  created: 'Intent published. Vendors that may see it can now send offers.',
  accepted:
    'Offer accepted; the other offers were declined and every vendor was told. A conversation with the vendor about the order is open in Conversations. The vendor will ask for the fields you chose on the consent page, where you approve them.',
  declined: 'Offer declined; the vendor was told.',
  closed: 'Intent closed; its open offers were declined.',
  ...DRAFT_DONE,
}
const ERRORS: Record<string, string> = {
  ERR_NOT_FOUND: 'That intent or offer no longer exists.',
  ERR_INTENT_CLOSED: 'That intent is already decided.',
  ERR_CONFLICT: 'That offer is no longer open.',
  ERR_OFFER_EXPIRED: 'That offer is no longer valid.',
  ...DRAFT_ERRORS,
}

const STATE_WORDS: Record<Intent['state'], string> = {
  open: 'open',
  expired: 'no longer taking offers',
  fulfilled: 'fulfilled',
  closed: 'closed',
}

function requirementsText(i: Intent): string {
  const r = i.requirements
  return [
    r.size ? `size ${r.size}` : '',
    r.budget ? `budget ${formatAmount(r.budget.amount, r.budget.currency)}` : '',
    r.deliverBy ? `delivered by ${r.deliverBy}` : '',
    r.location ? `in ${r.location}` : '',
  ]
    .filter(Boolean)
    .join(' · ')
}

function offerTable(
  i: Intent,
  offers: readonly Offer[],
  vendorName: (id: string) => string,
  csrfToken: string,
  zone: string,
): Html | string {
  if (offers.length === 0) return html`<p class="empty">No offers yet.</p>`
  const decidable = i.state === 'open' || i.state === 'expired'
  return html`<table class="offers"><caption>Offers side by side, cheapest first</caption>
<thead><tr><th scope="col">Vendor</th><th scope="col">Price</th><th scope="col">Included</th><th scope="col">Valid until</th><th scope="col">Terms</th><th scope="col">Signed by</th><th scope="col">State</th><th scope="col">Decide</th></tr></thead>
<tbody>${offers.map((o) => {
    const name = vendorName(o.vendorId)
    return html`<tr><td>${name}</td><td>${formatAmount(o.price.amount, o.price.currency)}</td><td>${o.included}</td><td>${localTime(o.validUntil, zone)}</td>
<td>${o.terms.url ? html`<a href="${o.terms.url}" rel="noopener noreferrer">terms</a>` : ''}${o.terms.text ? html` ${o.terms.text}` : ''}</td>
<td>${o.signature.signedBy === 'vendor' ? 'the vendor' : 'your vault, on receipt'}</td><td>${o.state}</td>
<td>${
      decidable && o.state === 'open'
        ? html`<form method="post" action="/intents/${i.id}/offers/${o.id}/accept" class="inline">${csrfField(csrfToken)}<button type="submit" aria-label="Accept the offer of ${name}">Accept</button></form>
<form method="post" action="/intents/${i.id}/offers/${o.id}/decline" class="inline">${csrfField(csrfToken)}<button type="submit" class="secondary" aria-label="Decline the offer of ${name}">Decline</button></form>`
        : ''
    }</td></tr>`
  })}</tbody></table>`
}

function intentCard(
  i: Intent,
  offers: readonly Offer[],
  vendorName: (id: string) => string,
  csrfToken: string,
  zone: string,
): Html {
  const who =
    i.audience === 'all'
      ? 'every vendor you allowed to see intents'
      : i.audience.vendors.map(vendorName).join(', ')
  return html`<article class="card intent" aria-label="Intent: ${i.category}"><h2>${i.category} <span class="muted">· ${STATE_WORDS[i.state]}</span></h2>
<p>${i.text}</p>
${requirementsText(i) ? html`<p class="muted">${requirementsText(i)}</p>` : ''}
<p class="muted">Open until ${localTime(i.openUntil, zone)} · seen by ${who}${i.disclose.length > 0 ? ` · you will disclose ${i.disclose.map(fieldLabel).join(', ')} to the offer you accept` : ''}</p>
${offerTable(i, offers, vendorName, csrfToken, zone)}
${i.state === 'open' || i.state === 'expired' ? html`<form method="post" action="/intents/${i.id}/close" class="inline">${csrfField(csrfToken)}<button type="submit" class="secondary" aria-label="Close the intent ${i.category}">Close without accepting</button></form>` : ''}</article>`
}

function form(
  csrfToken: string,
  vendors: readonly { id: string; name: string }[],
  paths: readonly string[],
): Html {
  return html`<section aria-labelledby="write"><h2 id="write">Write an intent</h2>
<form method="post" action="/intents#problems">${csrfField(csrfToken)}
<label for="category">What kind of thing</label><input id="category" name="category" maxlength="80" required>
<label for="text">What you want, in your words</label><textarea id="text" name="text" maxlength="2000" required></textarea>
<fieldset><legend>Requirements (all optional)</legend>
<label for="size">Size</label><input id="size" name="size" maxlength="40">
<label for="budget">Budget</label><input id="budget" name="budget" inputmode="decimal">
<label for="currency">Currency (ISO 4217, such as EUR)</label><input id="currency" name="currency" maxlength="3" value="EUR">
<label for="deliver_by">Delivered by</label><input id="deliver_by" name="deliver_by" type="date">
<label for="location">Location</label><input id="location" name="location" maxlength="200"></fieldset>
<label for="open_days">Open for</label><select id="open_days" name="open_days">${OPEN_DAYS.map((d) => html`<option value="${d}"${d === 14 ? html` selected` : ''}>${d} days</option>`)}</select>
<fieldset id="audience"><legend>Who may see it</legend>
<label class="check"><input type="radio" name="audience" value="all" checked> Every vendor you allowed to see your intents</label>
<label class="check"><input type="radio" name="audience" value="chosen"> Only these vendors:</label>
${vendors.map((v) => html`<label class="check"><input type="checkbox" name="vendor" value="${v.id}"> ${v.name}</label>`)}</fieldset>
<fieldset id="disclose"><legend>What you will disclose to the vendor whose offer you accept</legend>
${paths.length === 0 ? html`<p class="muted">No fields in your profile yet.</p>` : paths.map((p) => html`<label class="check"><input type="checkbox" name="disclose" value="${p}"> ${fieldLabel(p)}</label>`)}
<p class="muted">Nothing is shared when you accept: the vendor asks for these fields on the consent page, and you approve them there.</p></fieldset>
<p><button type="submit">Publish</button></p></form></section>`
}

/** The form as an IntentInput; the vault validates it (its issues name the box, never the value). */
function intentFrom(values: Awaited<ReturnType<typeof readForm>>, now: Date): IntentInput {
  const days = Number(values.text('open_days'))
  const budget = values.text('budget').trim()
  const requirements: Record<string, unknown> = {}
  if (values.text('size').trim()) requirements.size = values.text('size')
  if (budget)
    requirements.budget = {
      amount: Number(budget.replace(',', '.')),
      currency: values.text('currency').trim().toUpperCase(),
    }
  if (values.text('deliver_by')) requirements.deliverBy = values.text('deliver_by')
  if (values.text('location').trim()) requirements.location = values.text('location')
  return {
    category: values.text('category'),
    text: values.text('text'),
    requirements,
    openUntil: new Date(
      now.getTime() + (OPEN_DAYS.includes(days as 14) ? days : 14) * DAY_MS,
    ).toISOString(),
    audience: values.text('audience') === 'chosen' ? { vendors: values.all('vendor') } : 'all',
    disclose: values.all('disclose'),
  }
}

const BOXES: Record<string, string> = {
  category: 'category',
  text: 'text',
  requirements: 'size',
  'requirements.budget': 'budget',
  openUntil: 'open_days',
  audience: 'audience',
  disclose: 'disclose',
}

function problemsOf(err: ValidationError): Problem[] {
  return err.issues.map((i) => {
    const key = Object.keys(BOXES)
      .filter((k) => i.path === k || i.path.startsWith(`${k}.`))
      .sort((a, b) => b.length - a.length)[0]
    return { target: BOXES[key ?? ''] ?? 'category', text: `${i.path || 'intent'}: ${i.message}` }
  })
}

export function intentPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.use('*', ownerGate(kit))

  const render = async (
    c: Context<PageEnv>,
    status: 200 | 400,
    problems: readonly Problem[] = [],
  ) => {
    const csrfToken = c.var.session.csrfToken
    const [intents, vendors, fields, drafts] = await Promise.all([
      kit.actions.read.intents.list(),
      kit.actions.read.vendors.list(),
      kit.actions.read.fields.list(),
      kit.actions.drafts.list(),
    ])
    const names = new Map(vendors.map((v) => [v.id, v.name]))
    const vendorName = (id: string) => names.get(id) ?? 'an unknown vendor'
    const cards: Html[] = []
    for (const i of intents)
      cards.push(
        intentCard(
          i,
          await kit.actions.read.intents.offers(i.id),
          vendorName,
          csrfToken,
          c.var.timeZone,
        ),
      )
    return page(
      c,
      status,
      'Intents',
      html`<h1>Intents</h1>${errorSummary('The intent was not published', problems)}${notice('ok', fixedMessage(DONE, c.req.query('done')))}${notice('error', fixedMessage(ERRORS, c.req.query('error')))}
<p class="muted">Say what you want and let vendors answer. They see only what you write here, under an id that differs for each of them — never who you are.</p>
${draftSection(drafts, 'intent', csrfToken, names, c.var.timeZone)}
${cards.length === 0 ? html`<p class="empty">You have no intents yet.</p>` : cards}
${form(
  csrfToken,
  vendors.filter((v) => !v.blocked),
  fields.map((f) => f.path),
)}`,
      { csrfToken, current: '/intents' },
    )
  }

  routes.get('/', (c) => render(c, 200))

  routes.post('/', async (c) => {
    const values = await readForm(c)
    try {
      await kit.actions.intents.create(intentFrom(values, kit.now()))
    } catch (err) {
      if (err instanceof ValidationError) return render(c, 400, problemsOf(err))
      if (err instanceof VaultError && err.code === 'ERR_INTENT_LIMIT')
        return render(c, 400, [
          { target: 'category', text: 'You have as many open intents as you may; close one first' },
        ])
      throw err
    }
    return c.redirect('/intents?done=created', 303)
  })

  const decided = async (c: Context<PageEnv>, act: () => Promise<unknown>, done: string) => {
    try {
      await act()
    } catch (err) {
      if (err instanceof VaultError && err.code in ERRORS)
        return c.redirect(`/intents?error=${err.code}`, 303)
      throw err
    }
    return c.redirect(`/intents?done=${done}`, 303)
  }

  routes.post('/:id/close', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return c.redirect('/intents?error=ERR_NOT_FOUND', 303)
    return decided(c, () => kit.actions.intents.close(id), 'closed')
  })

  for (const decision of ['accept', 'decline'] as const) {
    routes.post(`/:id/offers/:offer/${decision}`, async (c) => {
      const id = c.req.param('id')
      const offer = c.req.param('offer')
      if (!ID.test(id) || !ID.test(offer)) return c.redirect('/intents?error=ERR_NOT_FOUND', 303)
      return decided(
        c,
        () =>
          decision === 'accept'
            ? kit.actions.intents.accept(id, offer)
            : kit.actions.intents.decline(id, offer),
        decision === 'accept' ? 'accepted' : 'declined',
      )
    })
  }

  return routes
}
