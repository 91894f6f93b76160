import { NAV } from './layout.js'

/**
 * Where a sign-in or unlock may send the browser afterwards: `/` or one of the owner's pages
 * (and paths below them, such as `/purchases/new`), nothing else — never `//evil.example`, an
 * absolute URL, a backslash trick or an encoded path. An open redirect on the sign-in page would
 * hand a phishing site the owner's trust in the address bar (OWASP "Unvalidated Redirects").
 */
const PAGES = new Set<string>(['/', ...NAV.map((n) => n.href)])
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/

export function localNext(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 200 || !value.startsWith('/')) return undefined
  if (PAGES.has(value)) return value
  const [, first, ...rest] = value.split('/')
  if (!first || !PAGES.has(`/${first}`) || rest.length > 3 || !rest.every((s) => SEGMENT.test(s)))
    return undefined
  return value
}
