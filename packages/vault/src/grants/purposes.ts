import { z } from 'zod'

/**
 * Machine-readable purposes (issue 12): every grant says what the vendor may use the data for,
 * as IRIs of the W3C Data Privacy Vocabulary (DPV 2.x, namespace `https://w3id.org/dpv#`,
 * `../shared/STANDARDS.md`), beside the vendor's own words.
 *
 * The catalogue is the part of DPV's purpose taxonomy a vendor relationship touches, with DPV's
 * own label and broader concepts (`dpv/modules/purposes.csv`, DPV 2.2) and our plain words for the
 * owner. `broader` makes refusals follow the taxonomy: an owner who says "never for marketing"
 * refuses direct marketing, advertising and personalised advertising too (each is narrower).
 *
 * DPV has no purpose for training AI models; its AI extension names the processing
 * (`https://w3id.org/dpv/ai#ModelTraining`, "Processing of data to train an AI model"). Owners ask
 * to refuse exactly that, so the catalogue carries it as a purpose and says so.
 */
export const DPV = 'https://w3id.org/dpv#'
export const DPV_AI = 'https://w3id.org/dpv/ai#'

export interface Purpose {
  /** The full IRI: what grants, receipts and requests carry. */
  readonly iri: string
  /** The compact form (`dpv:Marketing`), accepted in requests. */
  readonly curie: string
  /** DPV's label. */
  readonly label: string
  /** What it means for the owner, completing "may use it …". */
  readonly plain: string
  /** The IRIs of the catalogue's broader purposes (DPV `skos:broader`), nearest first. */
  readonly broader: readonly string[]
}

const d = (term: string, label: string, plain: string, broader: readonly string[] = []) => ({
  iri: `${DPV}${term}`,
  curie: `dpv:${term}`,
  label,
  plain,
  broader: broader.map((b) => `${DPV}${b}`),
})

export const PURPOSES: readonly Purpose[] = Object.freeze([
  d('ServiceProvision', 'Service Provision', 'to provide the service you use'),
  d('RequestedServiceProvision', 'Requested Service Provision', 'to provide what you asked for', [
    'ServiceProvision',
  ]),
  d('DeliveryOfGoods', 'Delivery of Goods', 'to deliver what you ordered', [
    'RequestedServiceProvision',
  ]),
  d('PaymentManagement', 'Payment Management', 'to take and record your payments', [
    'ServiceProvision',
  ]),
  d('ServiceRegistration', 'Service Registration', 'to register you for its service', [
    'ServiceProvision',
  ]),
  d('ServicePersonalisation', 'Service Personalisation', 'to tailor its service to you', [
    'Personalisation',
    'ServiceProvision',
  ]),
  d('SellProducts', 'Sell Products', 'to sell products or services', ['ServiceProvision']),
  d(
    'SellProductsToDataSubject',
    'Sell Products to Data Subject',
    'to sell you products or services',
    ['SellProducts'],
  ),
  d(
    'SellDataToThirdParties',
    'Sell Data to Third Parties',
    'to sell or share your data with others',
    ['SellProducts'],
  ),
  d(
    'SellInsightsFromData',
    'Sell Insights from Data',
    'to sell or share what it learns from your data',
    ['SellProducts'],
  ),
  d('ServiceOptimisation', 'Service Optimisation', 'to make its service work better', [
    'ServiceProvision',
  ]),
  d(
    'ImproveExistingProductsAndServices',
    'Improve Existing Products and Services',
    'to improve its products and services',
    ['ServiceOptimisation'],
  ),
  d('ServiceUsageAnalytics', 'Service Usage Analytics', 'to analyse how its service is used', [
    'ServiceProvision',
  ]),
  d('CustomerManagement', 'Customer Management', 'to manage you as a customer'),
  d('CustomerCare', 'Customer Care', 'to help you and solve problems', ['CustomerManagement']),
  d(
    'CommunicationForCustomerCare',
    'Communication for Customer Care',
    'to write to you about its service or a problem',
    ['CustomerCare'],
  ),
  d('CustomerOrderManagement', 'Customer Order Management', 'to handle your orders', [
    'CustomerManagement',
  ]),
  d('CustomerClaimsManagement', 'Customer Claims Management', 'to handle your claims and refunds', [
    'CustomerManagement',
  ]),
  d(
    'CustomerRelationshipManagement',
    'Customer Relationship Management',
    'to keep its record of you as a customer',
    ['CustomerManagement'],
  ),
  d('AccountManagement', 'Account Management', 'to run your account with it'),
  d(
    'EstablishContractualAgreement',
    'Establish Contractual Agreement',
    'to make a contract with you',
  ),
  d(
    'FulfilmentOfContractualObligation',
    'Fulfilment of Contractual Obligation',
    'to do what its contract with you says',
  ),
  d('LegalCompliance', 'Legal Compliance', 'to meet its legal obligations'),
  d('DisputeManagement', 'Dispute Management', 'to settle disputes'),
  d('FraudPreventionAndDetection', 'Fraud Prevention and Detection', 'to prevent and detect fraud'),
  d('IdentityVerification', 'Identity Verification', 'to check who you are'),
  d('Personalisation', 'Personalisation', 'to personalise what it shows or offers you'),
  d(
    'ProvidePersonalisedRecommendations',
    'Provide Personalised Recommendations',
    'to recommend things to you',
    ['ServicePersonalisation'],
  ),
  d(
    'ProvideProductRecommendations',
    'Provide Product Recommendations',
    'to recommend products to you',
    ['ProvidePersonalisedRecommendations'],
  ),
  d('Marketing', 'Marketing', 'for marketing'),
  d('DirectMarketing', 'Direct Marketing', 'to send you marketing', ['Marketing']),
  d('SocialMediaMarketing', 'Social Media Marketing', 'for marketing on social media', [
    'Marketing',
  ]),
  d('Advertising', 'Advertising', 'for advertising', ['Marketing']),
  d('PersonalisedAdvertising', 'Personalised Advertising', 'to show you ads chosen for you', [
    'Advertising',
    'Personalisation',
  ]),
  d('TargetedAdvertising', 'Targeted Advertising', 'to target ads at you', [
    'PersonalisedAdvertising',
  ]),
  d('ResearchAndDevelopment', 'Research and Development', 'for research and development'),
  d('CommercialResearch', 'Commercial Research', 'for commercial research', [
    'ResearchAndDevelopment',
  ]),
  {
    iri: `${DPV_AI}ModelTraining`,
    curie: 'ai:ModelTraining',
    label: 'Training',
    plain: 'to train AI models',
    broader: [],
  },
])

