import { createHash } from 'node:crypto'
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose'
import type { AppContext } from '../app-context.js'

/**
 * DPoP proof verification (RFC 9449 §4.3). A proof is a JWT with `typ: dpop+jwt`, an asymmetric
 * `alg`, the public key in its `jwk` header, and claims `htm` (method), `htu` (URL without query
 * and fragment), `iat` (recent), `jti` (never seen before — stored hashed in the database so
 * every process shares the replay cache: store/jti-store.ts) and, when an access token is
 * presented, `ath` (base64url SHA-256 of the token). Returns the key's JWK thumbprint (RFC 7638),
 * the `jkt` tokens are bound to. Shared by the authorization server (token and PAR endpoints)
 * and the resource server (DPoP-bound access tokens).
 */
export const DPOP_ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const
const IAT_WINDOW_SECONDS = 60

export class DpopError extends Error {}

export async function verifyDpopProof(
  app: AppContext,
  proof: string,
  request: { method: string; url: string; accessToken?: string },
): Promise<{ jkt: string }> {
  if (typeof proof !== 'string' || proof.length > 8192 || proof.split('.').length !== 3)
    throw new DpopError('malformed DPoP proof')
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(proof)
  } catch {
    throw new DpopError('malformed DPoP proof')
  }
  if (header.typ !== 'dpop+jwt' || !header.jwk || 'd' in header.jwk)
    throw new DpopError('DPoP proof header invalid')
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...DPOP_ALGS],
    }))
  } catch {
    throw new DpopError('DPoP proof signature invalid')
  }
  const nowSeconds = Math.floor(app.now().getTime() / 1000)
  const { htm, htu, iat, jti, ath } = payload
  if (htm !== request.method) throw new DpopError('DPoP htm mismatch')
  if (typeof htu !== 'string' || normalizeHtu(htu) !== normalizeHtu(request.url))
    throw new DpopError('DPoP htu mismatch')
  if (typeof iat !== 'number' || Math.abs(nowSeconds - iat) > IAT_WINDOW_SECONDS)
    throw new DpopError('DPoP iat outside the window')
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256)
    throw new DpopError('DPoP jti invalid')
  if (request.accessToken !== undefined) {
    const expected = createHash('sha256').update(request.accessToken).digest('base64url')
    if (ath !== expected) throw new DpopError('DPoP ath mismatch')
  }
  // Replay: the insert fails on a jti already seen within its window.
  if (
    !(await app.stores.jti.claim(
      `dpop:${jti}`,
      new Date((nowSeconds + 2 * IAT_WINDOW_SECONDS) * 1000),
    ))
  )
    throw new DpopError('DPoP proof replayed')
  return { jkt: await calculateJwkThumbprint(header.jwk, 'sha256') }
}

/** htu comparison ignores query and fragment (RFC 9449 §4.3 step 9) and case of scheme and host. */
function normalizeHtu(value: string): string {
  try {
    const url = new URL(value) // lowercases scheme and host; the path stays case-sensitive
    return `${url.protocol}//${url.host}${url.pathname}`
  } catch {
    return `invalid:${value}`
  }
}
