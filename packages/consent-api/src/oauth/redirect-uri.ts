/**
 * The rules for a redirect URI, in one place: registration refuses what breaks them (RFC 7591
 * §3.2.2 `invalid_redirect_uri`), and every redirect re-checks the stored string before using it,
 * because a row written by an older version may hold one that breaks them.
 *
 * - absolute, https — or http only on a loopback host (RFC 8252 §7.3) — and no fragment
 *   (RFC 6749 §3.1.2);
 * - no control character and no whitespace anywhere: the WHATWG URL parser silently strips or
 *   drops them (leading/trailing C0 and space, tab and newline anywhere), so `new URL` accepts a
 *   string that is not the URL it parses to. Stored raw, `\r\n` would later split the `Location`
 *   header (the runtime refuses it: a 500) and a leading space is a different string under exact
 *   matching (RFC 9700 §2.1);
 * - the string is exactly what the parser serializes it to (`new URL(s).href === s`): matching is
 *   by exact string comparison, so a form the parser would normalize (upper-case host, default
 *   port, dot segments, missing path) would mean two different strings for one address.
 */
const CONTROL_OR_SPACE = /[\p{Cc}\p{Cf}\p{Z}\s]/u

/** Why `value` cannot be a redirect URI (fixed text, never the value), or undefined when it can. */
export function redirectUriProblem(value: string): string | undefined {
  if (CONTROL_OR_SPACE.test(value)) return 'must not contain control characters or whitespace'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'not an absolute URI'
  }
  if (url.hash !== '' || value.includes('#')) return 'must not contain a fragment'
  if (url.href !== value) return 'must be written exactly as the URL parser serializes it'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) return undefined
  return 'must be https (http only for loopback)'
}

/** True when a (stored) redirect URI may be used in a `Location` header. */
export function isUsableRedirectUri(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 2000 && redirectUriProblem(value) === undefined
}
