import { Hono, type MiddlewareHandler } from 'hono'
import { html } from 'hono/html'
import type { OwnerPageKit } from '@custos/consent-api'
import { VaultError } from '@custos/vault'
import { readForm } from './form-values.js'
import { type Html, csrfField, notice, page } from './layout.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { STRENGTH_LABELS, newPassphraseProblem } from './passphrase-strength.js'
import {
  type RestoreProblem,
  restoreBodyLimit,
  restoreFields,
  restoreRefusal,
  restoreUpload,
} from './restore-upload.js'
import { crossSitePost, crossSiteRefused } from './same-origin-post.js'

/**
 * Set-up (PRODUCT.md owner story step 1): choose a passphrase, create the vault, see the recovery
 * key once. The key exists only in the response to the POST that created the vault — never
 * stored, logged or shown again (the page is `no-store`); "I saved it" then leads to the profile.
 */
export function setupPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()

  routes.get('/setup', async (c) => {
    if ((await kit.actions.read.status()).state !== 'uninitialized') return c.redirect('/', 303)
    const deleted =
      c.req.query('deleted') === '1'
        ? notice(
            'ok',
            'Your vault was deleted: its data and keys are erased. You can create a new one below.',
          )
        : ''
    return page(
      c,
      200,
      'Create your vault',
      html`${deleted}${setupForm({})}${restoreSection(undefined)}`,
    )
  })

  routes.post('/setup', async (c) => {
    if (crossSitePost(c, kit.issuer)) return crossSiteRefused(c, kit.issuer)
    if ((await kit.actions.read.status()).state !== 'uninitialized') return alreadyCreated(c)
    const form = await readForm(c)
    const passphrase = form.text('passphrase')
    // The vault's policy decides (the meter in custos.js only approximates it while typing).
    const problem = await newPassphraseProblem(passphrase, form.text('confirm'))
    if (problem)
      return page(
        c,
        400,
        'Create your vault',
        html`${setupForm({ error: problem })}${restoreSection(undefined)}`,
      )
    let recoveryKey: string
    try {
      ;({ recoveryKey } = await kit.actions.initialize(passphrase))
    } catch (err) {
      // Another browser (or the command line) created the vault while this one was typing: the
      // vault lets exactly one initialize win (its check runs inside the creating transaction).
      if (err instanceof VaultError && err.code === 'ERR_VAULT_EXISTS') return alreadyCreated(c)
      if (err instanceof VaultError && err.code === 'ERR_WEAK_PASSPHRASE')
        return page(
          c,
          400,
          'Create your vault',
          html`${setupForm({ error: { field: 'new', message: err.message } })}${restoreSection(undefined)}`,
        )
      throw err
    }
    const csrfToken = await kit.startSession(c)
    return page(c, 201, 'Save your recovery key', recoveryKeyPage(recoveryKey, csrfToken), {
      csrfToken,
    })
  })

  // Moving to a new machine: restore a backup instead of creating an empty vault. The backup's
  // own passphrase or recovery key opens it — proof enough to sign this browser in.
  // The checks come before the body limit: hono's limit buffers a body sent without
  // Content-Length whole before the next handler runs, and nobody may make the server read up to
  // 128 MiB once a vault exists, or from another site.
  const refuseEarly: MiddlewareHandler<PageEnv> = async (c, next) => {
    if (crossSitePost(c, kit.issuer)) return crossSiteRefused(c, kit.issuer)
    if ((await kit.actions.read.status()).state !== 'uninitialized') return alreadyCreated(c)
    await next()
  }
  routes.post('/setup/restore', refuseEarly, restoreBodyLimit(), async (c) => {
    // Again after the upload: another browser may have created a vault meanwhile.
    if ((await kit.actions.read.status()).state !== 'uninitialized') return alreadyCreated(c)
    const again = (status: 400 | 401 | 429, problem: RestoreProblem) =>
      page(c, status, 'Create your vault', html`${setupForm({})}${restoreSection(problem)}`)
    const upload = await restoreUpload(await readForm(c))
    if (!('bytes' in upload)) return again(400, upload)
    let done: 'restored' | 'busy'
    try {
      done = await kit.actions.restore(upload.bytes, upload.credentials, { origin: 'browser' })
    } catch (err) {
      const refusal = restoreRefusal(err, kit.now())
      if (!refusal) throw err
      return again(refusal.status, refusal.problem)
    }
    if (done === 'busy')
      return again(400, {
        field: 'backup',
        message: 'A restore is already running. Wait for it, then reload this page.',
      })
    await kit.startSession(c)
    return c.redirect('/?restored=1', 303)
  })

  routes.post('/setup/done', ownerGate(kit), async (c) => {
    const form = await readForm(c)
    if (!form.has('saved')) {
      const status = await kit.actions.read.status()
      const created = status.state === 'unsealed' ? status.createdAt : ''
      return page(
        c,
        400,
        'Save your recovery key',
        html`<h1>Save your recovery key</h1>${notice('error', 'Tick "I have saved my recovery key" first.')}
<p>The recovery key was shown once, when the vault was created${created ? html` (${created.slice(0, 16).replace('T', ' ')} UTC)` : ''}. If you did not save it, you can still reach your vault with your passphrase; keep a current encrypted backup (Settings) in a safe place.</p>
${savedForm(c.var.session.csrfToken)}`,
        { csrfToken: c.var.session.csrfToken },
      )
    }
    return c.redirect('/profile?welcome=1', 303)
  })

  return routes
}

