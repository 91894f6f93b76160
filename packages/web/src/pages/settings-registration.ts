import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { renderSettings } from './settings-view.js'

/** The section's forms: set the mode, create a token, revoke one. */
export function settingsRegistrationRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  const gate = ownerGate(kit)

  routes.post('/settings/registration', gate, async (c) => {
    const mode = (await readForm(c)).text('mode')
    if (mode !== 'open' && mode !== 'token')
      return renderSettings(c, kit, 400, { registration: 'Choose open or invitation only.' })
    await kit.actions.registration.setMode(mode)
    return c.redirect('/settings?done=registration#registration-h', 303)
  })

  // Answered with the page itself, not a redirect: the token must never travel in a URL.
  routes.post('/settings/registration/tokens', gate, async (c) => {
    const label = (await readForm(c)).text('label').trim()
    if (label.length > 200)
      return renderSettings(c, kit, 400, {
        registration: 'The name can be at most 200 characters.',
      })
    const created = await kit.actions.registration.createToken(label === '' ? undefined : label)
    return renderSettings(c, kit, 200, {}, { token: created.token, label: created.label })
  })

  routes.post('/settings/registration/tokens/:id/revoke', gate, async (c) => {
    if (!(await kit.actions.registration.revokeToken(c.req.param('id'))))
      return renderSettings(c, kit, 404, { registration: 'That token no longer exists.' })
    return c.redirect('/settings?done=token-revoked#registration-h', 303)
  })

  return routes
}
