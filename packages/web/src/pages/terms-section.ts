import type { Context } from 'hono'
import { html } from 'hono/html'
import type { OwnerPageKit } from '@custos/consent-api'
import { agreementDownloadLink } from './agreement-download.js'
import { type Html, csrfField, notice } from './layout.js'
import type { PageEnv } from './owner-gate.js'

/** The form's name for an agreement's place in the owner's order (`rank.SD-BASE` = 1, 2, …). */
export const rankField = (id: string) => `rank.${id}`

/**
 * Settings → Your terms (IEEE 7012 "MyTerms", issue 12): the roster agreements the owner proffers
 * to vendors, in order of preference (each given a place, or none), whether a grant needs an
 * agreement that covers its purposes, and whether a vendor that declines may still ask. The
 * error (settings-terms.ts puts it under `terms`) and the saved notice are shown in place.
 */
export async function termsSection(
  c: Context<PageEnv>,
  kit: OwnerPageKit,
  token: string,
  errors: object,
): Promise<Html> {
  const error = 'terms' in errors && typeof errors.terms === 'string' ? errors.terms : undefined
  const terms = kit.actions.terms
  const policy = await terms.get()
  const places = terms.roster.length
  const rankSelect = (id: string, title: string) => {
    const at = policy.proffered.indexOf(id) + 1
    const options = [
      html`<option value=""${at === 0 ? html` selected` : ''}>Not proffered</option>`,
    ]
    for (let n = 1; n <= places; n++)
      options.push(
        html`<option value="${n}"${at === n ? html` selected` : ''}>Choice ${n}</option>`,
      )
    return html`<select id="${rankField(id)}" name="${rankField(id)}" aria-label="Your preference for ${title}">${options}</select>`
  }
  const saved = c.req.query('done') === 'terms' && error === undefined
  return html`<section aria-labelledby="terms-h"><h2 id="terms-h">Your terms</h2>
${saved ? notice('ok', 'Saved: vendors are proffered your terms from now on.') : ''}
<form method="post" action="/settings/terms">${csrfField(token)}
<fieldset aria-describedby="terms-hint${error ? ' terms-error' : ''}"><legend>Agreements you proffer to vendors</legend>
<p class="muted hint" id="terms-hint">Standard agreements from the MyTerms roster (IEEE 7012). A vendor that asks for your data is proffered your first choice it accepts; it may accept, offer one alternative from the roster (you accept or decline it when you decide), or decline. Both of you keep the signed record.</p>
${terms.roster.map(
  (a) =>
    html`<div class="agreement"><label for="${rankField(a.id)}"><strong>${a.title}</strong> <span class="muted">(<a href="${a.url}" rel="noopener noreferrer">${a.id}</a>)</span></label> ${rankSelect(a.id, a.title)}<p class="muted">${a.summary}</p></div>`,
)}
<label class="check"><input type="checkbox" name="require_agreement" value="yes"${policy.requireAgreement ? html` checked` : ''}> Share nothing without an agreement that allows every purpose asked for</label>
<label class="check"><input type="checkbox" name="allow_after_decline" value="yes"${policy.allowAfterDecline ? html` checked` : ''}> Still show me requests from vendors that decline my terms</label>
</fieldset>${error ? html`<p class="field-error" id="terms-error" role="alert">${error}</p>` : ''}
<p><button type="submit">Save</button></p>
</form>${agreementDownloadLink()}</section>`
}
