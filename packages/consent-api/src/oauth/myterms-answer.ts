import type { z } from 'zod'
import type { OAuthJsonErrorCode } from '../api-problems.js'
import type { AppContext } from '../app-context.js'
import type { RegisteredClient } from '../store/client-store.js'
import type { RequestedAccess } from '../store/request-store.js'
import { recordAgreement } from '../terms/agreement-record.js'
import { type CounterResponse, termsOutcome } from '../terms/terms-decision.js'
import {
  TermsAnswerError,
  type VendorAnswerInput,
  checkVendorAnswer,
} from '../terms/vendor-answer.js'

type Fail = (error: OAuthJsonErrorCode, description: string) => never

/**
 * The vendor's MyTerms answer (IEEE 7012) as an authorization request carries it: accepted only
 * pushed (RFC 9126 — the vendor authenticated, so the answer is its own; on the front channel
 * anyone could write one), checked against the owner's proffer and the roster, claimed once.
 * Then the owner's terms are applied to the access asked for (see {@link refuseOutsideTerms}).
 */
export async function applyVendorAnswer(
  app: AppContext,
  clientId: string,
  client: RegisteredClient | undefined,
  input: z.output<typeof VendorAnswerInput> | undefined,
  access: RequestedAccess,
  fail: Fail,
): Promise<RequestedAccess> {
  if (input !== undefined && client === undefined)
    fail(
      'invalid_request',
      'A MyTerms answer is accepted only in a pushed authorization request (RFC 9126)',
    )
  const policy = await app.stores.termsPolicy.get()
  let answered = access
  if (input !== undefined && client !== undefined) {
    try {
      answered = { ...access, myterms: await checkVendorAnswer(app, client, input, policy) }
    } catch (err) {
      if (err instanceof TermsAnswerError) fail('invalid_authorization_details', err.description)
      throw err
    }
  }
  await refuseOutsideTerms(app, clientId, answered, fail)
  return answered
}

/**
 * Refuses a request the owner's terms do not allow (terms/terms-decision.ts) — before the consent
 * page, and again when she decides (she may have changed her terms, or declined a counter-offer):
 * logged as the vendor's refused request, recorded as an agreement record when the vendor
 * answered (declines are records too), and answered `access_denied` saying why. Returns the
 * agreement in force otherwise.
 */
export async function refuseOutsideTerms(
  app: AppContext,
  clientId: string,
  access: RequestedAccess,
  fail: Fail,
  counterResponse?: CounterResponse,
): Promise<string | undefined> {
  const policy = await app.stores.termsPolicy.get()
  const outcome = termsOutcome(policy, access.myterms, access.purposes, counterResponse)
  if (!outcome.refusal) return outcome.inForce
  await app.vault.access.refuseRequest({
    vendorId: clientId,
    refused: outcome.refusal.refused,
    detail: outcome.refusal.detail,
    request: access,
  })
  const client = access.myterms ? await app.stores.clients.load(clientId) : undefined
  if (access.myterms && client)
    await recordAgreement(app, {
      client,
      answer: access.myterms,
      counterResponse,
      inForce: outcome.inForce,
      purposes: access.purposes,
      grantId: undefined,
      outcome: 'refused',
    })
  return fail('access_denied', outcome.refusal.description)
}
