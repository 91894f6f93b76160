import { Hono } from 'hono'
import { html } from 'hono/html'
import { NotFoundError } from '@custos/vault'
import { type OwnerPageKit, day, downloadHeaders } from '@custos/consent-api'
import type { Html } from './layout.js'
import type { PageEnv } from './owner-gate.js'

const ID = /^[A-Za-z0-9_-]{1,64}$/
const NOT_FOUND = '/connections?error=ERR_NOT_FOUND'

/** The link to every receipt of one vendor as one file, in its section of Connections. */
export function receiptDownloadLink(vendorId: string): Html {
  return html`<p class="receipt-download"><a href="/connections/vendors/${vendorId}/receipts" download>Download every receipt with this vendor</a> <span class="muted">(each grant given, narrowed, withdrawn or expired and each request you refused, as the vendor holds them — signed, with your vault's public key to check them)</span></p>`
}

/**
 * `GET /connections/vendors/:id/receipts`: the owner's receipts with one vendor as the file the
 * owner API serves at `/owner/receipts/export?vendorId=` — the same owner action; this skin only
 * adds the page session. A GET link, like the single receipts: it reads, changes nothing.
 */
export function receiptDownloadRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.get('/vendors/:id/receipts', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return c.redirect(NOT_FOUND, 303)
    try {
      const file = await kit.actions.grants.exportReceipts({ vendorId: id })
      return c.body(
        JSON.stringify(file, null, 2),
        200,
        downloadHeaders(
          'application/json; charset=utf-8',
          `custos-receipts-${id}-${day(new Date(file.exported_at))}.json`,
        ),
      )
    } catch (err) {
      if (err instanceof NotFoundError) return c.redirect(NOT_FOUND, 303)
      throw err
    }
  })
  return routes
}
