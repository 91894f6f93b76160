import type { Context } from 'hono'
import type { RegistrationPolicy } from '../store/registration-policy.js'
import { OAuthError } from './oauth-error.js'

/** RFC 6750 §2.1: the scheme (case-insensitive, RFC 7235 §2.1) and a b64token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i
const MAX_AUTHORIZATION = 4096

/**
 * Lets a registration request through the owner's policy (RFC 7591 §3), or throws the RFC 6750
 * §3.1 answer (401): with no credentials, a bare `Bearer` challenge; with a wrong, revoked or
 * malformed one, `invalid_token`. In `open` mode everything passes.
 */
export async function admitRegistration(policy: RegistrationPolicy, c: Context): Promise<void> {
  if ((await policy.mode()) === 'open') return
  const authorization = c.req.header('authorization')
  const token =
    authorization === undefined || authorization.length > MAX_AUTHORIZATION
      ? undefined
      : BEARER.exec(authorization)?.[1]
  if (token !== undefined && (await policy.useToken(token))) return
  const missing = authorization === undefined
  throw new OAuthError(
    'invalid_token',
    'Registration needs a valid initial access token from the vault owner',
    {
      'www-authenticate': missing
        ? 'Bearer realm="custos"'
        : 'Bearer realm="custos", error="invalid_token", error_description="The initial access token is not valid"',
    },
  )
}
