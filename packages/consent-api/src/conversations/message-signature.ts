import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose'
import { z } from 'zod'
import { type EntrySigner, MessageInput, ValidationError, VaultError } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { keysOf } from '../oauth/client-auth.js'
import { RECEIPT_ALG, type SigningKey } from '../store/signing-key-store.js'

/**
 * Signatures of conversation messages (issue 13). Every message's canonical entry (the vault's
 * conversations/message-chain.ts) is signed by the vault's Ed25519 key — the one that signs
 * receipts and SETs, published at `/.well-known/jwks.json` — as a compact JWS (RFC 7515 §7.1)
 * whose payload is the entry itself: the owner's messages are the vault's own words, a vendor's
 * are countersigned on receipt with the authenticated client recorded in the entry (`client`).
 * A vendor with a registered key may also sign its message itself; that JWS is verified here
 * against its registered keys, exactly as its client assertions are (oauth/client-auth.ts), and
 * kept inside the entry, so both signatures travel with the thread.
 */
export const MESSAGE_TYP = 'custos-message+jws'
/** The `typ` a vendor's own message JWS carries (RFC 7515 §4.1.9). */
export const VENDOR_MESSAGE_TYP = 'custos-vendor-message+jws'

/** Signs entries with the vault's key: one key derivation per request, not per message. */
export function entrySigner(key: SigningKey): EntrySigner {
  return (entry) =>
    new CompactSign(new TextEncoder().encode(entry))
      .setProtectedHeader({ alg: RECEIPT_ALG, typ: MESSAGE_TYP, kid: key.publicJwk.kid })
      .sign(key.privateKey)
}

export async function vaultSigner(app: AppContext): Promise<EntrySigner> {
  return entrySigner(await app.stores.signingKeys.signingKey())
}

/**
 * What a vendor signs: its message, the thread it is for (absent when it opens one, then the
 * thread's topic and subject), and this server as audience — so a signed message cannot be
 * replayed into another thread or another vault.
 */
export const VendorSignedMessage = z
  .object({
    aud: z.string().min(1).max(2000),
    thread_id: z.string().min(1).max(64).optional(),
    topic: z.string().max(40).optional(),
    subject: z.string().max(200).optional(),
    purchase_id: z.string().max(64).optional(),
    text: z
      .string()
      .max(64 * 1024)
      .default(''),
    order_number: z.string().max(64).optional(),
    requested_action: z.string().max(40).optional(),
    status: z.string().max(40).optional(),
    // A JWT library's usual claims (RFC 7519 §4.1) are allowed; `iss`/`sub`, when given, must
    // name the client.
    iss: z.string().max(200).optional(),
    sub: z.string().max(200).optional(),
    jti: z.string().max(200).optional(),
    iat: z.number().int().optional(),
    exp: z.number().int().optional(),
  })
  .strict()
export type VendorSignedMessage = z.output<typeof VendorSignedMessage>

const refused = () =>
  new ValidationError(
    [
      {
        path: 'jws',
        message: 'the signature does not verify against the client’s registered keys',
      },
    ],
    'The message signature does not verify',
  )

/**
 * Verifies a vendor's own JWS of its message against the keys it registered; returns what it
 * says. A client without registered keys cannot sign (ERR_VALIDATION), nor can a JWS of another
 * thread or audience, or one that does not verify — a forged signature loses nothing and is
 * never stored.
 */
export async function verifyVendorJws(
  app: AppContext,
  clientId: string,
  jws: string,
  threadId: string | undefined,
): Promise<VendorSignedMessage> {
  const client = await app.stores.clients.load(clientId)
  if (!client?.jwks && !client?.jwksUri)
    throw new ValidationError(
      [{ path: 'jws', message: 'this client has no registered keys to verify a signature with' }],
      'The message cannot be verified',
    )
  let payload: Uint8Array
  try {
    const header = decodeProtectedHeader(jws)
    if (header.typ !== VENDOR_MESSAGE_TYP) throw refused()
    const getKey = keysOf(app, client)
    payload = (
      await compactVerify(jws, getKey as never, {
        algorithms: ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'],
      })
    ).payload
  } catch (err) {
    if (err instanceof VaultError) throw err
    throw refused()
  }
  let parsed: VendorSignedMessage
  try {
    parsed = VendorSignedMessage.parse(JSON.parse(new TextDecoder().decode(payload)))
  } catch {
    throw refused()
  }
  if (
    parsed.aud !== app.config.issuer ||
    parsed.thread_id !== threadId ||
    (parsed.iss !== undefined && parsed.iss !== clientId) ||
    (parsed.sub !== undefined && parsed.sub !== clientId)
  )
    throw refused()
  return parsed
}

/** The message a vendor's signed payload carries, as the vault's input. */
export function messageOf(signed: VendorSignedMessage): MessageInput {
  return {
    text: signed.text,
    ...(signed.order_number !== undefined ? { orderNumber: signed.order_number } : {}),
    ...(signed.requested_action !== undefined
      ? { requestedAction: signed.requested_action as never }
      : {}),
    ...(signed.status !== undefined ? { status: signed.status as never } : {}),
  }
}

export { MessageInput }
