import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { rankField } from './terms-section.js'
import { type SettingsErrors, renderSettings } from './settings-view.js'

const BAD_CHOICE = 'Choose agreements and places from the list only. Nothing was changed.'

/**
 * The "Your terms" form (terms-section.ts): each roster agreement's place (none, or 1…n) becomes
 * the owner's order of preference — ties keep the roster's order — and the two switches.
 */
export function settingsTermsRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.post('/settings/terms', ownerGate(kit), async (c) => {
    const form = await readForm(c)
    const roster = kit.actions.terms.roster
    const ranked: { id: string; place: number }[] = []
    for (const a of roster) {
      const value = form.text(rankField(a.id))
      if (value === '') continue
      const place = /^[0-9]{1,2}$/.test(value) ? Number(value) : Number.NaN
      if (!(place >= 1 && place <= roster.length)) {
        const errors: SettingsErrors & { terms: string } = { terms: BAD_CHOICE }
        return renderSettings(c, kit, 400, errors)
      }
      ranked.push({ id: a.id, place })
    }
    await kit.actions.terms.set({
      proffered: ranked.sort((x, y) => x.place - y.place).map((r) => r.id),
      requireAgreement: form.text('require_agreement') === 'yes',
      allowAfterDecline: form.text('allow_after_decline') === 'yes',
    })
    return c.redirect('/settings?done=terms#terms-h', 303)
  })
  return routes
}