function alreadyCreated(c: Parameters<typeof page>[0]) {
  return page(
    c,
    409,
    'Vault already created',
    html`<h1>This vault already exists</h1>${notice('error', 'A vault was already created here — perhaps in another browser window. Nothing was changed.')}
<p><a href="/signin">Sign in</a> with its passphrase, or <a href="/unlock">unlock it</a> if it is locked.</p>`,
  )
}

interface SetupFormState {
  readonly error?: { readonly field: 'new' | 'confirm'; readonly message: string }
}

function setupForm(state: SetupFormState): Html {
  const e = state.error
  const errorFor = (field: 'new' | 'confirm', id: string) =>
    e?.field === field ? html`<p class="field-error" id="${id}" role="alert">${e.message}</p>` : ''
  const invalid = (field: 'new' | 'confirm', id: string) => {
    const ids = [field === 'new' ? 'passphrase-hint' : '', e?.field === field ? id : '']
      .filter(Boolean)
      .join(' ')
    return html`${e?.field === field ? html` aria-invalid="true"` : ''}${ids ? html` aria-describedby="${ids}"` : ''}`
  }
  return html`<h1>Create your vault</h1>
<p>Your vault keeps your profile, preferences and purchase history encrypted on this computer. Choose a passphrase to lock it. Custos cannot recover a lost passphrase — only the recovery key you will see next can.</p>
<form method="post" action="/setup">
<label for="passphrase">Passphrase</label>
<p class="muted" id="passphrase-hint">At least 14 characters. Four or more ordinary words are easy to remember and hard to guess.</p>
<input type="password" id="passphrase" name="passphrase" autocomplete="new-password" required minlength="14" data-strength="strength"${invalid('new', 'passphrase-error')}>
${errorFor('new', 'passphrase-error')}
<div class="meter" id="strength" aria-hidden="true"><span></span></div>
<p class="muted" aria-live="polite">Strength: <span id="strength-label">${STRENGTH_LABELS[0]}</span></p>
<label for="confirm">Type the passphrase again</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" required${invalid('confirm', 'confirm-error')}>
${errorFor('confirm', 'confirm-error')}
<p><button type="submit">Create my vault</button></p>
</form>`
}

function savedForm(csrfToken: string): Html {
  return html`<form method="post" action="/setup/done">${csrfField(csrfToken)}
<label class="check"><input type="checkbox" name="saved" value="yes" required> I have saved my recovery key somewhere safe</label>
<p><button type="submit">I saved it</button></p>
</form>`
}

function recoveryKeyPage(recoveryKey: string, csrfToken: string): Html {
  return html`<h1>Save your recovery key</h1>
${notice('ok', 'Your vault is created and unlocked.')}
<p>This is your <strong>recovery key</strong>. It opens your vault if you forget your passphrase, and it opens your encrypted backups. <strong>It is shown only this once</strong> — Custos does not keep a copy.</p>
<p class="recovery" id="recovery-key">${recoveryKey}</p>
<p class="actions no-print"><a class="button secondary" href="${recoveryKeyDataUrl(recoveryKey)}" download="custos-recovery-key.txt">Download as a text file</a>
<button type="button" class="secondary" data-copy="recovery-key" data-copied="Copied" hidden>Copy</button>
<button type="button" class="secondary" data-print hidden>Print</button></p>
<p>Write it down, print this page or keep the text file, and keep it apart from this computer (for example with your important papers). Anyone with this key and a copy of your vault can open it.</p>
${savedForm(csrfToken)}`
}

/**
 * The recovery key as a `.txt` download that needs no script and no second request (issue 10):
 * a `data:` link with `download`. The key exists only in this response (the server keeps no
 * copy), so no later form post could produce it; and the page's CSP governs what a page loads,
 * not which link the owner saves. Copy and Print are custos.js buttons, hidden without script.
 */
function recoveryKeyDataUrl(recoveryKey: string): string {
  const text = `Custos recovery key\r\n\r\n${recoveryKey}\r\n\r\nIt opens your vault if you forget your passphrase, and it opens your encrypted backups.\r\nKeep it apart from the computer your vault is on.\r\n`
  return `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`
}

function restoreSection(problem: RestoreProblem | undefined): Html {
  return html`<section aria-labelledby="restore-h"><h2 id="restore-h">Moving from another computer?</h2>
<p>Restore an encrypted backup (a <code>.custos</code> file from Settings → Download backup) instead of starting empty. You will use that vault's passphrase from then on.</p>
${problem ? notice('error', 'Nothing was restored: see below.') : ''}
<details${problem ? html` open` : ''}><summary>Restore a backup</summary>
<form method="post" action="/setup/restore" enctype="multipart/form-data">
${restoreFields(problem)}
<p><button type="submit">Restore</button></p>
</form></details></section>`
}
