import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { VaultError } from '@custos/vault'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { newPassphraseProblem } from './passphrase-strength.js'
import { settingsBackupRoutes } from './settings-backup.js'
import { settingsRegistrationRoutes } from './settings-registration.js'
import { renderSettings } from './settings-view.js'
import { secretRefusal } from './unlock-forms.js'

/** What the owner types to delete the vault: a deliberate act, not a slipped click. */
export const DELETE_PHRASE = 'delete my vault'

/**
 * `/settings` (PRODUCT.md step 6): change the passphrase, rotate keys with progress, (in
 * settings-registration.ts) who may register applications, and (in settings-backup.ts) export,
 * back up and restore; delete the vault with a typed confirmation.
 */
export function settingsPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  const gate = ownerGate(kit)

  routes.get('/settings', gate, (c) => renderSettings(c, kit, 200))

  routes.post('/settings/passphrase', gate, async (c) => {
    const form = await readForm(c)
    const current = form.text('current_passphrase')
    const next = form.text('new_passphrase')
    if (!current) return renderSettings(c, kit, 400, { passphrase: { field: 'current', message: 'Type your current passphrase.' } })
    const problem = await newPassphraseProblem(next, form.text('confirm_passphrase'))
    if (problem) return renderSettings(c, kit, 400, { passphrase: problem })
    if (next === current) return renderSettings(c, kit, 400, { passphrase: { field: 'new', message: 'The new passphrase is the same as the current one.' } })
    try {
      await kit.vault.changePassphrase(current, next)
    } catch (err) {
      const refusal = secretRefusal(err, kit.now())
      if (refusal) return renderSettings(c, kit, refusal.status, { passphrase: { field: 'current', message: refusal.status === 401 ? 'That is not your current passphrase.' : refusal.message } })
      if (err instanceof VaultError && err.code === 'ERR_WEAK_PASSPHRASE') return renderSettings(c, kit, 400, { passphrase: { field: 'new', message: err.message } })
      throw err
    }
    // Whoever signed in with the old passphrase (another browser) is out; this browser gets a
    // fresh session id and CSRF token (SECURITY.md 24).
    await kit.endAllSessions()
    await kit.startSession(c)
    return c.redirect('/settings?done=passphrase', 303)
  })

  routes.post('/settings/rotate', gate, async (c) => {
    const started = kit.keyJob.start(kit.vault, kit.now)
    if (!started) return renderSettings(c, kit, 409, { rotate: 'A key rotation or a restore is already running. Wait for it to finish.' })
    return c.redirect('/settings?done=rotation#keys-h', 303)
  })

  routes.post('/settings/delete', gate, async (c) => {
    const typed = (await readForm(c)).text('confirm').trim().toLowerCase().replace(/\s+/g, ' ')
    if (typed !== DELETE_PHRASE) return renderSettings(c, kit, 400, { delete: `Nothing was deleted. To delete the vault, type exactly: ${DELETE_PHRASE}` })
    // Never beside a rotation or a restore: both hold the keys destroy erases.
    const done = await kit.keyJob.runExclusive(() => kit.vault.destroy())
    if (!done) return renderSettings(c, kit, 409, { delete: 'A key rotation or a restore is running. Nothing was deleted; try again when it has finished.' })
    // The vault's vendors are gone: their OAuth registrations and tokens go too (and every session).
    await kit.endSession(c, c.var.session)
    await kit.eraseApiState()
    return c.redirect('/setup?deleted=1', 303)
  })

  routes.route('/', settingsBackupRoutes(kit))
  routes.route('/', settingsRegistrationRoutes(kit))
  return routes
}
