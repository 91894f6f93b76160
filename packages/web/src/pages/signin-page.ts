import { Hono } from 'hono'
import { html } from 'hono/html'
import type { OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { notice, page } from './layout.js'
import { localNext } from './local-next.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { crossSitePost, crossSiteRefused } from './same-origin-post.js'
import { secretForms, secretRefusal, submittedSecret } from './unlock-forms.js'

/** Fixed notices the sign-in page may show (chosen by a query flag; no text is reflected). */
const NOTICES: Record<string, string> = {
  idle: 'Signed out after 15 minutes without activity. The vault itself is still unlocked for the vendors you connected; use Lock to lock it.',
  restored:
    'The backup was restored. Sign in with the passphrase (or recovery key) of that backup.',
  signedout:
    'You are signed out in this browser. The vault itself is still unlocked for the vendors you connected; use Lock to lock it.',
}

/**
 * Sign-in (SECURITY.md 24): the vault is unsealed (vendors are being served) but this browser has
 * no owner session — after the 15-minute idle timeout, in a second browser, after a restore. The
 * vault checks the secret (`verifyOwner`, throttled and audited exactly like unlock).
 * `POST /signout` ends this browser's session only; `POST /lock` seals the vault and ends every
 * owner session.
 */
export function signinPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()

  routes.get('/signin', async (c) => {
    const status = await kit.actions.read.status()
    const next = localNext(c.req.query('next'))
    if (status.state === 'uninitialized') return c.redirect('/setup', 303)
    if (status.state === 'sealed')
      return c.redirect(next ? `/unlock?next=${encodeURIComponent(next)}` : '/unlock', 303)
    if (await kit.session(c)) return c.redirect(next ?? '/', 303)
    const flag = Object.keys(NOTICES).find((k) => c.req.query(k) === '1')
    return page(
      c,
      200,
      'Sign in',
      html`<h1>Sign in</h1>${flag ? notice('ok', NOTICES[flag]) : ''}
<p>Your vault is unlocked. Sign in to see and change it.</p>
${secretForms({ action: '/signin', button: 'Sign in', next })}`,
    )
  })

  routes.post('/signin', async (c) => {
    if (crossSitePost(c, kit.issuer)) return crossSiteRefused(c, kit.issuer)
    if (!kit.actions.read.isUnsealed())
      return c.redirect(
        (await kit.actions.read.status()).state === 'uninitialized' ? '/setup' : '/unlock',
        303,
      )
    const form = await readForm(c)
    const next = localNext(form.optional('next'))
    const secret = submittedSecret(form)
    const again = (status: 400 | 401 | 429, which: 'passphrase' | 'recovery', message: string) =>
      page(
        c,
        status,
        'Sign in',
        html`<h1>Sign in</h1>${secretForms({ action: '/signin', button: 'Sign in', next, error: { form: which, message } })}`,
      )
    if (!secret)
      return again(400, 'passphrase', 'Type your passphrase, or open the recovery key form.')
    try {
      await kit.actions.verifyOwner(secret.credentials, { origin: 'browser' })
    } catch (err) {
      const refusal = secretRefusal(err, kit.now())
      if (!refusal) throw err
      return again(refusal.status, secret.form, refusal.message)
    }
    // A recovery key means a forgotten passphrase: this session may choose a new one without it
    // for a while, and goes straight to where that is done (issue 10).
    const recovering = secret.form === 'recovery'
    await kit.startSession(c, { recoveryKey: recovering })
    return c.redirect(next ?? (recovering ? '/settings#passphrase-h' : '/'), 303)
  })

  // Sign out: this browser only (a shared computer), the vault stays unlocked for vendors.
  routes.post('/signout', ownerGate(kit), async (c) => {
    await kit.endSession(c, c.var.session)
    return c.redirect('/signin?signedout=1', 303)
  })

  routes.post('/lock', ownerGate(kit), async (c) => {
    await kit.endSession(c, c.var.session)
    // Every session, in every browser, ends with the lock: a cookie left somewhere must not come
    // back to life at the next unlock.
    await kit.actions.lock({ origin: 'browser' })
    return c.redirect('/unlock?locked=1', 303)
  })

  return routes
}
