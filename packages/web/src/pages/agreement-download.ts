import { Hono } from 'hono'
import { html } from 'hono/html'
import { type OwnerPageKit, day, downloadHeaders } from '@custos/consent-api'
import type { Html } from './layout.js'
import type { PageEnv } from './owner-gate.js'

/** Where the owner's pages serve the file (under Connections, whose gate it shares). */
export const AGREEMENT_DOWNLOAD = '/connections/agreements'

/**
 * The link to every IEEE 7012 agreement record as one file, where agreements are shown
 * (Connections, Settings → Your terms).
 */
export function agreementDownloadLink(): Html {
  return html`<p class="agreement-download"><a href="${AGREEMENT_DOWNLOAD}" download>Download all your agreement records</a> <span class="muted">(accepted and declined; each signed by your vault and by the vendor — the same copy the vendor keeps — with your vault's public key to check them)</span></p>`
}

/**
 * `GET /connections/agreements`: the owner's agreement records as the file the owner API serves at
 * `/owner/agreements/export` — the same owner action (`kit.actions.terms.export`), this skin
 * only adds the page session. A GET link, like the consent receipts: it reads, changes nothing.
 */
export function agreementDownloadRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.get('/agreements', async (c) => {
    const file = await kit.actions.terms.export()
    return c.body(
      JSON.stringify(file, null, 2),
      200,
      downloadHeaders(
        'application/json; charset=utf-8',
        `custos-agreements-${day(new Date(file.exported_at))}.json`,
      ),
    )
  })
  return routes
}
