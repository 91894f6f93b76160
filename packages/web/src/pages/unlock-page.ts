import { Hono } from 'hono'
import { html } from 'hono/html'
import type { OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { notice, page } from './layout.js'
import { localNext } from './local-next.js'
import { crossSitePost, crossSiteRefused } from './same-origin-post.js'
import { secretForms, secretRefusal, submittedSecret, throttleMessage } from './unlock-forms.js'

/**
 * Unlock (PRODUCT.md step 1; ARCHITECTURE "sealed by default"): the passphrase or the recovery
 * key unseals the vault and signs this browser in. The vault throttles failures before Argon2
 * runs (SECURITY.md 8); the page says honestly how long to wait. Only while sealed.
 */
export function unlockPages(kit: OwnerPageKit): Hono {
  const routes = new Hono()

  routes.get('/unlock', async (c) => {
    const status = await kit.actions.read.status()
    if (status.state === 'uninitialized') return c.redirect('/setup', 303)
    const next = localNext(c.req.query('next'))
    if (status.state === 'unsealed')
      return c.redirect(next ? `/signin?next=${encodeURIComponent(next)}` : '/signin', 303)
    const blocked = status.unlockBlockedUntil
      ? notice('error', throttleMessage(new Date(status.unlockBlockedUntil), kit.now()))
      : ''
    const locked =
      c.req.query('locked') === '1'
        ? notice('ok', 'The vault is locked. Vendors cannot read anything until you unlock it.')
        : ''
    return page(
      c,
      200,
      'Unlock your vault',
      html`<h1>Unlock your vault</h1>${locked}${blocked}
<p>Your vault is locked: its keys are not in memory, so neither you nor any vendor can read it.</p>
${secretForms({ action: '/unlock', button: 'Unlock', next })}`,
    )
  })

  routes.post('/unlock', async (c) => {
    if (crossSitePost(c, kit.issuer)) return crossSiteRefused(c, kit.issuer)
    const form = await readForm(c)
    const next = localNext(form.optional('next'))
    const secret = submittedSecret(form)
    const again = (status: 400 | 401 | 429, which: 'passphrase' | 'recovery', message: string) =>
      page(
        c,
        status,
        'Unlock your vault',
        html`<h1>Unlock your vault</h1>${secretForms({ action: '/unlock', button: 'Unlock', next, error: { form: which, message } })}`,
      )
    if (!secret)
      return again(400, 'passphrase', 'Type your passphrase, or open the recovery key form.')
    // Someone unlocked it first (or won a race to it): this browser still has to prove it is the owner.
    const signIn = () =>
      c.redirect(next ? `/signin?next=${encodeURIComponent(next)}` : '/signin', 303)
    try {
      if (
        (await kit.actions.unlock(secret.credentials, { origin: 'browser' })) === 'already-unsealed'
      )
        return signIn()
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

  return routes
}
