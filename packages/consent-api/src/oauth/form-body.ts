import type { Context } from 'hono'
import { OAuthError } from './oauth-error.js'

/**
 * Parameters of an OAuth request, as a map of single values. RFC 6749 §3.1 and §3.2: "Request
 * and response parameters MUST NOT be included more than once" — repeated names are collected
 * in `repeated` so each endpoint can refuse them with the right error.
 */
export interface OAuthParams {
  readonly values: ReadonlyMap<string, string>
  readonly repeated: ReadonlySet<string>
}

export function paramsFrom(search: URLSearchParams): OAuthParams {
  const values = new Map<string, string>()
  const repeated = new Set<string>()
  for (const [name, value] of search) {
    if (values.has(name)) repeated.add(name)
    else values.set(name, value)
  }
  return { values, repeated }
}

/**
 * Reads the `application/x-www-form-urlencoded` body of a back-channel OAuth request (token,
 * PAR, revocation, introspection: RFC 6749 §4.1.3, RFC 9126 §2.1, RFC 7009 §2.1, RFC 7662 §2.1).
 * Anything else is `invalid_request`. The query string must be empty: credentials and tokens are
 * never accepted in a URL, where logs and referrers keep them (SECURITY.md promise 17).
 */
export async function readFormBody(c: Context): Promise<OAuthParams> {
  if (new URL(c.req.url).search !== '')
    throw new OAuthError('invalid_request', 'Parameters are not accepted in the query string')
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded')
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded')
  const params = paramsFrom(new URLSearchParams(await c.req.text()))
  if (params.repeated.size > 0)
    throw new OAuthError('invalid_request', 'A parameter was given more than once')
  return params
}

/** A parameter that must be present and non-empty, or `invalid_request`. */
export function requiredParam(params: OAuthParams, name: string, max = 2048): string {
  const value = params.values.get(name)
  if (value === undefined || value === '')
    throw new OAuthError('invalid_request', `Missing parameter: ${name}`)
  if (value.length > max) throw new OAuthError('invalid_request', `Parameter too long: ${name}`)
  return value
}
