import { Hono } from 'hono'
import { connectAssistantSection } from './connect-assistant.js'
import { html } from 'hono/html'
import {
  type AuditEntry,
  fieldLabel,
  purposeText,
  type Grant,
  NotFoundError,
  type Vendor,
  VaultError,
} from '@custos/vault'
import { type OwnerPageKit, type VendorSignals, vendorMonogram } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type Html, csrfField, fixedMessage, notice, page } from './layout.js'
import { localTime, zonedText } from './local-time.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { readText } from './access-log.js'
import { vendorSignals } from './vendor-signals.js'
import { type AgreementFactRecord, agreementFact } from './agreement-fact.js'
import { agreementDownloadLink, agreementDownloadRoutes } from './agreement-download.js'
import { receiptDownloadLink, receiptDownloadRoutes } from './receipt-download.js'

/**
 * `/connections` (PRODUCT.md owner step 5; issue 4 page 6): per vendor who it is and what it may
 * do — each grant's fields, purpose, expiry, and its last read with what it read (from the audit
 * log) — and one-click controls: narrow a grant (untick fields or purchases, shorten the expiry;
 * the vault refuses anything wider), revoke it (the vault refuses reads at once and every OAuth
 * token issued under it is revoked, SECURITY.md 15), block or unblock the vendor, and download
 * the signed consent receipt of a grant's current revision (Kantara v1.1, or an ISO/IEC TS 27560
 * consent record in the W3C DPV profile).
 */

const ID = /^[A-Za-z0-9_-]{1,64}$/
/** Earlier expiries the narrow form offers (from now), when earlier than the grant's own. */
const SHORTER = [
  { seconds: 3600, label: 'in 1 hour' },
  { seconds: 86_400, label: 'in 1 day' },
  { seconds: 7 * 86_400, label: 'in 7 days' },
  { seconds: 30 * 86_400, label: 'in 30 days' },
  { seconds: 90 * 86_400, label: 'in 90 days' },
] as const

function sliceText(g: Grant, vendor: Vendor): string {
  const s = g.purchases
  if (!s) return ''
  return [
    s.madeWithVendor ? `Purchases made with ${vendor.name}` : 'All purchases',
    s.categories ? `in ${s.categories.join(', ')}` : '',
    s.since ? `since ${s.since.slice(0, 10)}` : '',
    s.until ? `before ${s.until.slice(0, 10)}` : '',
  ]
    .filter(Boolean)
    .join(', ')
}

function lastReadText(read: AuditEntry | undefined, zone: string): Html {
  if (!read) return html`<span class="muted">Never read</span>`
  return html`${localTime(read.at, zone)}: ${readText(read) || 'nothing (no granted field has a value)'}`
}

/**
 * A grant's state as it works now (issue 10: a blocked vendor's grant showed a green "Active"):
 * an active grant of a blocked vendor is refused on every request, so it says Blocked.
 */
function badge(g: Grant, vendor: Vendor): Html {
  if (g.status === 'active')
    return vendor.blocked
      ? html`<span class="badge error">Blocked</span>`
      : html`<span class="badge ok">Active</span>`
  // A used single-use grant ended as agreed: no error, just done.
  if (g.status === 'consumed') return html`<span class="badge">Used</span>`
  return html`<span class="badge error">${g.status === 'revoked' ? 'Revoked' : 'Expired'}</span>`
}

/**
 * When it ends, ended, or — revoked or used, whatever its end date was — when it was revoked or
 * used (the grant's last change).
 */
function endFact(g: Grant, zone: string): Html {
  if (g.status === 'revoked') return html`<dt>Revoked</dt><dd>${localTime(g.updatedAt, zone)}</dd>`
  if (g.status === 'consumed')
    return html`<dt>Ended</dt><dd>Used once on ${localTime(g.updatedAt, zone)}</dd>`
  return html`<dt>${g.status === 'expired' ? 'Ended' : 'Ends'}</dt><dd>${localTime(g.expiresAt, zone)}</dd>`
}

