import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/**
 * How a vendor is pictured on the owner's pages (the consent page, Connections): the first letter
 * of its name, drawn by our own stylesheet. The vendor's registered `logo_uri` (RFC 7591 §2) is
 * kept but never loaded: an `<img>` pointing at the vendor's server would tell the vendor when,
 * and from which address, the owner looks at its request or its connection — a tracking pixel on
 * the owner's most private pages. Fetching the logo on the server instead would make the server
 * fetch vendor-chosen URLs (SSRF, a privacy leak of its own) for decoration; a monogram needs
 * nothing. The pages' CSP (`img-src` without remote origins) holds the line if one slips in.
 *
 * @example
 * html`<div class="vendor">${vendorMonogram(vendor.name)}<h1>${vendor.name}</h1></div>`
 */
export function vendorMonogram(name: string): HtmlEscapedString | Promise<HtmlEscapedString> {
  // The first grapheme, so an emoji or an accented letter stays whole.
  const first =
    new Intl.Segmenter(undefined, { granularity: 'grapheme' })
      .segment(name.trim())
      [Symbol.iterator]()
      .next().value?.segment ?? '?'
  return html`<span class="monogram" aria-hidden="true">${first.toLocaleUpperCase()}</span>`
}
