import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { purposeOf } from '@custos/vault'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { renderSettings } from './settings-view.js'

/** The "Never for" form (purpose-policy-section.ts): ticked purposes replace the list. */
export function settingsPurposeRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.post('/settings/purposes', ownerGate(kit), async (c) => {
    const ticked = (await readForm(c)).all('never_for')
    if (ticked.length > 50 || ticked.some((iri) => purposeOf(iri) === undefined))
      return renderSettings(c, kit, 400, {
        purposes: 'Tick purposes from the list only. Nothing was changed.',
      })
    await kit.actions.purposePolicy.set({ neverFor: ticked })
    return c.redirect('/settings?done=purposes#purposes-h', 303)
  })
  return routes
}
