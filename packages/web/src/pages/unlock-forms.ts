import { html } from 'hono/html'
import { PROBLEMS } from '@custos/consent-api'
import { UnlockThrottledError, VaultError } from '@custos/vault'
import type { FormValues } from './form-values.js'
import type { Html } from './layout.js'

/**
 * The two ways the owner proves it is them — the passphrase, or the recovery key from set-up —
 * shared by /unlock (sealed vault) and /signin (unsealed vault, no session). Two small forms
 * rather than a script-driven toggle, so both work without JavaScript.
 */
export interface SecretFormsOptions {
  readonly action: '/unlock' | '/signin'
  /** The passphrase form's button text ("Unlock" / "Sign in"). */
  readonly button: string
  /** A checked local path to return to afterwards. */
  readonly next?: string | undefined
  /** An error to show in place, under the form it belongs to. */
  readonly error?:
    | { readonly form: 'passphrase' | 'recovery'; readonly message: string }
    | undefined
}

export function secretForms(o: SecretFormsOptions): Html {
  const nextField = o.next ? html`<input type="hidden" name="next" value="${o.next}">` : ''
  const err = (form: 'passphrase' | 'recovery', id: string) =>
    o.error?.form === form
      ? html`<p class="field-error" id="${id}" role="alert">${o.error.message}</p>`
      : ''
  const described = (form: 'passphrase' | 'recovery', id: string) =>
    o.error?.form === form ? html` aria-describedby="${id}" aria-invalid="true"` : ''
  return html`<form method="post" action="${o.action}">${nextField}
<label for="passphrase">Passphrase</label>
<input type="password" id="passphrase" name="passphrase" autocomplete="current-password" required autofocus${described('passphrase', 'passphrase-error')}>
${err('passphrase', 'passphrase-error')}
<p><button type="submit">${o.button}</button></p>
</form>
<details${o.error?.form === 'recovery' ? html` open` : ''}><summary>Forgot the passphrase? Use the recovery key</summary>
<form method="post" action="${o.action}">${nextField}
<label for="recovery_key">Recovery key</label>
<input type="text" id="recovery_key" name="recovery_key" autocomplete="off" autocapitalize="characters" spellcheck="false" required${described('recovery', 'recovery-error')}>
${err('recovery', 'recovery-error')}
<p><button type="submit">${o.button} with recovery key</button></p>
<p class="muted">This opens the vault and takes you to Settings, where you choose a new passphrase without the old one (within 15 minutes).</p>
</form></details>`
}

export type SecretCredentials = { readonly passphrase: string } | { readonly recoveryKey: string }

/** The secret a submitted form carries: the recovery key if its box was filled, else the passphrase. */
export function submittedSecret(
  form: FormValues,
): { credentials: SecretCredentials; form: 'passphrase' | 'recovery' } | undefined {
  const recoveryKey = form.text('recovery_key').trim()
  if (recoveryKey)
    return recoveryKey.length <= 200
      ? { credentials: { recoveryKey }, form: 'recovery' }
      : undefined
  const passphrase = form.text('passphrase')
  if (passphrase && passphrase.length <= 1024)
    return { credentials: { passphrase }, form: 'passphrase' }
  return undefined
}

/** "Try again in 42 seconds (at 07:15 UTC)." — honest about how long the block lasts (SECURITY.md 8). */
export function throttleMessage(retryAt: Date, now: Date): string {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000))
  const wait = seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`
  return `Too many wrong attempts. Try again in ${wait} (at ${retryAt.toISOString().slice(11, 16)} UTC).`
}

/**
 * What to tell the owner when the vault refused a secret; undefined for errors that are not about
 * the secret (those go to the error page). Deliberately no hint about *why* (SECURITY.md 7).
 * Statuses are the API's for the same codes (api-problems.ts), so both doors answer alike.
 */
export function secretRefusal(
  err: unknown,
  now: Date,
): { status: 400 | 401 | 429; message: string } | undefined {
  if (err instanceof UnlockThrottledError)
    return {
      status: PROBLEMS.ERR_UNLOCK_THROTTLED.status,
      message: throttleMessage(err.retryAt, now),
    }
  if (!(err instanceof VaultError)) return undefined
  switch (err.code) {
    case 'ERR_UNLOCK_FAILED':
      return {
        status: PROBLEMS.ERR_UNLOCK_FAILED.status,
        message: 'That was not accepted. Check the passphrase or recovery key and try again.',
      }
    case 'ERR_RECOVERY_KEY_FORMAT':
      return {
        status: PROBLEMS.ERR_RECOVERY_KEY_FORMAT.status,
        message:
          'That does not look like a recovery key. Type it as it was shown at set-up (groups of letters and digits).',
      }
    default:
      return undefined
  }
}