function narrowForm(g: Grant, vendor: Vendor, now: Date, csrfToken: string, zone: string): Html {
  const remaining = (Date.parse(g.expiresAt) - now.getTime()) / 1000
  const shorter = SHORTER.filter((o) => o.seconds < remaining)
  const slice = sliceText(g, vendor)
  return html`<details class="narrow"><summary>Narrow this grant</summary><form method="post" action="/connections/grants/${g.id}/narrow">${csrfField(csrfToken)}
${
  g.fields.length > 0
    ? html`<fieldset><legend>Fields ${vendor.name} may read (untick to stop sharing)</legend>${g.fields.map(
        (f) =>
          html`<label class="check"><input type="checkbox" name="field" value="${f}" checked> ${fieldLabel(f)} <span class="muted">(${f})</span></label>`,
      )}</fieldset>`
    : ''
}${slice ? html`<fieldset><legend>Purchases</legend><label class="check"><input type="checkbox" name="purchases" value="keep" checked> ${slice}</label></fieldset>` : ''}${
  g.purposes.length > 1
    ? html`<fieldset><legend>What ${vendor.name} may use it for (untick to withdraw a purpose)</legend>${g.purposes.map(
        (p) =>
          html`<label class="check"><input type="checkbox" name="purpose" value="${p}" checked> ${purposeText(p)}</label>`,
      )}</fieldset>`
    : ''
}
<label for="expires-${g.id}">Ends</label><select id="expires-${g.id}" name="expires"><option value="keep" selected>Keep: ${zonedText(g.expiresAt, zone)}</option>${shorter.map((o) => html`<option value="${o.seconds}">${o.label}</option>`)}</select>
<p><button type="submit">Narrow</button></p></form></details>`
}

/** What the page knows beside the vendors and grants, gathered once per view. */
interface ConnectionsView {
  /** Each grant's newest read. */
  readonly reads: ReadonlyMap<string, AuditEntry>
  /** Each grant's newest agreement record (IEEE 7012 MyTerms). */
  readonly agreements: ReadonlyMap<string, AgreementFactRecord>
  /** Where signals to each vendor stand. */
  readonly signals: ReadonlyMap<string, VendorSignals>
  readonly now: Date
  readonly csrfToken: string
  readonly zone: string
}

function grantCard(g: Grant, vendor: Vendor, view: ConnectionsView): Html {
  const { now, csrfToken, zone } = view
  const read = view.reads.get(g.id)
  const slice = sliceText(g, vendor)
  return html`<article class="grant card" id="grant-${g.id}" aria-labelledby="grant-${g.id}-purpose"><h4 id="grant-${g.id}-purpose">${g.purpose} ${badge(g, vendor)}</h4>
<dl class="facts"><dt>Fields</dt><dd>${g.fields.length > 0 ? g.fields.map((f) => html`<span class="field-chip">${fieldLabel(f)}</span> `) : html`<span class="muted">none</span>`}</dd>
${slice ? html`<dt>Purchases</dt><dd>${slice}</dd>` : ''}
${purposesFact(g)}
<dt>May</dt><dd>${g.actions.map((a) => (a === 'read' ? 'read' : 'add receipts to your inbox')).join(' and ')}</dd>
${g.accessMode === 'singleUse' ? html`<dt>How often</dt><dd class="access-mode">Once: ${vendor.name} may read this one time</dd>` : ''}
${endFact(g, zone)}
<dt>Your terms</dt><dd class="agreement">${agreementFact(g, view.agreements.get(g.id))}</dd>
<dt>Granted</dt><dd>${localTime(g.createdAt, zone)}${g.revision > 1 ? html` (changed ${localTime(g.updatedAt, zone)})` : ''}</dd>
<dt>Last read</dt><dd class="last-read">${lastReadText(read, zone)}</dd></dl>
<p><a href="/connections/grants/${g.id}/receipt" download>Download consent receipt</a> · <a href="/connections/grants/${g.id}/consent-record" download>Download ISO/IEC TS 27560 consent record</a> <span class="muted">(signed; verifiable against this vault's public key)</span></p>
${
  g.status === 'active'
    ? html`${narrowForm(g, vendor, now, csrfToken, zone)}<form method="post" action="/connections/grants/${g.id}/revoke" class="inline">${csrfField(csrfToken)}<button type="submit" class="danger" data-confirm="Revoke this grant? ${vendor.name} loses access at once.">Revoke</button></form>`
    : ''
}</article>`
}

/** The grant's DPV purposes in plain words (issue 12); grants from before purposes have none. */
function purposesFact(g: Grant): Html | '' {
  if (g.purposes.length === 0) return ''
  return html`<dt>Only for</dt><dd><ul class="purposes">${g.purposes.map((iri) => html`<li title="${iri}">${purposeText(iri)}</li>`)}</ul></dd>`
}

