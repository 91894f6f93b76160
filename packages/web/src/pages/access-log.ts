import { Hono } from 'hono'
import { html } from 'hono/html'
import { z } from 'zod'
import {
  type AuditAction,
  type AuditEntry,
  type AuditOrigin,
  type AuditFilter,
  type AuditVerification,
  fieldLabel,
  purposeText,
} from '@custos/vault'
import type { OwnerPageKit } from '@custos/consent-api'
import { type Html, csrfField, fixedMessage, notice, page } from './layout.js'
import { localTime } from './local-time.js'
import { type PageEnv, ownerGate } from './owner-gate.js'

/**
 * `/log` (PRODUCT.md owner step 4; issue 4 page 8): the audit log as a timeline, newest first —
 * every vendor read (which fields, how many purchases), look at its grant and token issued or
 * renewed, every refusal with its reason (a burst as one line with a count), every grant and vendor
 * change, every inbox decision, every lock, unlock and sign-in with where it came from —
 * filterable by vendor, kind and dates, paged by sequence number,
 * with the hash chain's verification status on top (`vault.audit.verify()`: intact, or the first
 * bad entry and why; SECURITY.md promise 21). Entries hold ids and paths, never values.
 */
const PAGE_SIZE = 50
const DONE = { acknowledged: 'The damage is recorded in the log. Vendors can read again.' } as const
/**
 * Verifying walks the whole chain (about 40 µs an entry on SQLite, measured: 0.8 s for 20,000
 * entries), so it runs on every view only up to this many entries; beyond, the page offers
 * "Verify now" instead of making every look at the log wait seconds.
 */
export const AUTO_VERIFY_MAX = 50_000

/** The kinds the filter offers, each a set of audit actions. */
export const KINDS = {
  // A single-use grant's consumption is its read's other half (same transaction, same vendor).
  reads: {
    label: 'Vendor reads',
    actions: ['grant.read', 'grant.viewed', 'grant.consumed', 'draft.proposed'],
  },
  refused: { label: 'Refused vendor requests', actions: ['grant.refused', 'request.refused'] },
  grants: {
    label: 'Grant changes (and purchases linked to a vendor)',
    actions: [
      'grant.created',
      'grant.narrowed',
      'grant.revoked',
      'grant.denied',
      'purchases.linked',
      'purchases.unlinked',
    ],
  },
  vendors: {
    label: 'Vendors registered, blocked or asked to erase',
    actions: [
      'vendor.registered',
      'vendor.blocked',
      'vendor.unblocked',
      'vendor.erasure_requested',
      'vendor.erasure_acknowledged',
    ],
  },
  inbox: { label: 'Inbox', actions: ['inbox.appended', 'inbox.accepted', 'inbox.rejected'] },
  conversations: {
    label: 'Conversations',
    actions: [
      'conversation.opened',
      'conversation.posted',
      'conversation.closed',
      'conversation.read',
    ],
  },
  intents: {
    label: 'Intents and offers',
    actions: [
      'intent.created',
      'intent.closed',
      'intent.viewed',
      'intent.offered',
      'intent.offer_withdrawn',
      'intent.offer_accepted',
      'intent.offer_declined',
    ],
  },
  tokens: {
    label: 'Vendor sign-ins (tokens issued or renewed)',
    actions: ['token.issued', 'token.refreshed'],
  },
  vault: {
    label: 'Your vault (unlock, keys, backups)',
    actions: [
      'vault.created',
      'vault.unlocked',
      'vault.locked',
      'vault.unlock_failed',
      'owner.authenticated',
      'vault.passphrase_changed',
      'vault.recovered',
      'keys.rotation_started',
      'keys.rotated',
      'vault.exported',
      'vault.imported',
      'vault.backed_up',
      'vault.restored',
      'audit.break_acknowledged',
    ],
  },
} as const satisfies Record<string, { label: string; actions: readonly AuditAction[] }>
type Kind = keyof typeof KINDS

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)))

