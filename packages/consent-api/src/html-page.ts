import { randomBytes } from 'node:crypto'
import type { Context } from 'hono'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * The few server-rendered pages of the API (consent, sign-in, errors): plain HTML, no script,
 * every interpolation escaped by hono's `html` template, and headers that keep them from being
 * framed (clickjacking a consent button), cached, or leaking their URL (SECURITY.md promise 24).
 */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

export interface PageOptions {
  /** Origins besides 'self' that forms on the page may end up at (a redirect after POST counts: CSP `form-action`). */
  readonly formTargets?: readonly string[]
}

/**
 * The look comes from the owner web app's stylesheet (`/assets/custos.css`, served by
 * `@custos/web` beside the API), so the consent step looks like the rest of the app. This small
 * inline fallback (nonce-allowed) keeps the page readable when the API runs without the web app;
 * it comes first, so the stylesheet wins wherever both say something.
 */
const FALLBACK_STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b}main{max-width:40rem;margin:1rem auto;padding:0 1rem}
header.top{padding:.6rem 1rem;border-bottom:1px solid #d0d4da}.brand{font-weight:700}
h1{font-size:1.4rem}.vendor{display:flex;gap:1rem;align-items:center}.monogram{flex:none;width:48px;height:48px;border-radius:6px;background:#e4e8ee;display:flex;align-items:center;justify-content:center;font-weight:700;font-size:1.5rem}
fieldset{border:1px solid #ccc;border-radius:6px;margin:1rem 0}label{display:block;margin:.3rem 0}
.value{color:#555;font-size:.9rem;margin-left:1.6rem}.muted{color:#555;font-size:.9rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}.error{color:#a00}
`

export function htmlPage(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  body: Html,
  options: PageOptions = {},
): Response | Promise<Response> {
  const nonce = randomBytes(16).toString('base64')
  const formAction = ["'self'", ...(options.formTargets ?? [])].join(' ')
  c.header(
    'content-security-policy',
    `default-src 'none'; style-src 'self' 'nonce-${nonce}'; img-src data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  )
  c.header('x-frame-options', 'DENY')
  c.header('cache-control', 'no-store')
  c.header('pragma', 'no-cache')
  // Not no-referrer: that would make browsers send `Origin: null` on our own form posts, which
  // the decision checks. same-origin still keeps page URLs from other sites (a vendor's own link).
  // img-src: no remote origin at all — a vendor's logo would be a tracking pixel (vendor-monogram.ts);
  // data: is for the blank favicon.
  c.header('referrer-policy', 'same-origin')
  c.header('x-content-type-options', 'nosniff')
  return c.html(
    html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Custos</title><link rel="icon" href="data:,"><style nonce="${nonce}">${raw(FALLBACK_STYLE)}</style><link rel="stylesheet" href="/assets/custos.css"></head>
<body><header class="top"><span class="brand">Custos</span></header>
<main id="main" class="narrow">${body}</main></body></html>`,
    status,
  )
}

/** An error shown to the person at the browser (fixed text; never the request's input). */
export function errorPage(
  c: Context,
  status: ContentfulStatusCode,
  message: string,
): Response | Promise<Response> {
  return htmlPage(
    c,
    status,
    'Something is wrong',
    html`<h1>This request cannot go on</h1><p class="error">${message}</p><p class="muted">Nothing was shared. You can close this page.</p>`,
  )
}
