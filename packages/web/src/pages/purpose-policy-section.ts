import { html } from 'hono/html'
import { DPV, type Purpose, purposeOf } from '@custos/vault'
import { type Html, csrfField } from './layout.js'

/**
 * The purposes offered in Settings → "Never for" (issue 12): the ones an owner is most likely to
 * refuse outright. Each covers its narrower purposes (refusing marketing refuses advertising too);
 * the owner API (`PUT /owner/purpose-policy`) takes any purpose in the catalogue.
 */
export const OFFERED_REFUSALS: readonly Purpose[] = [
  `${DPV}Marketing`,
  `${DPV}PersonalisedAdvertising`,
  `${DPV}SellDataToThirdParties`,
  `${DPV}SellInsightsFromData`,
  'https://w3id.org/dpv/ai#ModelTraining',
  `${DPV}ResearchAndDevelopment`,
  `${DPV}ServiceUsageAnalytics`,
  `${DPV}Personalisation`,
].map((iri) => purposeOf(iri) as Purpose)

/**
 * Settings → Never for: purposes no vendor may ask for. A request naming one is refused before it
 * reaches the consent page, the vendor is told which purpose, and the log shows it.
 */
export function purposePolicySection(
  token: string,
  neverFor: readonly string[],
  error: string | undefined,
): Html {
  const chosen = new Set(neverFor)
  // Purposes set through the API that the page does not offer stay visible, and stay set.
  const shown = [
    ...OFFERED_REFUSALS,
    ...neverFor
      .filter((iri) => !OFFERED_REFUSALS.some((p) => p.iri === iri))
      .map((iri) => purposeOf(iri))
      .filter((p): p is Purpose => p !== undefined),
  ]
  return html`<section aria-labelledby="purposes-h"><h2 id="purposes-h">Never for</h2>
<form method="post" action="/settings/purposes">${csrfField(token)}
<fieldset aria-describedby="purposes-hint${error ? ' purposes-error' : ''}"><legend>Refuse every request to use your data:</legend>
<p class="muted hint" id="purposes-hint">Vendors say what they want your data for in words anyone can check (the W3C Data Privacy Vocabulary). A request for a purpose you tick — or a narrower one: refusing marketing refuses advertising too — is turned down before it reaches you, the vendor is told why, and your log shows it.</p>
${shown.map(
  (p) =>
    html`<label class="check"><input type="checkbox" name="never_for" value="${p.iri}"${chosen.has(p.iri) ? html` checked` : ''}> ${p.plain} <span class="muted">(${p.curie})</span></label>`,
)}</fieldset>${error ? html`<p class="field-error" id="purposes-error" role="alert">${error}</p>` : ''}
<p><button type="submit">Save</button></p>
</form></section>`
}
