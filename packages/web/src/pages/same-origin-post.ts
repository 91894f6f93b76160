import type { Context } from 'hono'

/**
 * Forms posted before any session exists (set-up, unlock, sign-in) have no synchronizer token to
 * carry, so a cross-site page could post them from the owner's browser — worst, create the vault
 * with a passphrase the attacker chose ("login CSRF"). Browsers mark such posts: refuse any whose
 * `Sec-Fetch-Site` says cross-site or whose `Origin` is neither this request's origin nor the
 * issuer's (OWASP CSRF cheat sheet, "Verifying origin with standard headers"; SECURITY.md 24).
 * Clients that send neither header are not browsers and cannot be driven cross-site.
 */
export function crossSitePost(c: Context, issuer: string): boolean {
  const site = c.req.header('sec-fetch-site')
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true
  const origin = c.req.header('origin')
  if (origin === undefined) return false
  return origin !== new URL(c.req.url).origin && origin !== new URL(issuer).origin
}