function vendorSection(v: Vendor, grants: readonly Grant[], view: ConnectionsView): Html {
  const { csrfToken, zone } = view
  const active = grants.filter((g) => g.status === 'active')
  const past = grants.filter((g) => g.status !== 'active')
  return html`<section class="vendor-card" id="vendor-${v.id}" aria-labelledby="vendor-${v.id}-name">
<div class="vendor">${vendorMonogram(v.name)}<div><h2 id="vendor-${v.id}-name">${v.name}${v.blocked ? html` <span class="badge error">Blocked</span>` : ''}</h2>
<p class="muted">${v.uri ? html`<a href="${v.uri}" rel="noopener noreferrer">${v.uri}</a> · ` : ''}registered <time datetime="${v.createdAt}">${v.createdAt.slice(0, 10)}</time></p></div></div>
${v.blocked ? html`<p class="notice error">Blocked: every request from ${v.name} is refused and it cannot ask for new access.</p>` : ''}
${active.length > 0 ? html`<h3>${v.blocked ? 'Grants (stopped while the vendor is blocked)' : 'Active grants'}</h3>${active.map((g) => grantCard(g, v, view))}` : html`<p class="muted">No active grants.</p>`}
${past.length > 0 ? html`<details><summary>Past grants (${past.length})</summary>${past.map((g) => grantCard(g, v, view))}</details>` : ''}
${receiptDownloadLink(v.id)}
${vendorSignals(v, view.signals.get(v.id), csrfToken, zone)}
<form method="post" action="/connections/vendors/${v.id}/block" class="inline">${csrfField(csrfToken)}<input type="hidden" name="blocked" value="${v.blocked ? 'false' : 'true'}">${
    v.blocked
      ? html`<button type="submit" class="secondary">Unblock vendor</button>`
      : html`<button type="submit" class="danger" data-confirm="Block ${v.name}? All its access stops until you unblock it.">Block vendor</button>`
  }</form></section>`
}

const DONE: Record<string, string> = {
  narrowed: 'The grant was narrowed. The vendor sees only what is left from its next request on.',
  unchanged: 'Nothing was changed: everything was still ticked.',
  revoked: 'The grant was revoked. The vendor can no longer read or write anything through it.',
  blocked: 'The vendor is blocked.',
  'erasure-requested':
    'The vendor was asked to erase what it holds about you. Its answer will show here.',
  unblocked: 'The vendor is unblocked. Its grants that have not ended work again.',
}
const ERRORS: Record<string, string> = {
  ERR_GRANT_REVOKED: 'That grant was already revoked.',
  ERR_GRANT_EXPIRED: 'That grant has already ended.',
  ERR_GRANT_SCOPE: 'A grant can only be narrowed, never widened.',
  ERR_NOT_FOUND: 'That grant or vendor no longer exists.',
  empty: 'Nothing would be left to share. To stop sharing everything, revoke the grant instead.',
  'no-purpose':
    'A grant needs at least one purpose. To stop sharing for every purpose, revoke the grant instead.',
}

