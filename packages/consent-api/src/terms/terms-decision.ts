import { agreementOf, uncoveredPurposes } from './roster.js'
import type { TermsPolicy } from './terms-policy.js'
import type { VendorAnswer } from './vendor-answer.js'

/** The owner's answer to a counter-offer, on the consent page (undefined: not yet asked). */
export type CounterResponse = 'accept' | 'decline'

/** Why a request is refused under the owner's terms: the audit `detail` and the vendor's words. */
export interface TermsRefusal {
  readonly detail: 'ERR_TERMS_REQUIRED' | 'ERR_TERMS_NOT_COVERED'
  /** The purposes the refusal is about (all of them when no agreement is in force). */
  readonly refused: readonly string[]
  /** `error_description` of the `access_denied`: fixed words and IRIs from our catalogue only. */
  readonly description: string
}

export interface TermsOutcome {
  /** The roster agreement the grant is under, if any. */
  readonly inForce: string | undefined
  /** The purposes the agreement in force does not allow (shown to the owner as a warning). */
  readonly uncovered: readonly string[]
  readonly refusal?: TermsRefusal
}

/**
 * What the owner's terms make of a request (IEEE 7012, one round): the agreement in force — the
 * proffered one if the vendor accepted, its counter-offer unless the owner declined it, none after
 * a decline or no answer — and whether the request must be refused:
 * - `requireAgreement`: refused unless an agreement is in force and covers every purpose;
 * - otherwise, refused when none is in force and the owner does not allow asking after a decline.
 * A counter-offer not yet put to the owner counts as in force: if she declines it, this runs again.
 * Reads the roster's data only: no agreement's meaning is written here.
 */
export function termsOutcome(
  policy: TermsPolicy,
  answer: VendorAnswer | undefined,
  purposes: readonly string[],
  counterResponse?: CounterResponse,
): TermsOutcome {
  if (policy.proffered.length === 0) return { inForce: undefined, uncovered: [] }
  const inForce =
    answer?.answer === 'accept'
      ? answer.proffered
      : answer?.answer === 'counter' && counterResponse !== 'decline'
        ? answer.counter
        : undefined
  const agreement = inForce === undefined ? undefined : agreementOf(inForce)
  const uncovered = agreement ? uncoveredPurposes(agreement, purposes) : []
  const none = (description: string): TermsOutcome => ({
    inForce,
    uncovered,
    refusal: { detail: 'ERR_TERMS_REQUIRED', refused: [...purposes], description },
  })
  if (agreement === undefined) {
    if (policy.requireAgreement)
      return none(
        'The owner grants access only under one of her MyTerms agreements; none was agreed',
      )
    if (!policy.allowAfterDecline)
      return none('The owner does not consider requests from vendors that decline her MyTerms')
    return { inForce: undefined, uncovered }
  }
  if (policy.requireAgreement && uncovered.length > 0)
    return {
      inForce,
      uncovered,
      refusal: {
        detail: 'ERR_TERMS_NOT_COVERED',
        refused: uncovered,
        description: `The MyTerms agreement in force does not allow these purposes: ${uncovered.join(' ')}`,
      },
    }
  return { inForce, uncovered }
}