export const LogQuery = z.object({
  vendor: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
  ),
  kind: z.preprocess(blank, z.enum(Object.keys(KINDS) as [Kind, ...Kind[]]).optional()),
  from: z.preprocess(blank, Day.optional()),
  to: z.preprocess(blank, Day.optional()),
  before: z.preprocess(blank, z.coerce.number().int().positive().optional()),
  verify: z.preprocess(blank, z.literal('1').optional()),
})
type LogQuery = z.output<typeof LogQuery>

function auditFilter(q: LogQuery): AuditFilter {
  const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString()
  return {
    ...(q.vendor !== undefined ? { vendorId: q.vendor } : {}),
    ...(q.kind !== undefined ? { action: [...KINDS[q.kind].actions] } : {}),
    ...(q.from !== undefined ? { since: `${q.from}T00:00:00.000Z` } : {}),
    // The owner's "to" day is inclusive; the log's `until` is exclusive.
    ...(q.to !== undefined ? { until: nextDay(q.to) } : {}),
    ...(q.before !== undefined ? { before: q.before } : {}),
    limit: PAGE_SIZE + 1,
  }
}

const REFUSALS: Record<string, string> = {
  ERR_GRANT_REVOKED: 'the grant was revoked',
  ERR_GRANT_EXPIRED: 'the grant had ended',
  ERR_GRANT_CONSUMED: 'its single-use grant was already used',
  ERR_VENDOR_BLOCKED: 'the vendor is blocked',
  ERR_GRANT_SCOPE: 'it asked for more than granted',
  ERR_GRANT_MISMATCH: 'it used a token for a grant that is not its own',
  ERR_NOT_FOUND: 'the grant no longer exists',
  ERR_TOKEN_REVOKED: 'its token had been revoked',
  ERR_TOKEN_EXPIRED: 'its token had expired',
  ERR_TOKEN_USED: 'it presented a refresh token or code that was already used',
  ERR_TOKEN_UNKNOWN: 'it presented a token that matches none issued',
}

/** Where an owner's lock, unlock or sign-in came from (the entry's `origin`). */
const ORIGINS: Record<AuditOrigin, string> = {
  browser: 'in the browser',
  cli: 'from the command line',
  api: 'through the API',
  library: 'by a program using the vault directly',
}
const from = (e: AuditEntry) => (e.origin ? ` ${ORIGINS[e.origin]}` : '')

/** A refusal in words; an entry with a count stands for the rest of a burst after its first refusal. */
function refusal(e: AuditEntry, vendor: string): string {
  const times = e.count ? ` ${e.count} more times` : ''
  // No vendor: a token that matches nothing issued cannot be attributed to anyone.
  if (e.vendorId === undefined && e.detail === 'ERR_TOKEN_UNKNOWN') {
    return e.count
      ? `${e.count} more requests with an access token that matches none issued were refused`
      : 'A request with an access token that matches none issued was refused'
  }
  return `${vendor} was refused${times}: ${REFUSALS[e.detail ?? ''] ?? e.detail ?? 'not allowed'}`
}

/**
 * What a vendor read, in words: the fields' labels and, when it asked for purchases, how many it
 * got — `purchaseIds` is present, even empty, exactly when purchases were read (issue 10: a read
 * of purchases was told as "nothing"). '' when it read nothing at all.
 */
export function readText(e: AuditEntry): string {
  const fields = (e.paths ?? []).map(fieldLabel).join(', ')
  const n = e.purchaseIds?.length
  const purchases =
    n === undefined
      ? ''
      : n === 0
        ? 'no purchases (none match its grant)'
        : `${n} purchase${n === 1 ? '' : 's'}`
  return [fields, purchases].filter(Boolean).join(' and ')
}

