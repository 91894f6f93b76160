import { type JWTVerifyGetKey, createRemoteJWKSet } from 'jose'

/** How long a fetch of a client's `jwks_uri` may take before the assertion fails. */
const FETCH_TIMEOUT_MS = 5000

/**
 * The JWK Sets of clients registered with a `jwks_uri` (RFC 7591 §2), for their client
 * assertions (RFC 7523): one remote set per URI, kept for the app's life, so jose's own cache
 * serves repeated assertions and refetches only on an unknown `kid`, with its cooldown (a
 * vendor cannot make every request fetch its keys again).
 *
 * @example
 * const keys = remoteKeySets.forUri(client.jwksUri)
 * await jwtVerify(assertion, keys, { issuer: client.clientId })
 */
export class RemoteKeySets {
  readonly #sets = new Map<string, JWTVerifyGetKey>()

  forUri(uri: string): JWTVerifyGetKey {
    let set = this.#sets.get(uri)
    if (!set)
      this.#sets.set(
        uri,
        (set = createRemoteJWKSet(new URL(uri), { timeoutDuration: FETCH_TIMEOUT_MS })),
      )
    return set
  }
}
