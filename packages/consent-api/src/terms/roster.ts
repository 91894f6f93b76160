import { DPV, isWithin } from '@custos/vault'

/**
 * The MyTerms roster (IEEE Std 7012-2025, machine-readable personal privacy terms): the standard
 * agreements a person may proffer, hosted by Customer Commons at
 * `https://myterms.info/agreements/<ID>`.
 *
 * Shipped as data, read by the logic (never an `if (id === 'SD-BASE')`): each agreement's id,
 * title, our plain-language summary, its roster URL, a content hash, and which W3C DPV purposes
 * (IRIs of the vault's catalogue, `PURPOSES` in `@custos/vault`) it covers and excludes.
 *
 * Sources: the identifiers are the five `dmarti/tinyMyTerms` names (its tests and blocklists:
 * SD-BASE, SD-BASE-DP, PDC-AI, PDC-GOOD, PDC-INTENT), with meanings as public write-ups give them
 * (SD-BASE "you only use my information to provide the service", `judell/myterms`; SD-BASE-DP adds
 * data portability; PDC-* are contributions of data: AI training, public good, intentcasting).
 * Other names seen in public notes (SD-BASE-A, -AT, -ATP, -ATP-S3P) are not shipped: unverified.
 *
 * The content hash. Neither public repository holds the agreements' legal texts (tinyMyTerms
 * ships only ad-blocker lists that link to them), so we cannot hash the roster's own text. Each
 * `contentHash` is therefore the SHA-256 of OUR `summary` below, as UTF-8 — the text we ship and
 * show — and a record says exactly that (`content_hash_of`). When the roster's texts are shipped
 * under `terms/roster/`, hash those instead (terms.test.ts checks every hash against its text).
 */
export interface Agreement {
  /** The roster identifier, web-safe ASCII (`SD-BASE`). */
  readonly id: string
  readonly title: string
  /** Our plain-language summary, in the first person ("I"): what the owner proffers. */
  readonly summary: string
  /** Where the roster hosts it. */
  readonly url: string
  /** `sha256:<hex>` of {@link Agreement.summary} as UTF-8 (see above). */
  readonly contentHash: string
  /** DPV purposes the agreement allows; a narrower purpose is allowed with its broader one. */
  readonly covers: readonly string[]
  /** DPV purposes it rules out; they win over `covers` (a narrower one is ruled out too). */
  readonly excludes: readonly string[]
}

/** What a record says its `content_hash` was computed over (see the comment above). */
export const CONTENT_HASH_OF = 'custos-summary-utf8'

const AI_TRAINING = 'https://w3id.org/dpv/ai#ModelTraining'
const dpv = (...terms: string[]) => terms.map((t) => `${DPV}${t}`)

/** What any agreement of the roster rules out (each one's summary says so). */
const NO_SELLING = dpv('SellDataToThirdParties', 'SellInsightsFromData')
const SERVICE = dpv(
  'ServiceProvision',
  'CustomerManagement',
  'AccountManagement',
  'EstablishContractualAgreement',
  'FulfilmentOfContractualObligation',
  'LegalCompliance',
  'DisputeManagement',
  'FraudPreventionAndDetection',
  'IdentityVerification',
)
const SERVICE_ONLY_EXCLUDES = [
  ...dpv('Marketing', 'Personalisation', 'ServiceUsageAnalytics', 'ServiceOptimisation'),
  ...dpv('ResearchAndDevelopment'),
  ...NO_SELLING,
  AI_TRAINING,
]

const agreement = (
  id: string,
  title: string,
  summary: string,
  contentHash: string,
  covers: readonly string[],
  excludes: readonly string[],
): Agreement =>
  Object.freeze({
    id,
    title,
    summary,
    url: `https://myterms.info/agreements/${id}`,
    contentHash: `sha256:${contentHash}`,
    covers: Object.freeze([...covers]),
    excludes: Object.freeze([...excludes]),
  })

export const ROSTER: readonly Agreement[] = Object.freeze([
  agreement(
    'SD-BASE',
    'Service delivery only',
    'Service delivery only. You may use what I share with you only to provide the service I asked for, and to do what the law and our contract require. You do not use it for marketing, advertising, profiling or analytics, you do not sell or share it with anyone else, and you do not train AI models on it.',
    '6ad290ebdb8b8a9d0a56f0698c28e92f0d4cf99328ebdf7c9ea27ff93c865553',
    SERVICE,
    SERVICE_ONLY_EXCLUDES,
  ),
  agreement(
    'SD-BASE-DP',
    'Service delivery only, with data portability',
    'Service delivery only, with data portability. Everything SD-BASE says, and in addition: on my request you give me back the personal data I shared with you, in a machine-readable form I can take elsewhere.',
    'bfff408d871f9d78229f100eda4e7e1472fc33b1c5969c58148c5e6f1a644937',
    SERVICE,
    SERVICE_ONLY_EXCLUDES,
  ),
  agreement(
    'PDC-AI',
    'Contribution to AI training',
    'A contribution of my data to train AI models. You may use what I share with you to train and improve AI models, and for nothing else: no marketing, no advertising or profiling, and no selling or sharing of my data or of what you learn from it.',
    '36a2b35c8f92d4cdb04ef1c502b8e53e99d829852d96321ba04727d80e4de6e4',
    [AI_TRAINING],
    [...dpv('Marketing', 'Personalisation'), ...NO_SELLING],
  ),
  agreement(
    'PDC-GOOD',
    'Contribution to the public good',
    'A contribution of my data to the public good. You may use what I share with you for research and development that serves the public, and for nothing else: no commercial research, no marketing, and no selling or sharing of my data or of what you learn from it.',
    '1e021285c8d242f1225981b60c7d42112d037c5b9f54941297379c223669cf65',
    dpv('ResearchAndDevelopment'),
    [...dpv('CommercialResearch', 'Marketing'), ...NO_SELLING],
  ),
  agreement(
    'PDC-INTENT',
    'Intentcasting',
    'Intentcasting. I tell you what I want to buy so that you can offer it to me. You may use what I share with you only to answer my intent with your offer: no other marketing or advertising, no profiling, no selling or sharing of my data, and no training of AI models on it.',
    'd1ebe783a989ffbfc88b42f57193a7eb8414d70c847e42473063c687288de68b',
    dpv('SellProductsToDataSubject'),
    [...dpv('Marketing', 'Personalisation'), ...NO_SELLING, AI_TRAINING],
  ),
])

const BY_ID = new Map(ROSTER.map((a) => [a.id, a]))

/** The roster's agreement of `id`, or undefined for an id the roster does not hold. */
export function agreementOf(id: string): Agreement | undefined {
  return BY_ID.get(id)
}

/** The roster's identifiers, in roster order. */
export const ROSTER_IDS: readonly string[] = Object.freeze(ROSTER.map((a) => a.id))

/**
 * The purposes of `purposes` the agreement does not allow: outside everything it covers, or
 * inside something it excludes (an exclusion wins). Empty: the agreement covers the grant.
 *
 * @example
 * uncoveredPurposes(agreementOf('SD-BASE')!, ['https://w3id.org/dpv#DirectMarketing']) // that IRI
 */
export function uncoveredPurposes(agreement: Agreement, purposes: readonly string[]): string[] {
  return purposes.filter(
    (p) =>
      !agreement.covers.some((c) => isWithin(p, c)) ||
      agreement.excludes.some((e) => isWithin(p, e)),
  )
}
