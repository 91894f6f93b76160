import { html } from 'hono/html'
import type { OwnerPageKit, RegistrationTokenView } from '@custos/consent-api'
import { type Html, csrfField, notice } from './layout.js'

/** A token just created: shown on the answer to the form that made it, and never again. */
export interface NewRegistrationToken {
  readonly token: string
  readonly label: string | null
}

/**
 * The Settings section "Who may connect": open registration, or registration only with an
 * initial access token (RFC 7591 §3) the owner creates here and gives to the application's
 * developer. The same service as the owner API's `/owner/registration` (kit.registration).
 */
export async function registrationSection(
  kit: OwnerPageKit,
  csrfToken: string,
  error: string | undefined,
  created: NewRegistrationToken | undefined,
): Promise<Html> {
  const [mode, tokens] = await Promise.all([
    kit.actions.registration.mode(),
    kit.actions.registration.tokens(),
  ])
  const radio = (value: 'open' | 'token', label: string) =>
    html`<label class="check"><input type="radio" name="mode" value="${value}"${mode === value ? html` checked` : ''}> ${label}</label>`
  return html`<section aria-labelledby="registration-h"><h2 id="registration-h">Who may connect</h2>
<p>An application registers itself with your vault before it can ask you for access. Registrations are limited to a few per hour; each one appears under Connections.</p>
${error ? notice('error', error) : ''}
<form method="post" action="/settings/registration">${csrfField(csrfToken)}
<fieldset><legend>Registration</legend>
${radio('open', 'Open: any application may register')}
${radio('token', 'Invitation only: an application needs a registration token you created')}
</fieldset>
<p><button type="submit" class="secondary">Save</button></p>
</form>
${created ? html`${notice('ok', `Registration token created${created.label ? ` for ${created.label}` : ''}. Copy it now: it is shown only this once.`)}<p><code id="new-registration-token">${created.token}</code></p>` : ''}
<h3>Registration tokens</h3>
${tokens.length > 0 ? html`<ul class="tokens">${tokens.map((t) => tokenItem(t, csrfToken))}</ul>` : html`<p class="muted">No registration tokens.</p>`}
<form method="post" action="/settings/registration/tokens">${csrfField(csrfToken)}
<label for="registration_token_label">Who is the token for? (optional)</label>
<input type="text" id="registration_token_label" name="label" maxlength="200" autocomplete="off">
<p><button type="submit" class="secondary">Create token</button></p>
</form></section>`
}

function tokenItem(t: RegistrationTokenView, csrfToken: string): Html {
  return html`<li>${t.label ?? 'Unnamed token'} <span class="muted">created ${t.createdAt.slice(0, 10)} · ${t.lastUsedAt ? `last used ${t.lastUsedAt.slice(0, 10)}` : 'never used'}</span>
<form method="post" action="/settings/registration/tokens/${t.id}/revoke" class="inline">${csrfField(csrfToken)}<button type="submit" class="danger" data-confirm="Revoke this token? Applications can no longer register with it.">Revoke</button></form></li>`
}