const BY_IRI = new Map(PURPOSES.map((p) => [p.iri, p]))
const BY_CURIE = new Map(PURPOSES.map((p) => [p.curie, p]))

/** The purpose a grant carries when the request names none (plain OAuth scopes): shown to the owner. */
export const DEFAULT_PURPOSE = `${DPV}ServiceProvision`

/** The catalogue entry for an IRI or compact name, if any. */
export function purposeOf(ref: string): Purpose | undefined {
  return BY_IRI.get(ref) ?? BY_CURIE.get(ref)
}

/** A purpose in plain words; an IRI the catalogue lacks (an older grant's) is shown as it is. */
export function purposeText(iri: string): string {
  return purposeOf(iri)?.plain ?? iri
}

/**
 * A purpose as requests give it — full IRI or compact (`dpv:Marketing`) — to its full IRI.
 * Unknown purposes are refused: the owner is never asked to approve a purpose Custos cannot
 * put in words.
 */
export const PurposeRef = z
  .string()
  .max(200)
  .transform((ref, ctx) => {
    const purpose = purposeOf(ref)
    if (purpose === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'unknown purpose: use a DPV purpose IRI Custos lists',
      })
      return z.NEVER
    }
    return purpose.iri
  })

/** One to ten purposes, as full IRIs, each once, in the order given. */
export const PurposeList = z
  .array(PurposeRef)
  .min(1)
  .max(10)
  .transform((iris) => [...new Set(iris)])

/** True when `purpose` is `ancestor` or narrower than it (through the catalogue's `broader`). */
export function isWithin(purpose: string, ancestor: string): boolean {
  const seen = new Set<string>()
  const queue = [purpose]
  for (let iri = queue.shift(); iri !== undefined; iri = queue.shift()) {
    if (iri === ancestor) return true
    if (seen.has(iri)) continue
    seen.add(iri)
    queue.push(...(BY_IRI.get(iri)?.broader ?? []))
  }
  return false
}

/**
 * The requested purposes the owner's "never for" list refuses: each that is a refused purpose or
 * narrower than one. Empty when none is refused.
 */
export function refusedPurposes(
  requested: readonly string[],
  neverFor: readonly string[],
): string[] {
  return requested.filter((p) => neverFor.some((n) => isWithin(p, n)))
}
