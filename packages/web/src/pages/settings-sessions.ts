import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { renderSettings } from './settings-view.js'

/** Signing out other browsers from Settings (issue 10); the list is sessions-section.ts. */
export function settingsSessionRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  const gate = ownerGate(kit)

  routes.post('/settings/sessions/signout', gate, async (c) => {
    const handle = (await readForm(c)).text('session')
    const ended = /^[0-9a-f]{32}$/.test(handle) && (await kit.sessions.end(c.var.session, handle))
    if (!ended)
      return renderSettings(c, kit, 404, { sessions: 'That browser is already signed out.' })
    return c.redirect('/settings?done=session-ended#sessions-h', 303)
  })

  routes.post('/settings/sessions/signout-others', gate, async (c) => {
    await kit.sessions.endOthers(c.var.session)
    return c.redirect('/settings?done=sessions-ended#sessions-h', 303)
  })

  return routes
}