/** One entry in words: who did what, with field labels (never values: the log holds none). */
export function describe(e: AuditEntry, vendorName: (id: string | undefined) => string): string {
  const vendor = vendorName(e.vendorId)
  const fields = (e.paths ?? []).map(fieldLabel).join(', ')
  const purchases = e.purchaseIds?.length ?? 0
  switch (e.action) {
    case 'grant.read':
      return `${vendor} read ${readText(e) || 'nothing (no granted field has a value)'}`
    case 'grant.refused':
      return refusal(e, vendor)
    case 'grant.viewed':
      return `${vendor} looked at what its grant allows`
    case 'draft.proposed':
      return `${vendor} proposed a draft for you to send or discard`
    case 'token.issued':
      return `${vendor} received its access tokens`
    case 'token.refreshed':
      return `${vendor} renewed its access (refresh token)`
    case 'request.refused':
      return requestRefusal(e, vendor)
    case 'grant.created':
      return `You granted ${vendor} access${fields ? ` to ${fields}` : ''}${forPurposes(e)}`
    case 'grant.narrowed':
      return `You narrowed ${vendor}'s grant${fields ? ` to ${fields}` : ' to no fields'}${forPurposes(e)}`
    case 'grant.revoked':
      return `You revoked a grant of ${vendor}`
    case 'grant.consumed':
      return `${vendor} used its single-use grant: it has ended`
    case 'grant.denied':
      return `You denied ${vendor}'s request${forPurposes(e)}`
    case 'vendor.registered':
      return `${vendor} was registered`
    case 'vendor.blocked':
      return `You blocked ${vendor}`
    case 'vendor.unblocked':
      return `You unblocked ${vendor}`
    case 'vendor.erasure_requested':
      return `You asked ${vendor} to erase what it holds about you`
    case 'vendor.erasure_acknowledged':
      return `${vendor} confirmed (signed) that it erased what it held about you`
    case 'inbox.appended':
      return `${vendor} sent ${purchases === 1 ? 'a receipt' : `${purchases} receipts`} to your inbox`
    case 'inbox.accepted':
      return `You accepted a receipt${e.vendorId ? ` from ${vendor}` : ''}`
    case 'inbox.rejected':
      return `You rejected a receipt${e.vendorId ? ` from ${vendor}` : ''}`
    case 'vault.created':
      return 'You created the vault'
    case 'vault.unlocked':
      return `The vault was unlocked${e.detail ? ` (${e.detail.replace(/_/g, ' ')})` : ''}${from(e)}`
    case 'vault.unlock_failed':
      return `A wrong passphrase or recovery key was tried${from(e)}`
    case 'vault.locked':
      return `The vault was locked${from(e)}`
    case 'owner.authenticated':
      return `You signed in${from(e)}`
    case 'vault.passphrase_changed':
      return 'You changed the passphrase'
    case 'vault.recovered':
      return `The vault was opened with the recovery key${from(e)}`
    case 'keys.rotation_started':
      return 'Key rotation started'
    case 'keys.rotated':
      return 'The keys were rotated'
    case 'vault.exported':
      return 'You exported your data'
    case 'vault.imported':
      return 'You imported data'
    case 'vault.backed_up':
      return 'You made an encrypted backup'
    case 'vault.restored':
      return `The vault was restored from a backup${from(e)}`
    case 'purchases.linked':
      return `You linked ${purchases === 1 ? 'a purchase' : `${purchases} purchases`} to ${vendor}: its grants that share purchases made with it now include them`
    case 'purchases.unlinked':
      return `You unlinked ${purchases === 1 ? 'a purchase' : `${purchases} purchases`} from ${vendor}`
    case 'conversation.opened':
      return e.actor === 'owner'
        ? `You started a conversation with ${vendor}`
        : `${vendor} started a conversation with you`
    case 'conversation.posted':
      return e.actor === 'owner' ? `You wrote to ${vendor}` : `${vendor} wrote to you`
    case 'conversation.closed':
      return `You closed a conversation with ${vendor}`
    case 'conversation.read':
      return e.detail
        ? `${vendor} read a conversation with you`
        : `${vendor} listed its conversations with you`
    case 'audit.break_acknowledged':
      return `You acknowledged that the log was damaged${e.detail ? ` (${describeBreak(e.detail)})` : ''}`
    case 'intent.created':
      return `You published an intent${fields ? `, to disclose ${fields} to the offer you accept` : ''}`
    case 'intent.closed':
      return 'You closed an intent'
    case 'intent.viewed':
      return `${vendor} looked at your open intents`
    case 'intent.offered':
      return `${vendor} made an offer on your intent`
    case 'intent.offer_withdrawn':
      return `${vendor} withdrew its offer`
    case 'intent.offer_accepted':
      return `You accepted ${vendor}'s offer${fields ? `, to disclose ${fields}` : ''}`
    case 'intent.offer_declined':
      return `You declined ${vendor}'s offer`
  }
}

