import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { settingsBackupRoutes } from './settings-backup.js'
import { settingsPassphraseRoutes } from './settings-passphrase.js'
import { settingsPurposeRoutes } from './settings-purposes.js'
import { settingsSessionRoutes } from './settings-sessions.js'
import { settingsTermsRoutes } from './settings-terms.js'
import { settingsRegistrationRoutes } from './settings-registration.js'
import { settingsTimeZoneRoutes } from './settings-time-zone.js'
import { renderSettings } from './settings-view.js'

/** What the owner types to delete the vault: a deliberate act, not a slipped click. */
export const DELETE_PHRASE = 'delete my vault'

/**
 * `/settings` (PRODUCT.md step 6): rotate keys with progress, (in settings-passphrase.ts) change
 * the passphrase, (in settings-sessions.ts) sign out other browsers, (in
 * settings-registration.ts) who may register applications, (in settings-purposes.ts) the purposes
 * never allowed, and (in settings-backup.ts) export,
 * back up and restore; delete the vault with a typed confirmation.
 */
export function settingsPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  const gate = ownerGate(kit)

  routes.get('/settings', gate, (c) => renderSettings(c, kit, 200))

  routes.post('/settings/rotate', gate, async (c) => {
    const started = kit.actions.keys.rotate()
    if (!started)
      return renderSettings(c, kit, 409, {
        rotate: 'A key rotation or a restore is already running. Wait for it to finish.',
      })
    return c.redirect('/settings?done=rotation#keys-h', 303)
  })

  routes.post('/settings/delete', gate, async (c) => {
    const typed = (await readForm(c)).text('confirm').trim().toLowerCase().replace(/\s+/g, ' ')
    if (typed !== DELETE_PHRASE)
      return renderSettings(c, kit, 400, {
        delete: `Nothing was deleted. To delete the vault, type exactly: ${DELETE_PHRASE}`,
      })
    // Never beside a rotation or a restore (both hold the keys destroy erases); once done, the
    // vault's vendors are gone and their OAuth registrations, tokens and every session go too.
    if ((await kit.actions.destroy()) === 'busy')
      return renderSettings(c, kit, 409, {
        delete:
          'A key rotation or a restore is running. Nothing was deleted; try again when it has finished.',
      })
    await kit.endSession(c, c.var.session)
    return c.redirect('/setup?deleted=1', 303)
  })

  routes.route('/', settingsPassphraseRoutes(kit))
  routes.route('/', settingsSessionRoutes(kit))
  routes.route('/', settingsBackupRoutes(kit))
  routes.route('/', settingsRegistrationRoutes(kit))
  routes.route('/', settingsTimeZoneRoutes(kit))
  routes.route('/', settingsPurposeRoutes(kit))
  routes.route('/', settingsTermsRoutes(kit))
  return routes
}
