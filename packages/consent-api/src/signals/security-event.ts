import { SignJWT } from 'jose'
import type { Signal, SignalKind } from '@custos/vault'
import { RECEIPT_ALG, type SigningKey } from '../store/signing-key-store.js'

/**
 * Security Event Tokens (RFC 8417) for the vault's signals (vault: signals/signal-outbox.ts). A SET
 * is a statement of fact, signed with the vault's key (the one that signs receipts, published at
 * `/.well-known/jwks.json`), whose `events` claim names what happened under Custos's own event
 * URIs (RFC 8417 §2.2: event types are URIs the issuer defines). It is not an access token and
 * carries no values: a vendor told that a field changed reads the new value through its grant.
 *
 * - `jti`: the signal's id — a retried delivery is the same SET (RFC 8935 §2: idempotent by jti);
 * - `aud`: the vendor's client id; `sub_id` (RFC 9493 opaque format): the grant, when there is one;
 * - `toe`: when the change happened (or, for an expiry, takes effect), `iat` when signed.
 */
export const SET_TYP = 'secevent+jwt'
const BASE = 'https://custos.dev/secevent'

export const EVENT_TYPES: Readonly<Record<SignalKind, string>> = Object.freeze({
  'grant.revoked': `${BASE}/grant-revoked`,
  'grant.narrowed': `${BASE}/grant-narrowed`,
  'grant.expired': `${BASE}/grant-expired`,
  'field.changed': `${BASE}/field-changed`,
  'erasure.requested': `${BASE}/erasure-requested`,
  'receipt.issued': `${BASE}/receipt-issued`,
  'message.posted': `${BASE}/message-posted`,
  'intent.offer_accepted': `${BASE}/intent-offer-accepted`,
  'intent.offer_declined': `${BASE}/intent-offer-declined`,
})

/** The event type a vendor sends back when it has erased what an erasure request asked for. */
export const ERASURE_ACKNOWLEDGED = `${BASE}/erasure-acknowledged`

function payloadOf(signal: Signal): Record<string, unknown> {
  switch (signal.kind) {
    case 'field.changed':
      return { grant_id: signal.grantId, fields: signal.paths }
    case 'erasure.requested':
      return { request_id: signal.id }
    case 'receipt.issued':
      // The receipt itself, in both shapes, is the vendor's to fetch (oauth/receipts.ts).
      return {
        receipt_id: signal.paths[0],
        ...(signal.grantId ? { grant_id: signal.grantId } : {}),
      }
    case 'message.posted':
      // The message itself is the vendor's to read through its grant (GET /v1/conversations/{id}).
      return { thread_id: signal.paths[0], grant_id: signal.grantId }
    case 'intent.offer_accepted':
    case 'intent.offer_declined':
      // The vendor's own offer id; on acceptance it asks for the intent's disclosed fields on the consent page.
      return { offer_id: signal.paths[0] }
    default:
      return { grant_id: signal.grantId }
  }
}

/** Signs one signal as a SET for its vendor. */
export function signSecurityEvent(
  key: SigningKey,
  signal: Signal,
  issuer: string,
  now: Date,
): Promise<string> {
  return new SignJWT({
    toe: Math.floor(Date.parse(signal.at) / 1000),
    ...(signal.grantId ? { sub_id: { format: 'opaque', id: signal.grantId } } : {}),
    events: { [EVENT_TYPES[signal.kind]]: payloadOf(signal) },
  })
    .setProtectedHeader({ alg: RECEIPT_ALG, typ: SET_TYP, kid: key.publicJwk.kid })
    .setIssuer(issuer)
    .setAudience(signal.vendorId)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setJti(signal.id)
    .sign(key.privateKey)
}
