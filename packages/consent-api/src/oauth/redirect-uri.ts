/**
 * The rules for a redirect URI, in one place: registration refuses what breaks them (RFC 7591
 * §3.2.2 `invalid_redirect_uri`), and every redirect re-checks the stored string before using it,
 * because a row written by an older version may hold one that breaks them.
 *
 * - absolute, no fragment (RFC 6749 §3.1.2), and one of: https; http only on a loopback host
 *   (RFC 8252 §7.3); or a private-use scheme of a native app (RFC 8252 §7.1), which must be a
 *   reverse domain name — it has a dot (`com.example.app:/cb`), which also keeps out
 *   `javascript:`, `data:`, `file:` and the like;
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
  if (url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname))
    return undefined
  if (PRIVATE_USE_SCHEME.test(url.protocol)) return undefined
  return 'must be https (http only for loopback, or a reverse-domain private-use scheme)'
}

/** RFC 8252 §7.1: a private-use URI scheme is a reverse domain name (`com.example.app:`). */
const PRIVATE_USE_SCHEME = /^(?!https?:)[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/

/** RFC 8252 §7.3: loopback IP literals (not `localhost`, §8.3), where a native app listens on any port. */
const LOOPBACK_IPS = ['127.0.0.1', '[::1]']

/**
 * Whether `given` names one of the `registered` redirect URIs: the exact string (RFC 9700 §2.1),
 * or — for an http loopback IP redirect URI — the same URI on another port: a native app gets a
 * port from the operating system each time it runs, so the server must allow any port at request
 * time (RFC 8252 §7.3). Nothing else is normalized; `given` must itself be a valid redirect URI.
 */
export function matchesRegisteredRedirect(registered: readonly string[], given: string): boolean {
  if (registered.includes(given)) return true
  if (given.length > 2000 || redirectUriProblem(given) !== undefined) return false
  const asked = new URL(given)
  if (asked.protocol !== 'http:' || !LOOPBACK_IPS.includes(asked.hostname)) return false
  return registered.some((r) => {
    let url: URL
    try {
      url = new URL(r)
    } catch {
      return false
    }
    return (
      url.protocol === 'http:' &&
      url.hostname === asked.hostname &&
      url.pathname === asked.pathname &&
      url.search === asked.search
    )
  })
}

/**
 * Where a redirect URI sends the browser, as a CSP source and for the owner to read: its origin,
 * or for a private-use scheme — whose origin is opaque (`null`, not a valid CSP source) — the
 * scheme (`com.example.app:`, a CSP scheme-source), so `form-action` lets the redirect through.
 */
export function redirectTarget(redirectUri: string): string {
  const url = new URL(redirectUri)
  return url.origin !== 'null' ? url.origin : url.protocol
}

/** True when a (stored) redirect URI may be used in a `Location` header. */
export function isUsableRedirectUri(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length <= 2000 && redirectUriProblem(value) === undefined
  )
}
