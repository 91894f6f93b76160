import { isIP } from 'node:net'
import type { Context } from 'hono'
import { html } from 'hono/html'
import { notice, page } from './layout.js'

/**
 * Forms posted before any session exists (set-up, unlock, sign-in) have no synchronizer token to
 * carry, so a cross-site page could post them from the owner's browser — worst, create the vault
 * with a passphrase the attacker chose ("login CSRF"). Browsers mark such posts: refuse any whose
 * `Sec-Fetch-Site` says cross-site or whose `Origin` is neither the issuer's nor this request's
 * own origin (OWASP CSRF cheat sheet, "Verifying origin with standard headers"; SECURITY.md 24).
 * Clients that send neither header are not browsers and cannot be driven cross-site.
 *
 * The request's own origin counts only where its host is an IP address or `localhost`: under DNS
 * rebinding, a page on attacker.example re-points its name at this server, and the browser then
 * sends `Host: attacker.example`, a matching `Origin` and `Sec-Fetch-Site: same-origin`. No DNS
 * answer can make an IP literal or `localhost` name the attacker's page, so those stay usable
 * (the owner may open http://localhost:7300 while the issuer says 127.0.0.1, or a LAN address).
 */
export function crossSitePost(c: Context, issuer: string): boolean {
  const site = c.req.header('sec-fetch-site')
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true
  const origin = c.req.header('origin')
  if (origin === undefined) return false
  if (origin === new URL(issuer).origin) return false
  const own = new URL(c.req.url)
  return origin !== own.origin || !unrebindable(own.hostname)
}

/** Hosts no DNS answer can claim: IP literals (URL keeps IPv6 in brackets) and localhost. */
function unrebindable(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return isIP(host) !== 0 || host === 'localhost' || host.endsWith('.localhost')
}

/** The answer to a refused pre-session post: a page (under the pages' CSP) saying what to do. */
export function crossSiteRefused(c: Context, issuer: string): Response | Promise<Response> {
  return page(
    c,
    403,
    'Form refused',
    html`<h1>Nothing was changed</h1>${notice('error', 'This form did not come from a Custos page, so it was refused.')}
<p>Open Custos at its own address — <a href="${issuer}/">${issuer}</a>, the one <code>custos serve</code> printed — and try again there.</p>`,
  )
}