/** An entry's DPV purposes in plain words, joined ("to handle your orders and to deliver …"). */
function purposesText(e: AuditEntry): string {
  const words = (e.purposes ?? []).map(purposeText)
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

/** A request refused before the consent page, by why (the stable code in `detail`). */
function requestRefusal(e: AuditEntry, vendor: string): string {
  const asked = purposesText(e)
  switch (e.detail) {
    case 'ERR_TERMS_REQUIRED':
      return `${vendor} asked for access without agreeing to your terms, which you require: refused before it reached you`
    case 'ERR_TERMS_NOT_COVERED':
      return `${vendor} asked for access ${asked}, which the agreement it chose does not cover: refused before it reached you`
    default:
      return `${vendor} asked for access ${asked}, which you never allow: refused before it reached you`
  }
}

const forPurposes = (e: AuditEntry) => (e.purposes?.length ? `, ${purposesText(e)}` : '')

const BREAKS = {
  missing: 'an entry is missing',
  reordered: 'entries were reordered',
  altered: 'an entry was altered',
  unauthenticated: 'an entry was not written by this vault',
  truncated: 'the newest entries were cut off',
} as const

/** An acknowledgement's detail (`reason@seq`, written by the vault) in words. */
function describeBreak(detail: string): string {
  const [reason, seq] = detail.split('@')
  const why = BREAKS[reason as keyof typeof BREAKS] ?? 'damaged'
  return `${why}, from entry #${seq ?? '?'}`
}

function chainStatus(
  v: AuditVerification | { skipped: number },
  verifyHref: string,
  csrfToken: string,
): Html {
  if ('skipped' in v) {
    return html`<p class="notice chain" role="status">The log has ${v.skipped} entries; checking them all takes a while, so it is not done on every visit. <a class="button secondary" href="${verifyHref}">Verify now</a></p>`
  }
  if (v.ok) {
    const earlier = v.acknowledged
      ? html` You acknowledged earlier damage (${describeBreak(`${v.acknowledged.reason}@${v.acknowledged.firstBadSeq}`)}) at entry #${v.acknowledged.seq}; the log is checked from there on.`
      : ''
    return html`<p class="notice ok chain" role="status"><strong>Log verified:</strong> all ${v.entries} entries are intact and in order (hash chain and signatures checked).${earlier}</p>`
  }
  const why = BREAKS[v.reason]
  return html`<div class="notice error chain" role="alert"><p><strong>Log damaged:</strong> the chain breaks at entry #${v.firstBadSeq} (${why}). Someone changed this vault's database without its key. Entries from there on cannot be trusted, and vendors cannot read anything until you acknowledge the damage.</p>
<p>Before you do, you may keep a copy of the database for investigation, or restore a backup from before the damage (Settings). Acknowledging writes a new, signed entry that records the damage, and lets vendors read again.</p>
<form method="post" action="/log/acknowledge">${csrfField(csrfToken)}<button type="submit">Acknowledge the damage</button></form></div>`
}

function search(q: LogQuery, before?: number, verify = false): string {
  const p = new URLSearchParams()
  for (const key of ['vendor', 'kind', 'from', 'to'] as const)
    if (q[key] !== undefined) p.set(key, q[key] as string)
  if (before !== undefined) p.set('before', String(before))
  if (verify) p.set('verify', '1')
  const s = p.toString()
  return s ? `?${s}` : ''
}

export function accessLogPages(
  kit: OwnerPageKit,
  options: { autoVerifyMax?: number } = {},
): Hono<PageEnv> {
  const autoVerifyMax = options.autoVerifyMax ?? AUTO_VERIFY_MAX
  const routes = new Hono<PageEnv>()
  routes.use('*', ownerGate(kit))

  routes.get('/', async (c) => {
    const parsed = LogQuery.safeParse(c.req.query())
    const q: LogQuery = parsed.success ? parsed.data : {}
    const [entries, newest, vendors] = await Promise.all([
      kit.actions.read.audit.list(auditFilter(q)),
      kit.actions.read.audit.list({ limit: 1 }),
      kit.actions.read.vendors.list(),
    ])
    const size = newest[0]?.seq ?? 0
    const verification =
      size <= autoVerifyMax || q.verify === '1'
        ? await kit.actions.read.audit.verify()
        : { skipped: size }
    const names = new Map(vendors.map((v) => [v.id, v.name]))
    const vendorName = (id: string | undefined) =>
      id === undefined ? 'A vendor' : (names.get(id) ?? `Vendor ${id}`)
    const shown = entries.slice(0, PAGE_SIZE)
    const more = entries.length > PAGE_SIZE
    const last = shown[shown.length - 1]
    return page(
      c,
      200,
      'Access log',
      html`<h1>Access log</h1>${fixedMessage(DONE, c.req.query('done')) ? notice('ok', fixedMessage(DONE, c.req.query('done'))) : ''}${chainStatus(verification, `/log${search(q, q.before, true)}`, c.var.session.csrfToken)}${parsed.success ? '' : notice('error', 'Some filters were not understood (dates are YYYY-MM-DD); showing everything.')}
<form method="get" action="/log" role="search" aria-label="Filter the log"><div class="row">
<div><label for="l-vendor">Vendor</label><select id="l-vendor" name="vendor"><option value="">All vendors</option>${vendors.map((v) => html`<option value="${v.id}"${q.vendor === v.id ? html` selected` : ''}>${v.name}</option>`)}</select></div>
<div><label for="l-kind">What</label><select id="l-kind" name="kind"><option value="">Everything</option>${(Object.keys(KINDS) as Kind[]).map((k) => html`<option value="${k}"${q.kind === k ? html` selected` : ''}>${KINDS[k].label}</option>`)}</select></div>
<div><label for="l-from">From</label><input type="date" id="l-from" name="from" value="${q.from ?? ''}"></div>
<div><label for="l-to">To</label><input type="date" id="l-to" name="to" value="${q.to ?? ''}"></div>
</div><p><button type="submit">Filter</button> <a href="/log">Clear filters</a></p></form>
${
  shown.length === 0
    ? html`<p class="empty">No entries match.</p>`
    : html`<ol class="timeline" reversed>${shown.map(
        (e) =>
          html`<li class="entry ${e.outcome === 'refused' ? 'refused' : ''}" data-seq="${e.seq}" data-action="${e.action}">${localTime(e.at, c.var.timeZone, 'second')} <span class="what">${describe(e, vendorName)}</span> <span class="muted">#${e.seq}</span></li>`,
      )}</ol>`
}
<nav class="pager" aria-label="Pages">${q.before !== undefined ? html`<a href="/log${search(q)}">Newest</a>` : ''}${more && last ? html` <a href="/log${search(q, last.seq)}" rel="next">Older entries</a>` : ''}</nav>`,
      { csrfToken: c.var.session.csrfToken, current: '/log' },
    )
  })

  routes.post('/acknowledge', async (c) => {
    await kit.actions.audit.acknowledgeBreak()
    return c.redirect('/log?done=acknowledged', 303)
  })

  return routes
}
