import type { Context } from 'hono'
import { html } from 'hono/html'
import { type FieldEntry, type Vendor, purposeOf, selectorMatches } from '@custos/vault'
import { type Html, htmlPage } from '../html-page.js'
import { vendorMonogram } from '../vendor-monogram.js'
import type { AuthorizationRequest } from '../store/request-store.js'
import { selectorLabel } from '../protocol/field-selectors.js'
import type { SellerCandidate } from './seller-candidates.js'
import { redirectTarget } from './redirect-uri.js'
import { agreementOf, uncoveredPurposes } from '../terms/roster.js'

/**
 * The consent page (PRODUCT.md, owner step 3): who asks (name, site, since when; a monogram, never
 * the vendor's logo — see vendor-monogram.ts), each field
 * with its current value, the purpose, the purchase slice (with the owner's sellers that look like
 * the vendor, to link), the duration, the owner's terms the vendor accepts (when it accepts any)
 * and whether its stated website is where the owner is sent back. The owner may untick fields and shorten the duration, then approve or deny.
 * Without an owner session it shows what is asked (no values) and a sign-in form instead.
 * No script; everything interpolated is escaped; the page cannot be framed or cached.
 */
export interface ConsentView {
  readonly issuer: string
  readonly pendingId: string
  readonly request: AuthorizationRequest
  readonly vendor: Vendor
  /** Present when the owner is signed in: the CSRF token and the current values to preview. */
  readonly owner?: {
    readonly csrfToken: string
    readonly values: readonly FieldEntry[]
    readonly sellers?: readonly SellerCandidate[]
  }
}

const DURATIONS = [
  3600,
  86400,
  7 * 86400,
  30 * 86400,
  90 * 86400,
  180 * 86400,
  365 * 86400,
  730 * 86400,
]

export function humanDuration(seconds: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  if (seconds % 86400 === 0) return unit(seconds / 86400, 'day')
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour')
  return unit(Math.ceil(seconds / 60), 'minute')
}

/** A short, single-line preview of a value (addresses and lists joined), cut at 80 characters. */
function preview(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : Array.isArray(value)
        ? value.map(String).join(', ')
        : value !== null && typeof value === 'object'
          ? Object.values(value).map(String).join(', ')
          : String(value)
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}

function purchaseSlice(view: ConsentView): string {
  const slice = view.request.access.purchases
  if (!slice) return ''
  return [
    slice.madeWithVendor ? `Purchases you made with ${view.vendor.name}` : 'All your purchases',
    slice.categories ? `in the categories ${slice.categories.join(', ')}` : '',
    slice.since ? `since ${slice.since}` : '',
    slice.until ? `before ${slice.until}` : '',
  ]
    .filter((s) => s !== '')
    .join(', ')
}

/** A host as people read it: no `www.`, no trailing dot, lower case. */
const siteOf = (url: string): string | undefined => {
  try {
    return (
      new URL(url).hostname
        .toLowerCase()
        .replace(/\.$/, '')
        .replace(/^www\./, '') || undefined
    )
  } catch {
    return undefined
  }
}

/**
 * Whether the vendor's stated website (RFC 7591 `client_uri`) is where the owner is sent back:
 * the same host, or one a subdomain of the other (`shop.fjord.example` under `fjord.example`).
 * A mismatch is not proof of fraud, but it is what a look-alike application would show.
 */
export function websiteMatches(
  clientUri: string | undefined,
  redirectUri: string,
): boolean | undefined {
  const site = clientUri === undefined ? undefined : siteOf(clientUri)
  const back = siteOf(redirectUri)
  if (site === undefined || back === undefined) return undefined
  return site === back || back.endsWith(`.${site}`) || site.endsWith(`.${back}`)
}

function websiteLine(view: ConsentView): Html {
  const { vendor, request } = view
  const back =
    siteOf(request.redirectUri) ?? new URL(request.redirectUri).protocol.replace(/:$/, '')
  const site = vendor.uri === undefined ? undefined : siteOf(vendor.uri)
  const match = websiteMatches(vendor.uri, request.redirectUri)
  if (site === undefined)
    return html`<p class="site-check">${vendor.name} names no website; after you decide you go to <strong>${back}</strong>.</p>`
  if (match)
    return html`<p class="site-check ok">${vendor.name} says its website is <strong>${site}</strong>; after you decide you go back to <strong>${back}</strong>.</p>`
  return html`<p class="notice error site-check" role="note">Careful: ${vendor.name} says its website is <strong>${site}</strong>, but after you decide you are sent to <strong>${back}</strong>, a different site. Approve only if you trust it.</p>`
}

/**
 * The machine-readable purposes (DPV, issue 12) in plain words, each with its IRI for whoever wants
 * to look it up. A request that named none carries service provision, and says so.
 */