export function connectionPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.use('*', ownerGate(kit))
  routes.route('/', agreementDownloadRoutes(kit))
  routes.route('/', receiptDownloadRoutes(kit))

  routes.get('/', async (c) => {
    const csrfToken = c.var.session.csrfToken
    // Each grant's newest read, one indexed lookup per grant (the vault's audit.lastReadPerGrant).
    const { vendors, grants, lastReads: reads } = await kit.actions.read.connections()
    // Newest first: the first record seen for a grant is its newest.
    const agreements = new Map<string, AgreementFactRecord>()
    const records = await kit.actions.terms.records()
    for (const { record } of records)
      if (record.grant_id && !agreements.has(record.grant_id))
        agreements.set(record.grant_id, record)
    const view: ConnectionsView = {
      reads,
      agreements,
      signals: await kit.actions.vendors.signals(),
      now: kit.now(),
      csrfToken,
      zone: c.var.timeZone,
    }
    return page(
      c,
      200,
      'Connections',
      html`<h1>Connections</h1>${notice('ok', fixedMessage(DONE, c.req.query('done')))}${notice('error', fixedMessage(ERRORS, c.req.query('error')))}
<p class="muted">The vendors you have connected, what each may see, and when it last looked.</p>
${records.length > 0 ? agreementDownloadLink() : ''}
${
  vendors.length === 0
    ? html`<p class="empty">No vendor has asked for access yet.</p>`
    : vendors.map((v) =>
        vendorSection(
          v,
          grants.filter((g) => g.vendorId === v.id),
          view,
        ),
      )
}
${connectAssistantSection(kit.issuer)}`,
      { csrfToken, current: '/connections' },
    )
  })

  /**
   * Runs a change and redirects back (303, so a reload does not repeat it) with a fixed message:
   * `change` returns `done=…` or `error=…`; vault refusals become fixed error texts.
   */
  const act = async (
    c: Parameters<typeof page>[0],
    anchor: string,
    change: () => Promise<string>,
  ) => {
    try {
      return c.redirect(`/connections?${await change()}${anchor}`, 303)
    } catch (err) {
      if (err instanceof VaultError && Object.hasOwn(ERRORS, err.code))
        return c.redirect(`/connections?error=${err.code}${anchor}`, 303)
      throw err
    }
  }
  const notFound = (c: Parameters<typeof page>[0]) =>
    c.redirect('/connections?error=ERR_NOT_FOUND', 303)

  routes.post('/grants/:id/narrow', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return notFound(c)
    const form = await readForm(c)
    const ticked = new Set(form.all('field'))
    return act(c, `#grant-${id}`, async () => {
      const grant = await kit.actions.read.grants.get(id)
      const fields = grant.fields.filter((f) => ticked.has(f))
      const dropPurchases = grant.purchases !== undefined && !form.has('purchases')
      // Purposes are offered only when there is more than one: one purpose cannot be dropped.
      const keptPurposes = new Set(form.all('purpose'))
      const purposes =
        grant.purposes.length > 1
          ? grant.purposes.filter((p) => keptPurposes.has(p))
          : grant.purposes
      if (purposes.length === 0) return 'error=no-purpose'
      const seconds = SHORTER.find((o) => String(o.seconds) === form.text('expires'))?.seconds
      const expiresAt =
        seconds === undefined
          ? undefined
          : new Date(kit.now().getTime() + seconds * 1000).toISOString()
      if (
        fields.length === grant.fields.length &&
        !dropPurchases &&
        expiresAt === undefined &&
        purposes.length === grant.purposes.length
      )
        return 'done=unchanged'
      // A read grant that reads nothing is a revocation in disguise: say so rather than keep it.
      if (
        grant.actions.includes('read') &&
        fields.length === 0 &&
        (dropPurchases || grant.purchases === undefined)
      )
        return 'error=empty'
      await kit.actions.grants.narrow(id, {
        fields,
        ...(dropPurchases ? { purchases: null } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(purposes.length < grant.purposes.length ? { purposes } : {}),
      })
      return 'done=narrowed'
    })
  })

  routes.post('/grants/:id/revoke', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return notFound(c)
    return act(c, `#grant-${id}`, async () => {
      await kit.actions.grants.revoke(id)
      return 'done=revoked'
    })
  })

  // A grant's receipt in either shape, as a download: Kantara v1.1, or the ISO/IEC TS 27560
  // record in the DPV profile — the same consent event, signed by the same key.
  const receipts = [
    ['receipt', 'consent-receipt', (id: string) => kit.actions.grants.receipt(id)],
    ['consent-record', 'consent-record', (id: string) => kit.actions.grants.consentRecord(id)],
  ] as const
  for (const [path, file, sign] of receipts) {
    routes.get(`/grants/:id/${path}`, async (c) => {
      const id = c.req.param('id')
      if (id === undefined || !ID.test(id)) return notFound(c)
      try {
        const jws = await sign(id)
        // RFC 7519 §10.3.1: a JWT's media type; a download, never rendered.
        return c.body(jws, 200, {
          'content-type': 'application/jwt',
          'content-disposition': `attachment; filename="${file}-${id}.jwt"`,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        })
      } catch (err) {
        if (err instanceof NotFoundError) return notFound(c)
        throw err
      }
    })
  }

  routes.post('/vendors/:id/erasure', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return notFound(c)
    return act(c, `#vendor-${id}`, async () => {
      await kit.actions.vendors.requestErasure(id)
      return 'done=erasure-requested'
    })
  })

  routes.post('/vendors/:id/block', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return notFound(c)
    const blocked = (await readForm(c)).text('blocked') !== 'false'
    return act(c, `#vendor-${id}`, async () => {
      await kit.actions.vendors.setBlocked(id, blocked)
      return blocked ? 'done=blocked' : 'done=unblocked'
    })
  })

  return routes
}
