import { html } from 'hono/html'
import type { OwnerPageKit } from '@custos/consent-api'
import { type Html, csrfField } from './layout.js'
import { zonedText } from './local-time.js'

/**
 * Settings → Time zone (issue 10: every time was UTC only): the zone the pages show times in,
 * with the exact UTC time on hover. A list rather than a text box: every choice is a zone the
 * server can format in (ECMA-402 `Intl.supportedValuesOf('timeZone')`), checked again on save.
 */
export function timeZoneSection(
  kit: OwnerPageKit,
  token: string,
  zone: string,
  now: Date,
  error: string | undefined,
): Html {
  return html`<section aria-labelledby="time-zone-h"><h2 id="time-zone-h">Time zone</h2>
<form method="post" action="/settings/time-zone">${csrfField(token)}
<label for="time_zone">Show times in</label>
<p class="muted hint" id="time-zone-hint">Now: ${zonedText(now.toISOString(), zone)}. Point at a time on any page to see it in UTC.</p>
<select id="time_zone" name="time_zone" aria-describedby="time-zone-hint${error ? ' time-zone-error' : ''}"${error ? html` aria-invalid="true"` : ''}>${kit.actions.timeZone.choices.map(
    (z) =>
      html`<option value="${z}"${z === zone ? html` selected` : ''}>${z.replace(/_/g, ' ')}</option>`,
  )}</select>${error ? html`<p class="field-error" id="time-zone-error" role="alert">${error}</p>` : ''}
<p><button type="submit">Save time zone</button></p>
</form></section>`
}
