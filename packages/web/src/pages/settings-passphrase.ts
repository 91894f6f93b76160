import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { VaultError } from '@custos/vault'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { newPassphraseProblem } from './passphrase-strength.js'
import { renderSettings } from './settings-view.js'
import { secretRefusal } from './unlock-forms.js'

/**
 * `POST /settings/passphrase`: a new passphrase, after the current one — or, in a session that
 * proved the recovery key within the last 15 minutes (issue 10: a forgotten passphrase was a
 * dead end in the browser), without it. That case goes through `vault.resetPassphrase`, which
 * itself refuses unless the vault saw the recovery key proved within the same window: two
 * independent checks, the session's (this browser, not another one signed in with the
 * passphrase; kept in the MAC'd session row) and the vault's (a recent proof, spent by the reset).
 */
export function settingsPassphraseRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()

  routes.post('/settings/passphrase', ownerGate(kit), async (c) => {
    const form = await readForm(c)
    const recovering = c.var.session.recoveryUntil !== undefined
    const current = form.text('current_passphrase')
    const next = form.text('new_passphrase')
    if (!recovering && !current)
      return renderSettings(c, kit, 400, {
        passphrase: { field: 'current', message: 'Type your current passphrase.' },
      })
    const problem = await newPassphraseProblem(next, form.text('confirm_passphrase'))
    if (problem) return renderSettings(c, kit, 400, { passphrase: problem })
    if (!recovering && next === current)
      return renderSettings(c, kit, 400, {
        passphrase: { field: 'new', message: 'The new passphrase is the same as the current one.' },
      })
    try {
      // Either way every other browser is signed out (the actions' step).
      if (recovering) await kit.actions.resetPassphrase(next, c.var.session, { origin: 'browser' })
      else await kit.actions.changePassphrase(current, next, c.var.session)
    } catch (err) {
      if (err instanceof VaultError && err.code === 'ERR_WEAK_PASSPHRASE')
        return renderSettings(c, kit, 400, { passphrase: { field: 'new', message: err.message } })
      if (err instanceof VaultError && err.code === 'ERR_RECOVERY_REQUIRED') {
        // The vault forgot the proof (a restart, a lock, another server): ask for the key again.
        return renderSettings(c, kit, 403, {
          passphrase: {
            field: 'new',
            message:
              'Sign out and sign in again with your recovery key, then choose the new passphrase.',
          },
        })
      }
      const refusal = secretRefusal(err, kit.now())
      if (refusal)
        return renderSettings(c, kit, refusal.status, {
          passphrase: {
            field: 'current',
            message:
              refusal.status === 401 ? 'That is not your current passphrase.' : refusal.message,
          },
        })
      throw err
    }
    // Whoever signed in with the old passphrase (another browser) is out; this browser gets a
    // fresh session id and CSRF token (SECURITY.md 24) — without the recovery window, now spent.
    await kit.startSession(c)
    return c.redirect('/settings?done=passphrase', 303)
  })

  return routes
}
