import type { Context } from 'hono'
import type { AppContext } from '../app-context.js'
import { DpopError, verifyDpopProof } from '../protocol/dpop-proof.js'
import { OAuthError } from './oauth-error.js'

/**
 * The key thumbprint of the `DPoP` proof sent to an authorization server endpoint (token, PAR),
 * or null when none was sent. RFC 9449 §4.3 step 1: exactly one proof — a repeated header
 * arrives joined with commas, which no JWS contains. An invalid proof is `invalid_dpop_proof`
 * (§5.1), with a fixed description.
 */
export async function dpopProofKey(
  app: AppContext,
  c: Context,
  endpoint: string,
): Promise<string | null> {
  const proof = c.req.raw.headers.get('dpop')
  if (proof === null) return null
  if (proof.includes(','))
    throw new OAuthError('invalid_dpop_proof', 'Exactly one DPoP proof is required')
  try {
    return (await verifyDpopProof(app, proof, { method: 'POST', url: endpoint })).jkt
  } catch (err) {
    if (err instanceof DpopError)
      throw new OAuthError('invalid_dpop_proof', 'The DPoP proof is invalid')
    throw err
  }
}