function purposesLine(view: ConsentView): Html {
  const { purposes } = view.request.access
  const items = purposes.map((iri) => {
    const known = purposeOf(iri)
    return html`<li>${known?.plain ?? iri} <span class="muted">(<abbr title="${iri}">${known?.curie ?? iri}</abbr>)</span></li>`
  })
  return html`<div class="purposes"><p><strong>${view.vendor.name} may use what you share only:</strong></p><ul>${items}</ul></div>`
}

/** The owner's terms the vendor accepted, in plain words; nothing when it accepted none. */
function termsLine(view: ConsentView): Html | '' {
  const terms = view.request.access.acceptedTerms
  if (terms.length === 0) return ''
  return html`<p>${view.vendor.name} agrees to follow ${terms.length === 1 ? 'this term of yours' : 'these terms of yours'}: ${terms.join(', ')}.</p>`
}

/** A roster agreement in plain words: its title, id and our summary, linked to the roster. */
function agreementText(id: string): Html {
  const a = agreementOf(id)
  if (!a) return html`${id}`
  return html`<strong>${a.title}</strong> <span class="muted">(<a href="${a.url}" rel="noopener noreferrer">${a.id}</a>)</span>: ${a.summary}`
}

/**
 * The owner's MyTerms proffer and the vendor's answer (IEEE 7012), in plain words. A counter-offer
 * is hers to accept or decline (one round: no further offer); a purpose the agreement does not
 * allow is pointed out.
 */
function mytermsBlock(view: ConsentView): Html | '' {
  const answer = view.request.access.myterms
  if (!answer) return ''
  const name = view.vendor.name
  const warn = (id: string) => {
    const agreement = agreementOf(id)
    const outside = agreement ? uncoveredPurposes(agreement, view.request.access.purposes) : []
    return outside.length === 0
      ? ''
      : html`<p class="notice error" role="note">Careful: this agreement does not allow ${outside.map((iri) => purposeOf(iri)?.plain ?? iri).join('; ')}.</p>`
  }
  const proffered = html`<p>You proffered your terms: ${agreementText(answer.proffered)}</p>`
  if (answer.answer === 'accept')
    return html`<fieldset class="myterms"><legend>Your terms</legend>${proffered}<p><strong>${name} accepted them.</strong> What you share is under this agreement, signed by both of you.</p>${warn(answer.proffered)}</fieldset>`
  if (answer.answer === 'decline')
    return html`<fieldset class="myterms"><legend>Your terms</legend>${proffered}<p><strong>${name} declined them</strong> and offers no agreement. If you approve, what you share is under no agreement of yours.</p></fieldset>`
  const counter = answer.counter ?? ''
  const form = view.owner
    ? html`<p>Do you accept ${name}’s alternative? There is no further round.</p>
<label class="check"><input type="radio" name="counter_response" value="accept" required> Accept the alternative</label>
<label class="check"><input type="radio" name="counter_response" value="decline"> Decline it (then no agreement of yours applies)</label>`
    : ''
  return html`<fieldset class="myterms"><legend>Your terms</legend>${proffered}<p><strong>${name} did not accept them and offers instead:</strong> ${agreementText(counter)}</p>${warn(counter)}${form}</fieldset>`
}

/** The sellers the owner may say are this vendor, with what each would share. */
function sellerLinks(view: ConsentView): Html | '' {
  const slice = view.request.access.purchases
  const sellers = view.owner?.sellers
  if (!slice?.madeWithVendor || sellers === undefined) return ''
  const name = view.vendor.name
  if (sellers.length === 0)
    return html`<p class="muted">None of your purchases names a seller like ${name}: only receipts ${name} sends and you accept are shared. You can link a seller to ${name} later by editing one of its purchases.</p>`
  return html`<div class="seller-links"><p>Which of your sellers are ${name}? Purchases from the sellers you tick are shared as made with ${name}, together with the receipts ${name} sends and you accept.</p>${sellers.map(
    (s) =>
      html`<label class="check"><input type="checkbox" name="link_seller" value="${s.seller}"${s.preselected ? html` checked` : ''}> ${s.seller} <span class="muted">(shares ${s.purchases} purchase${s.purchases === 1 ? '' : 's'})</span></label>`,
  )}</div>`
}

function fieldRows(view: ConsentView): Html[] {
  return view.request.access.fields.map((selector) => {
    const label = html`<strong>${selectorLabel(selector)}</strong> <span class="muted">(${selector})</span>`
    if (!view.owner) return html`<li>${label}</li>`
    const values = view.owner.values.filter((v) => selectorMatches(selector, v.path))
    const shown =
      values.length === 0
        ? html`<div class="value">no value yet</div>`
        : values.map(
            (v) =>
              html`<div class="value">${v.path === selector ? '' : `${selectorLabel(v.path)}: `}${preview(v.value)}</div>`,
          )
    return html`<label class="check"><input type="checkbox" name="field" value="${selector}" checked> ${label}</label>${shown}`
  })
}

function durationSelect(requested: number): Html {
  const options = [requested, ...DURATIONS.filter((d) => d < requested)]
  return html`<label for="duration_seconds">For how long</label><select id="duration_seconds" name="duration_seconds">${options.map((d) => html`<option value="${d}"${d === requested ? html` selected` : ''}>${humanDuration(d)}</option>`)}</select>`
}

