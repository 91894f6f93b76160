import type { Context } from 'hono'
import { html } from 'hono/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { OwnerPageKit, RotationState } from '@custos/consent-api'
import type { VaultStatus } from '@custos/vault'
import { type Html, csrfField, fixedMessage, notice, page } from './layout.js'
import type { PageEnv } from './owner-gate.js'
import { type PassphraseError, passphraseSection } from './passphrase-section.js'
import { type RestoreProblem, restoreFields } from './restore-upload.js'
import { type NewRegistrationToken, registrationSection } from './registration-section.js'
import { purposePolicySection } from './purpose-policy-section.js'
import { sessionsSection } from './sessions-section.js'
import { termsSection } from './terms-section.js'
import { timeZoneSection } from './time-zone-section.js'

/** Errors shown in place on the settings page, one per form at most. */
export interface SettingsErrors {
  readonly passphrase?: PassphraseError
  readonly sessions?: string
  /** The export's passphrase check (a plaintext export asks for it again). */
  readonly export?: string
  readonly rotate?: string
  readonly restore?: RestoreProblem
  readonly delete?: string
  readonly registration?: string
  readonly timeZone?: string
  readonly purposes?: string
}

/** Fixed notices chosen by `?done=` (nothing the request says is echoed). */
const DONE: Record<string, string> = {
  passphrase: 'Your passphrase is changed. Other browsers were signed out.',
  'session-ended': 'That browser is signed out.',
  'sessions-ended': 'Every other browser is signed out.',
  rotation: 'Key rotation started.',
  registration: 'Who may connect is saved.',
  'token-revoked': 'The registration token is revoked.',
  'time-zone': 'Your time zone is saved: times are now shown in it.',
  purposes: 'Saved: requests for the purposes you ticked are refused from now on.',
}

const errorBlock = (id: string, message: string | undefined) =>
  message ? html`<p class="field-error" id="${id}" role="alert">${message}</p>` : ''
const describedBy = (id: string, message: string | undefined, hint?: string) => {
  const ids = [hint, message ? id : undefined].filter(Boolean).join(' ')
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${message ? html` aria-invalid="true"` : ''}`
}

/**
 * The settings page (PRODUCT.md step 6): passphrase, keys, who may connect, the purposes never
 * allowed, export and backup, restore, delete.
 * Each section is its own form, so a mistake in one shows in place without touching the others.
 */
export async function renderSettings(
  c: Context<PageEnv>,
  kit: OwnerPageKit,
  status: ContentfulStatusCode,
  errors: SettingsErrors = {},
  created?: NewRegistrationToken,
): Promise<Response> {
  const token = c.var.session.csrfToken
  const vaultStatus = await kit.actions.read.status()
  const done = fixedMessage(DONE, c.req.query('done'))
  const body = html`<h1>Settings</h1>
${status === 200 ? notice('ok', done) : ''}
${passphraseSection(c.var.session, c.var.timeZone, errors.passphrase)}

${await sessionsSection(kit, c.var.session, c.var.timeZone, errors.sessions)}

<section aria-labelledby="keys-h"><h2 id="keys-h">Encryption keys</h2>
${rotationView(kit.actions.keys.state, vaultStatus)}
${errors.rotate ? notice('error', errors.rotate) : ''}
<form method="post" action="/settings/rotate">${csrfField(token)}
<p class="muted">Rotating re-encrypts everything in your vault under a new key, while the vault stays in use. Do it if you think a copy of your vault and passphrase may have leaked.</p>
<p><button type="submit"${kit.actions.keys.busy ? html` disabled` : ''}>Rotate keys</button></p>
</form></section>

${await registrationSection(kit, token, errors.registration, created)}

${purposePolicySection(token, (await kit.actions.purposePolicy.get()).neverFor, errors.purposes)}
${await termsSection(c, kit, token, errors)}

${timeZoneSection(kit, token, c.var.timeZone, kit.now(), errors.timeZone)}

<section aria-labelledby="export-h"><h2 id="export-h">Export and backup</h2>
<p><strong>Export</strong>: everything in your vault as readable JSON, to keep or to take to another service. It is <em>not</em> encrypted — store it carefully.</p>
<form method="post" action="/settings/export">${csrfField(token)}
<label for="export_passphrase">Your passphrase (a readable export needs it again)</label>
<input type="password" id="export_passphrase" name="passphrase" autocomplete="current-password" required${describedBy('export-error', errors.export)}>${errorBlock('export-error', errors.export)}
<p><button type="submit" class="secondary">Download export</button></p></form>
<p><strong>Encrypted backup</strong>: a complete copy that only your passphrase or recovery key can open. Use it to move to a new computer or to recover from a lost disk.</p>
<form method="post" action="/settings/backup">${csrfField(token)}<p><button type="submit" class="secondary">Download backup</button></p></form>
</section>

<section aria-labelledby="restore-h"><h2 id="restore-h">Restore a backup</h2>
<p>Replaces <strong>everything</strong> in this vault with the backup's contents and keys. The whole file is checked first: a damaged or altered backup is refused and nothing here changes.</p>
<form method="post" action="/settings/restore" enctype="multipart/form-data">${csrfField(token)}
${restoreFields(errors.restore)}
<p><button type="submit" class="danger" data-confirm="Replace everything in this vault with the backup?">Restore</button></p>
</form></section>

<section aria-labelledby="delete-h"><h2 id="delete-h">Delete the vault</h2>
<form method="post" action="/settings/delete" class="card danger-zone">${csrfField(token)}
<p>Erases every field, purchase, connection and log entry, and the keys that could open any copy. This cannot be undone: download a backup first if you may want it back. Vendors lose access at once.</p>
<label for="delete_confirm">Type <kbd>delete my vault</kbd> to confirm</label>
<input type="text" id="delete_confirm" name="confirm" autocomplete="off" spellcheck="false"${describedBy('delete-error', errors.delete)}>${errorBlock('delete-error', errors.delete)}
<p><button type="submit" class="danger">Delete my vault</button></p>
</form></section>`
  return page(c, status, 'Settings', body, { csrfToken: token, current: '/settings' })
}

function rotationView(state: RotationState | undefined, status: VaultStatus): Html | string {
  if (state?.running) {
    const label =
      state.total > 0 ? `${state.done} of ${state.total} records re-encrypted` : 'Preparing…'
    // data-poll-reload: custos.js reloads the page until the job ends; without script, reload by hand.
    return html`<p id="rotation-label">Rotating keys: ${label}.</p>
<progress aria-labelledby="rotation-label" data-poll-reload="1500"${state.total > 0 ? html` value="${state.done}" max="${state.total}"` : ''}></progress>
<p class="muted">You can keep using Custos meanwhile. Reload this page to see the progress.</p>`
  }
  if (state?.error)
    return notice(
      'error',
      `The last rotation stopped early (${state.error}). Rotate keys again to finish it — it resumes where it stopped.`,
    )
  if (status.state === 'unsealed' && status.rotationPending)
    return notice('error', 'A key rotation was interrupted. Rotate keys to finish it.')
  if (state?.finishedAt)
    return notice(
      'ok',
      `Keys rotated: everything is now encrypted under key ${state.term ?? ''} (finished ${state.finishedAt.slice(0, 16).replace('T', ' ')} UTC).`,
    )
  return html`<p>Current key number: ${status.state === 'unsealed' ? status.currentTerm : '—'}.</p>`
}
