import { randomBytes } from 'node:crypto'

/**
 * A fresh secret: 32 random bytes, base64url (43 characters). Tokens, authorization codes,
 * request ids, session ids and initial access tokens are all made here, so none can be guessed
 * (RFC 6749 §10.10: at least 128 bits; these carry 256). Tokens, codes, session ids and
 * initial access tokens are stored only as `vault.hashSecret(secret)`.
 */
export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}
