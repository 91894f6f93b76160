import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { renderSettings } from './settings-view.js'

/** The time zone section's form (time-zone-section.ts): a zone the list offers, checked again here. */
export function settingsTimeZoneRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.post('/settings/time-zone', ownerGate(kit), async (c) => {
    const zone = (await readForm(c)).text('time_zone')
    if (!kit.actions.timeZone.valid(zone))
      return renderSettings(c, kit, 400, {
        timeZone: 'Choose a time zone from the list, such as Europe/Berlin.',
      })
    await kit.actions.timeZone.set(zone)
    return c.redirect('/settings?done=time-zone#time-zone-h', 303)
  })
  return routes
}
