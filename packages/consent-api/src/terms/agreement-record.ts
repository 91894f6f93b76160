import { CompactSign } from 'jose'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { ReceiptSettingsStore } from '../receipts/receipt-settings.js'
import type { RegisteredClient } from '../store/client-store.js'
import { newSecret } from '../store/new-secret.js'
import { RECEIPT_ALG } from '../store/signing-key-store.js'
import { CONTENT_HASH_OF, agreementOf } from './roster.js'
import type { CounterResponse } from './terms-decision.js'
import type { VendorAnswer } from './vendor-answer.js'

/**
 * The agreement record (IEEE 7012: what both parties keep, identical and immutable): the
 * agreement's roster id, URL and content hash; both parties and their agents; what was proffered
 * and answered; the time, the jurisdiction and the channel; both signatures. Declines are
 * recorded too (`status: "refused"`, no agreement in force).
 *
 * The vault signs the record as a compact JWS (EdDSA, the key of `/.well-known/jwks.json`, the
 * same as consent receipts): the JWS payload IS the record's bytes, so the owner's copy
 * (`GET /owner/agreements`) and the vendor's (`GET /v1/agreements`) are the same string.
 * The vendor's signature is inside: its own JWS over its answer (private_key_jwt clients), or
 * the method of the authenticated call that carried the answer.
 */
export const RECORD_VERSION = 'custos-myterms-record/1'
export const RECORD_TYP = 'myterms-record+jws'

const AgreementRef = z.object({
  id: z.string(),
  url: z.string(),
  content_hash: z.string(),
  content_hash_of: z.string(),
})

export const AgreementRecord = z.object({
  record_id: z.string(),
  version: z.literal(RECORD_VERSION),
  standard: z.literal('IEEE 7012-2025'),
  /** DPV P7012 negotiation status words: accepted, or refused (by either party). */
  status: z.enum(['accepted', 'refused']),
  /** The agreement in force; null after a decline. */
  agreement: AgreementRef.nullable(),
  proffered: AgreementRef,
  answer: z.enum(['accept', 'counter', 'decline']),
  counter_offer: AgreementRef.nullable(),
  /** The owner's answer to the counter-offer; null when there was none. */
  owner_response: z.enum(['accept', 'decline']).nullable(),
  first_party: z.object({ id: z.string(), role: z.literal('person'), agent: z.string() }),
  second_party: z.object({
    id: z.string(),
    name: z.string(),
    website: z.string().nullable(),
    role: z.literal('entity'),
  }),
  purposes: z.array(z.string()),
  grant_id: z.string().nullable(),
  /** What became of the request: a grant, the owner's denial, or a refusal under her terms. */
  outcome: z.enum(['granted', 'denied', 'refused']),
  time: z.string(),
  jurisdiction: z.string(),
  channel: z.string(),
  signatures: z.object({
    second_party: z.object({
      method: z.string(),
      jws: z.string().nullable(),
      confirmed_by: z.string(),
    }),
    first_party: z.object({ alg: z.string(), kid: z.string(), jwks_uri: z.string() }),
  }),
})
export type AgreementRecord = z.output<typeof AgreementRecord>

/** A record with the vault's JWS whose payload it is. */
export interface SignedAgreement {
  readonly record: AgreementRecord
  readonly jws: string
}

function refOf(id: string): z.output<typeof AgreementRef> {
  const agreement = agreementOf(id)
  if (!agreement) throw new TypeError('not a roster agreement') // checked when the answer came in
  return {
    id,
    url: agreement.url,
    content_hash: agreement.contentHash,
    content_hash_of: CONTENT_HASH_OF,
  }
}

export interface RecordInput {
  readonly client: RegisteredClient
  readonly answer: VendorAnswer
  readonly counterResponse: CounterResponse | undefined
  readonly inForce: string | undefined
  readonly purposes: readonly string[]
  readonly grantId: string | undefined
  readonly outcome: AgreementRecord['outcome']
}

/** Builds and signs the record, and stores it (once per answer id). Sealed: ERR_VAULT_LOCKED. */
export async function recordAgreement(
  app: AppContext,
  input: RecordInput,
): Promise<SignedAgreement> {
  const key = await app.stores.signingKeys.signingKey()
  const { jurisdiction } = await new ReceiptSettingsStore(app).get()
  const { answer, client } = input
  const record: AgreementRecord = {
    record_id: newSecret(),
    version: RECORD_VERSION,
    standard: 'IEEE 7012-2025',
    status: input.inForce === undefined ? 'refused' : 'accepted',
    agreement: input.inForce === undefined ? null : refOf(input.inForce),
    proffered: refOf(answer.proffered),
    answer: answer.answer,
    counter_offer: answer.counter === undefined ? null : refOf(answer.counter),
    owner_response: answer.answer === 'counter' ? (input.counterResponse ?? null) : null,
    first_party: { id: app.config.issuer, role: 'person', agent: `${app.config.issuer} (Custos)` },
    second_party: {
      id: client.clientId,
      name: client.name,
      website: client.clientUri ?? null,
      role: 'entity',
    },
    purposes: [...input.purposes],
    grant_id: input.grantId ?? null,
    outcome: input.outcome,
    time: app.now().toISOString(),
    jurisdiction,
    channel: 'OAuth 2.0 pushed authorization request (RFC 9126) and the owner’s consent page',
    signatures: {
      second_party: {
        method: answer.vendorSignature.method,
        jws: answer.vendorSignature.jws ?? null,
        confirmed_by: answer.vendorSignature.jws === undefined ? 'authenticated call' : 'signature',
      },
      first_party: {
        alg: RECEIPT_ALG,
        kid: key.publicJwk.kid,
        jwks_uri: `${app.config.issuer}/.well-known/jwks.json`,
      },
    },
  }
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(record)))
    .setProtectedHeader({ alg: RECEIPT_ALG, typ: RECORD_TYP, kid: key.publicJwk.kid })
    .sign(key.privateKey)
  const signed = { record, jws }
  await app.stores.agreements.add({
    clientId: client.clientId,
    grantId: input.grantId,
    answerId: answer.answerId,
    signed,
  })
  return signed
}
