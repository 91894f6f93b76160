import { html } from 'hono/html'
import type { Vendor } from '@custos/vault'
import type { VendorSignals } from '@custos/consent-api'
import { type Html, csrfField } from './layout.js'
import { localTime } from './local-time.js'

/** A push error code (signal-delivery.ts) in words; an unknown code is shown as it is. */
const ERRORS: Record<string, string> = {
  unreachable: 'its server could not be reached',
  timeout: 'its server did not answer in time',
}
function errorText(code: string): string {
  if (ERRORS[code]) return ERRORS[code]
  const http = /^http_(\d{3})$/.exec(code)
  if (http) return `its server answered ${http[1]}`
  const set = /^set_([a-z_]+)$/.exec(code)
  if (set) return `its server refused the message (${set[1]?.replace(/_/g, ' ')})`
  return code
}

/**
 * Connections → what the vendor has heard from the vault (issue 12, signals): whether the news of
 * revocations, changes and requests reached it, and the owner's erasure request with its answer.
 */
export function vendorSignals(
  v: Vendor,
  s: VendorSignals | undefined,
  csrfToken: string,
  zone: string,
): Html {
  const delivery =
    s === undefined || s.waiting === 0
      ? html`<dd>Up to date${s?.lastDeliveredAt ? html` (last message ${localTime(s.lastDeliveredAt, zone)})` : ''}.</dd>`
      : html`<dd class="warning">${s.waiting} message${s.waiting === 1 ? '' : 's'} waiting since ${localTime(s.waitingSince as string, zone)}${s.lastError ? html`: ${errorText(s.lastError)}; Custos keeps trying` : ', not yet delivered or collected'}.</dd>`
  const erasure = s?.erasure
  const erasureText = erasure
    ? html`<dd>Asked ${localTime(erasure.requestedAt, zone)}, ${
        erasure.acknowledgedAt
          ? html`<strong>acknowledged</strong> ${localTime(erasure.acknowledgedAt, zone)} (signed by ${v.name})`
          : 'no answer yet'
      }.</dd>`
    : html`<dd class="muted">Never asked.</dd>`
  return html`<dl class="facts signals"><dt>Messages to ${v.name}</dt>${delivery}<dt>Asked to erase your data</dt>${erasureText}</dl>
<form method="post" action="/connections/vendors/${v.id}/erasure" class="inline">${csrfField(csrfToken)}<button type="submit" class="secondary" data-confirm="Ask ${v.name} to erase everything it holds about you? It is told at once and answers with a signed confirmation.">Ask ${v.name} to erase my data</button></form>`
}
