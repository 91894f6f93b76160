import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { html } from 'hono/html'
import { PROBLEMS } from '@custos/consent-api'
import { type Credentials, VaultError } from '@custos/vault'
import type { FormValues } from './form-values.js'
import { type Html, notice, page } from './layout.js'
import { secretRefusal } from './unlock-forms.js'

/**
 * A backup uploaded through a restore form (settings, or set-up on a new machine): the file and
 * the secret that opens it. The browser's multipart upload is read into memory whole (the vault
 * verifies every byte before replacing anything, SECURITY.md 12), so the forms take at most
 * {@link RESTORE_PAGE_LIMIT}, well under the owner API's streamed `POST /owner/restore`; larger
 * vaults restore with `custos restore`. createApp skips its small default body limit for the
 * forms' paths only (consent-api body-limits.ts); this limit applies before the body is read.
 */
export const RESTORE_PAGE_LIMIT = 128 * 1024 * 1024

export type RestoreProblem = { readonly field: 'backup' | 'secret'; readonly message: string }

export function restoreBodyLimit(): MiddlewareHandler {
  return bodyLimit({
    maxSize: RESTORE_PAGE_LIMIT,
    onError: (c) =>
      page(
        c,
        413,
        'Backup too large',
        html`<h1>Backup too large</h1>${notice('error', 'That file is larger than this form accepts (128 MiB). Nothing was restored.')}
<p>Restore it with the command line instead: <code>custos restore</code>. <a href="/">Back</a></p>`,
      ),
  })
}

/** The uploaded backup and its secret, or what is missing. */
export async function restoreUpload(
  form: FormValues,
): Promise<{ bytes: Uint8Array; credentials: Credentials } | RestoreProblem> {
  const file = form.file('backup')
  if (!file || file.size === 0)
    return { field: 'backup', message: 'Choose the backup file (it ends in .custos).' }
  const passphrase = form.text('backup_passphrase')
  const recoveryKey = form.text('backup_recovery_key').trim()
  if (!passphrase === !recoveryKey)
    return {
      field: 'secret',
      message: 'Give the passphrase of the backup or its recovery key (one of the two).',
    }
  if (passphrase.length > 1024 || recoveryKey.length > 200)
    return { field: 'secret', message: 'That passphrase or recovery key is too long.' }
  return {
    bytes: new Uint8Array(await file.arrayBuffer()),
    credentials: recoveryKey ? { recoveryKey } : { passphrase },
  }
}

/** Why the vault refused a backup, in the owner's words; undefined for errors that are not about the upload. */
export function restoreRefusal(
  err: unknown,
  now: Date,
): { status: 400 | 401 | 429; problem: RestoreProblem } | undefined {
  const secret = secretRefusal(err, now)
  if (secret) {
    const message =
      secret.status === PROBLEMS.ERR_UNLOCK_FAILED.status
        ? 'That passphrase or recovery key does not open this backup. Nothing was restored.'
        : secret.message
    return { status: secret.status, problem: { field: 'secret', message } }
  }
  // A damaged or foreign file is the upload's fault, not the server's: answered as the API answers a bad backup.
  if (
    err instanceof VaultError &&
    ['ERR_BACKUP_INVALID', 'ERR_INTEGRITY', 'ERR_UNSUPPORTED_FORMAT'].includes(err.code)
  ) {
    return {
      status: PROBLEMS.ERR_BACKUP_INVALID.status,
      problem: {
        field: 'backup',
        message:
          'This file is not a complete, unaltered Custos backup — it may be cut short or changed. Nothing was restored; your vault is exactly as it was.',
      },
    }
  }
  return undefined
}

const errorBlock = (id: string, message: string | undefined) =>
  message ? html`<p class="field-error" id="${id}" role="alert">${message}</p>` : ''
const describedBy = (id: string, message: string | undefined, hint?: string) => {
  const ids = [hint, message ? id : undefined].filter(Boolean).join(' ')
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${message ? html` aria-invalid="true"` : ''}`
}

/** The restore form's fields (file, passphrase or recovery key) with errors in place; the caller wraps the form. */
export function restoreFields(problem: RestoreProblem | undefined): Html {
  const backupError = problem?.field === 'backup' ? problem.message : undefined
  const secretError = problem?.field === 'secret' ? problem.message : undefined
  return html`<label for="backup">Backup file</label>
<input type="file" id="backup" name="backup" accept=".custos,application/octet-stream" required${describedBy('backup-error', backupError)}>${errorBlock('backup-error', backupError)}
<label for="backup_passphrase">Passphrase of the backup</label>
<p class="muted hint" id="backup-secret-hint">The passphrase the vault had when the backup was made — or leave it empty and give the recovery key below.</p>
<input type="password" id="backup_passphrase" name="backup_passphrase" autocomplete="off"${describedBy('secret-error', secretError, 'backup-secret-hint')}>
<label for="backup_recovery_key">Or its recovery key</label>
<input type="text" id="backup_recovery_key" name="backup_recovery_key" autocomplete="off" spellcheck="false">${errorBlock('secret-error', secretError)}`
}
