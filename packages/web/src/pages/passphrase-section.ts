import { html } from 'hono/html'
import type { OwnerSession } from '@custos/consent-api'
import { type Html, csrfField } from './layout.js'
import { localTime } from './local-time.js'
import { STRENGTH_LABELS } from './passphrase-strength.js'

/** An error shown in place under one field of the passphrase form. */
export interface PassphraseError {
  readonly field: 'current' | 'new' | 'confirm'
  readonly message: string
}

const errorBlock = (id: string, message: string | undefined) =>
  message ? html`<p class="field-error" id="${id}" role="alert">${message}</p>` : ''
const describedBy = (id: string, message: string | undefined, hint?: string) => {
  const ids = [hint, message ? id : undefined].filter(Boolean).join(' ')
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${message ? html` aria-invalid="true"` : ''}`
}

/**
 * The settings page's passphrase form. A session that proved the recovery key a short while ago
 * (`session.recoveryUntil`, issue 10) gets it without the "current passphrase" field: the owner
 * forgot it, and the recovery key stood in for it. Changing takes seconds (Argon2 with the
 * vault's cost): the note says so, and custos.js shows a progress bar on submit (`data-busy`).
 */
export function passphraseSection(
  session: OwnerSession,
  zone: string,
  error?: PassphraseError,
): Html {
  const pe = (f: PassphraseError['field']) => (error?.field === f ? error.message : undefined)
  const until = session.recoveryUntil
  const recovering = until !== undefined
  const intro = recovering
    ? html`<p class="notice ok" role="status">You signed in with your recovery key: choose a new passphrase now. The old one is not needed until ${localTime(until, zone)}; after that, sign in with the recovery key again.</p>`
    : ''
  const current = recovering
    ? ''
    : html`<label for="current_passphrase">Current passphrase</label>
<input type="password" id="current_passphrase" name="current_passphrase" autocomplete="current-password" required${describedBy('current-error', pe('current'))}>${errorBlock('current-error', pe('current'))}`
  return html`<section aria-labelledby="passphrase-h"><h2 id="passphrase-h">${recovering ? 'Choose a new passphrase' : 'Passphrase'}</h2>${intro}
<form method="post" action="/settings/passphrase" data-busy="passphrase-busy">${csrfField(session.csrfToken)}
${current}
<label for="new_passphrase">New passphrase</label>
<p class="muted hint" id="new-hint">At least 14 characters; four or more ordinary words work well.</p>
<input type="password" id="new_passphrase" name="new_passphrase" autocomplete="new-password" required data-strength="new-strength"${describedBy('new-error', pe('new'), 'new-hint')}>${errorBlock('new-error', pe('new'))}
<div class="meter" id="new-strength" aria-hidden="true"><span></span></div>
<p class="muted" aria-live="polite">Strength: <span id="new-strength-label">${STRENGTH_LABELS[0]}</span></p>
<label for="confirm_passphrase">Type the new passphrase again</label>
<input type="password" id="confirm_passphrase" name="confirm_passphrase" autocomplete="new-password" required${describedBy('confirm-error', pe('confirm'))}>${errorBlock('confirm-error', pe('confirm'))}
<p class="muted">Changing the passphrase takes a few seconds: the key is derived slowly on purpose. Wait for this page to come back.</p>
<p><button type="submit">Change passphrase</button></p>
<p class="busy" id="passphrase-busy" role="status" hidden><progress aria-label="Changing the passphrase"></progress> Changing the passphrase…</p>
</form></section>`
}