/**
 * A single-use request said in plain words (issue 12 §5): the first read ends the grant, so the
 * owner knows this is one look, not a standing connection.
 */
function onceLine(view: ConsentView): Html | '' {
  if (view.request.access.accessMode !== 'singleUse') return ''
  return html`<p class="access-mode"><strong>Once:</strong> ${view.vendor.name} may read this one time. The grant ends with that read.</p>`
}

export function renderConsentPage(c: Context, view: ConsentView): Response | Promise<Response> {
  const { request, vendor, issuer } = view
  const access = request.access
  const slice = purchaseSlice(view)
  const appends = access.actions.includes('append')
  // Issue 13: the words the owner sees for `converse`.
  const converses = access.actions.includes('converse')
  // Issue 13: the words the owner sees for `intents`.
  const intents = access.actions.includes('intents')
  // Issue 14: the words the owner sees for `draft` (her assistant's proposals).
  const drafts = access.actions.includes('draft')
  const fields = fieldRows(view)
  const returnOrigin = redirectTarget(request.redirectUri)
  const pendingPath = `/oauth/authorize/pending/${view.pendingId}`

  const header = html`<div class="vendor">${vendorMonogram(vendor.name)}<div>
<h1>${vendor.name} asks for access to your data</h1>
<p class="muted">${vendor.uri ? html`<a href="${vendor.uri}" rel="noopener noreferrer">${vendor.uri}</a> · ` : ''}known to this vault since ${vendor.createdAt.slice(0, 10)} · you will be sent back to ${returnOrigin}</p></div></div>
${websiteLine(view)}
<p><strong>Purpose, in ${vendor.name}’s words:</strong> ${access.purpose}</p>
${purposesLine(view)}
${onceLine(view)}
${termsLine(view)}`
  const myterms = mytermsBlock(view)

  if (!view.owner) {
    return htmlPage(
      c,
      200,
      'Sign in to decide',
      html`${header}
<fieldset><legend>Asked for</legend><ul>${fields}${slice ? html`<li>${slice}</li>` : ''}${appends ? html`<li>Adding purchase receipts to your inbox</li>` : ''}${converses ? html`<li>May write to you in Custos</li>` : ''}${intents ? html`<li>May see requests you publish and send you offers</li>` : ''}${drafts ? html`<li>May propose intents and messages for you to approve</li>` : ''}</ul>
<p class="muted">for ${humanDuration(access.durationSeconds)}</p></fieldset>
${myterms}
<form method="post" action="${issuer}/owner/session">
<input type="hidden" name="return_to" value="${pendingPath}">
<label for="passphrase">Your vault passphrase</label><input type="password" id="passphrase" name="passphrase" autocomplete="current-password" required>
<p><button type="submit">Sign in to decide</button></p></form>
<p><a href="${issuer}${pendingPath}">Already signed in? Continue</a></p>`,
    )
  }

  return htmlPage(
    c,
    200,
    `${vendor.name} asks for access`,
    html`${header}
<form method="post" action="${issuer}/oauth/authorize/decision">
<input type="hidden" name="request_id" value="${view.pendingId}">
<input type="hidden" name="csrf_token" value="${view.owner.csrfToken}">
${fields.length > 0 ? html`<fieldset><legend>Fields (untick what you do not want to share)</legend>${fields}</fieldset>` : ''}
${slice ? html`<fieldset><legend>Purchases</legend><label class="check"><input type="checkbox" name="purchases" value="read" checked> ${slice}</label>${sellerLinks(view)}</fieldset>` : ''}
${appends ? html`<fieldset><legend>Receipts</legend><label class="check"><input type="checkbox" name="append" value="purchases" checked> Add purchase receipts to your inbox (you accept or reject each)</label></fieldset>` : ''}
${converses ? html`<fieldset><legend>Conversations</legend><label class="check"><input type="checkbox" name="converse" value="yes" checked> May write to you in Custos (you keep every message; revoking ends its access, never your copy)</label></fieldset>` : ''}
${intents ? html`<fieldset><legend>Intents</legend><label class="check"><input type="checkbox" name="intents" value="yes" checked> May see requests you publish and send you offers (never who you are; blocking it ends this)</label></fieldset>` : ''}
${drafts ? html`<fieldset><legend>Drafts</legend><label class="check"><input type="checkbox" name="draft" value="yes" checked> May propose intents and messages for you to approve (nothing is sent until you send it)</label></fieldset>` : ''}
${myterms}
<fieldset><legend>Duration</legend>${durationSelect(access.durationSeconds)}<p class="muted">You can revoke at any time.</p></fieldset>
<p class="decision"><button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button></p>
</form>`,
    // A redirect after the form's POST must be allowed by form-action (CSP 3; browsers check it).
    { formTargets: [returnOrigin] },
  )
}
