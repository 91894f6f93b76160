import {
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import type { RegisteredClient } from '../store/client-store.js'
import { agreementOf } from './roster.js'
import { type TermsPolicy, profferForIds } from './terms-policy.js'
import { VendorTermsError } from './vendor-terms-document.js'

/**
 * The vendor's answer to the owner's proffer (IEEE 7012: one round — the second party accepts,
 * offers exactly one alternative from the roster, or declines), as it arrives in the `myterms`
 * member of a `custos_fields` authorization detail pushed to `/oauth/par` (RFC 9126: the vendor
 * has authenticated, so the answer is its own):
 *
 * ```json
 * "myterms": { "answer_id": "a-7f3c", "proffered": "SD-BASE", "answer": "counter",
 *              "counter": "PDC-GOOD", "signature": "<compact JWS>" }
 * ```
 *
 * `answer_id` names this answer (like a `jti`): it is used once, so an answer cannot be given
 * twice or replayed into a second grant. A `private_key_jwt` client signs its answer — a JWT with
 * `iss` its client id, `aud` this vault's issuer, `jti` the answer id and the three answer
 * members as claims — with a key it registered; any other client's answer is confirmed by the
 * authenticated call itself, and the record says by which method.
 */
export const VendorAnswerInput = z
  .object({
    answer_id: z.string().regex(/^[\x21-\x7e]{8,128}$/),
    proffered: z.string().max(64),
    answer: z.enum(['accept', 'counter', 'decline']),
    counter: z.string().max(64).optional(),
    signature: z.string().max(8192).optional(),
  })
  .strict()

/** The checked answer, as the pending request keeps it until the owner decides. */
export const VendorAnswer = z.object({
  answerId: z.string(),
  proffered: z.string(),
  answer: z.enum(['accept', 'counter', 'decline']),
  counter: z.string().optional(),
  /** How the vendor stands behind its answer: its JWS, or the method of its authenticated call. */
  vendorSignature: z.object({ method: z.string(), jws: z.string().optional() }),
})
export type VendorAnswer = z.output<typeof VendorAnswer>

/** Why an answer was refused: fixed words, never a value the vendor sent. */
export class TermsAnswerError extends Error {
  constructor(readonly description: string) {
    super(description)
  }
}

const ANSWER_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256']
/** An answer's signature is fresh: at most ten minutes old (it is pushed at once). */
const MAX_ANSWER_AGE_SECONDS = 600

/**
 * The agreement the vault proffers to `client`: the owner's first choice that the vendor says it
 * accepts (`myterms_accepted` at registration, or its own MyTerms document at `myterms_uri`,
 * refreshed when stale — terms/vendor-terms-store.ts), else her first choice; undefined when she
 * proffers nothing (and then no document is fetched). A document that cannot be read, with no
 * good copy kept, is a {@link TermsAnswerError}: the proffer, so the answer, cannot be checked.
 */
export async function profferFor(
  app: AppContext,
  policy: TermsPolicy,
  client: RegisteredClient,
): Promise<string | undefined> {
  if (policy.proffered.length === 0) return undefined
  let accepted: readonly string[]
  try {
    accepted = await app.stores.vendorTerms.acceptedBy(client)
  } catch (err) {
    if (!(err instanceof VendorTermsError)) throw err
    throw new TermsAnswerError(
      `Your myterms_uri cannot be read and no earlier copy is kept, so the agreement proffered to you is unknown: ${err.message}`,
    )
  }
  return profferForIds(policy, accepted)
}

/**
 * Checks an answer against the proffer and the roster, verifies the vendor's signature and claims
 * the answer id (once). Throws {@link TermsAnswerError}; claims nothing when it throws before the
 * claim, so a refused answer loses nothing.
 */
export async function checkVendorAnswer(
  app: AppContext,
  client: RegisteredClient,
  input: z.output<typeof VendorAnswerInput>,
  policy: TermsPolicy,
): Promise<VendorAnswer> {
  const proffer = await profferFor(app, policy, client)
  if (proffer === undefined)
    throw new TermsAnswerError('The owner proffers no MyTerms agreement: send no myterms answer')
  if (agreementOf(input.proffered) === undefined)
    throw new TermsAnswerError('myterms.proffered is not an agreement of the MyTerms roster')
  if (input.proffered !== proffer)
    throw new TermsAnswerError(
      'myterms.proffered is not the agreement the owner proffers to you (see /.well-known/myterms)',
    )
  if (input.answer === 'counter') {
    if (input.counter === undefined)
      throw new TermsAnswerError('A counter-offer names exactly one alternative in myterms.counter')
    if (agreementOf(input.counter) === undefined)
      throw new TermsAnswerError('myterms.counter is not an agreement of the MyTerms roster')
    if (input.counter === input.proffered)
      throw new TermsAnswerError('myterms.counter must differ from the proffered agreement')
  } else if (input.counter !== undefined) {
    throw new TermsAnswerError('myterms.counter is only for answer "counter"')
  }
  const vendorSignature = await vendorSigned(app, client, input)
  if (await app.stores.agreements.answerUsed(client.clientId, input.answer_id))
    throw new TermsAnswerError('This MyTerms answer was already given: one answer per request')
  // Claimed until a record is surely written or the request surely expired; after that the
  // record's unique answer key refuses it (terms/agreement-store.ts).
  const until = new Date(app.now().getTime() + 24 * 3600 * 1000)
  if (!(await app.stores.jti.claim(`myterms:${client.clientId}:${input.answer_id}`, until)))
    throw new TermsAnswerError('This MyTerms answer was already given: one answer per request')
  return {
    answerId: input.answer_id,
    proffered: input.proffered,
    answer: input.answer,
    ...(input.counter !== undefined ? { counter: input.counter } : {}),
    vendorSignature,
  }
}

/** A key client's JWS over its answer, verified; another client's authenticated call, named. */
async function vendorSigned(
  app: AppContext,
  client: RegisteredClient,
  input: z.output<typeof VendorAnswerInput>,
): Promise<VendorAnswer['vendorSignature']> {
  if (client.authMethod !== 'private_key_jwt') {
    if (input.signature !== undefined)
      throw new TermsAnswerError('myterms.signature is only for private_key_jwt clients')
    return { method: client.authMethod }
  }
  if (input.signature === undefined)
    throw new TermsAnswerError(
      'A private_key_jwt client signs its MyTerms answer: myterms.signature',
    )
  let claims: Record<string, unknown>
  try {
    ;({ payload: claims } = await jwtVerify(input.signature, keysOf(app, client), {
      issuer: client.clientId,
      audience: app.config.issuer,
      algorithms: ANSWER_ALGS,
      requiredClaims: ['iat', 'jti'],
      maxTokenAge: MAX_ANSWER_AGE_SECONDS,
      currentDate: app.now(),
      clockTolerance: 30,
    }))
  } catch (err) {
    throw new TermsAnswerError(
      err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired
        ? 'myterms.signature: iss, aud, iat or jti is wrong or too old'
        : 'myterms.signature does not verify with a key you registered',
    )
  }
  if (
    claims.jti !== input.answer_id ||
    claims.proffered !== input.proffered ||
    claims.answer !== input.answer ||
    (claims.counter ?? undefined) !== input.counter
  )
    throw new TermsAnswerError('myterms.signature signs another answer than the one sent')
  return { method: 'private_key_jwt', jws: input.signature }
}

/** The client's registered keys: its `jwks`, or the app's cached set of its `jwks_uri`. */
function keysOf(app: AppContext, client: RegisteredClient): JWTVerifyGetKey {
  if (client.jwks) return createLocalJWKSet(client.jwks as unknown as JSONWebKeySet)
  return app.stores.remoteKeySets.forUri(client.jwksUri as string)
}
