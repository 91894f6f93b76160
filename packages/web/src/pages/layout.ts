import type { Context } from 'hono'
import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** Anything a page body may be: hono's escaped HTML template results. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

/** The owner's navigation, in the order of PRODUCT.md's owner story. */
export const NAV = [
  { href: '/profile', label: 'Profile' },
  { href: '/purchases', label: 'Purchases' },
  { href: '/connections', label: 'Connections' },
  { href: '/inbox', label: 'Inbox' },
  { href: '/conversations', label: 'Conversations' },
  { href: '/intents', label: 'Intents' },
  { href: '/log', label: 'Access log' },
  { href: '/settings', label: 'Settings' },
] as const

export interface PageOptions {
  /** The signed-in session's CSRF token: present → the signed-in chrome (nav, lock button). */
  readonly csrfToken?: string
  /** Which NAV entry is current (aria-current). */
  readonly current?: string
}

/**
 * Every owner page: server-rendered, works without script; `/assets/custos.js` only enhances
 * (strength meter, rotation progress, idle lock). Headers per SECURITY.md promise 24: a CSP with
 * no inline script or style at all and no remote images (a vendor's logo would tell the vendor
 * when the owner looks: vendors are shown by a monogram), not frameable, not cached, no referrer
 * to other sites.
 */
export function page(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  body: Html,
  options: PageOptions = {},
): Response | Promise<Response> {
  // SECURITY.md promise 24. `connect-src 'self'`: the import page's own script sends its upload
  // by XMLHttpRequest for the progress bar (custos.js); it reaches this origin only, as a form can.
  c.header(
    'content-security-policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  )
  c.header('x-frame-options', 'DENY')
  c.header('cache-control', 'no-store')
  c.header('referrer-policy', 'same-origin')
  c.header('x-content-type-options', 'nosniff')
  const signedIn = options.csrfToken !== undefined
  return c.html(
    html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Custos</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/custos.css"><script src="/assets/custos.js" defer></script></head>
<body${signedIn ? html` data-signed-in="true"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/">Custos</a>${
      signedIn
        ? html`<nav aria-label="Main"><ul>${NAV.map((n) => html`<li><a href="${n.href}"${options.current === n.href ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>
<form method="post" action="/signout" class="inline"><input type="hidden" name="csrf_token" value="${options.csrfToken}"><button type="submit" class="secondary">Sign out</button></form><form method="post" action="/lock" class="inline"><input type="hidden" name="csrf_token" value="${options.csrfToken}"><button type="submit" class="secondary">Lock</button></form>`
        : ''
    }</header>
<main id="main">${signedIn && (c as Context<{ Variables: { auditBroken?: boolean } }>).get('auditBroken') === true && options.current !== '/log' ? brokenLogBanner : ''}${body}</main>
<footer class="muted">Your data, encrypted in your vault. <a href="/docs">API reference</a></footer>
</body></html>`,
    status,
  )
}

/**
 * On every signed-in page while the access log is damaged (vault.audit.trusted() is false): vendor
 * reads are stopped until the owner has looked at the damage on the Access log page and
 * acknowledged it there.
 */
const brokenLogBanner = html`<p class="notice error" role="alert"><strong>Your access log has been tampered with.</strong> Vendors cannot read anything until you review it. <a href="/log">Review the access log</a></p>`

/** The hidden CSRF field every form of a signed-in page carries (OWASP synchronizer token). */
export const csrfField = (token: string) =>
  html`<input type="hidden" name="csrf_token" value="${token}">`

/** A message box: role=status for news, role=alert for errors (read out by screen readers). */
export function notice(kind: 'ok' | 'error', text: string | undefined): Html | string {
  if (!text) return ''
  return kind === 'error'
    ? html`<p class="notice error" role="alert">${text}</p>`
    : html`<p class="notice ok" role="status">${text}</p>`
}

/**
 * The message a query flag picks from a fixed table (`?done=revoked`), or undefined: only the
 * table's own entries — never `constructor`, `toString` or `__proto__`, which every object has.
 */
export function fixedMessage(
  table: Readonly<Record<string, string>>,
  key: string | undefined,
): string | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined
}
