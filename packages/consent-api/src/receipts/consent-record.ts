import { SignJWT } from 'jose'
import type { ConsentEvent, Vendor } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { RECEIPT_ALG, type SigningKey } from '../store/signing-key-store.js'
import { type ReceiptContext, piiControllerOf, receiptContextFor, termsOf } from './receipt.js'

/**
 * Consent receipts in a second shape (issue 12, part 3): an ISO/IEC TS 27560:2023 consent record
 * in the W3C DPV profile, as the DPVCG guide "Consent Records and Receipts as per ISO/IEC TS
 * 27560:2023 using DPV" (https://w3id.org/dpv/guides/consent-27560, the `dpv-27560` profiles)
 * lays it out, beside the Kantara v1.1 receipt of receipt.ts. Same inputs, same key, same
 * promise: the vault signs it as a compact JWS (RFC 7515) with JWT claims (RFC 7519) that anyone
 * verifies against `/.well-known/jwks.json`, and nothing in it reads the wall clock — every time is
 * one of the grant's own — so the same grant state yields the very same JWS (Ed25519 signatures
 * are deterministic).
 *
 * Shape. What the vault hands the owner or the vendor is, in 27560's words, a *receipt*: "an
 * authoritative copy of a consent record". The guide's receipt profile wraps the record
 * (`dpv:ConsentReceipt` → `dpv:hasRecordOfActivity` → `dpv:ConsentRecord`), so the receipt id and
 * the record id name different things: the record is one per grant revision (a narrowing changes
 * what was consented to, so it starts a new record, `dct:isVersionOf` the grant's), the receipt
 * one per consent event (`<grantId>.<revision>`, `.revoked` or `.expired` appended once the
 * consent ended) — the `jti` of the JWT, and the Kantara receipt's id for the same event.
 *
 * Each receipt carries one event of the record — consent given (at creation or at the narrowing
 * that made this revision), withdrawn (revoked), expired, or refused (a request the owner or her
 * standing rules said no to: a record of its own, with what was asked) — as
 * `dpv:hasConsentStatus`. The vault keeps every event with what it said at the time (its consent
 * history, `vault.grants.history`), so a receipt of any of them can be signed at any time, the
 * same each time; the receipts together are the record's event log.
 *
 * JSON-LD: the record is plain JSON with an `@context`, keys as the guide writes them
 * (`dpv:hasPurpose`, `dct:identifier`, `schema:contactPoint`), IRIs as `{ "@id": … }` so a JSON-LD
 * processor reads them as IRIs, not strings. The JWT claims `iss`, `iat` and `jti` added when
 * signing are not in the context and are dropped by a JSON-LD processor, as they should be.
 */
export const RECORD_TYP = 'consent-record+jwt'

const DPV = 'https://w3id.org/dpv#'
/** The guide's profile IRIs (its §Profiles): a record, and a receipt that copies one. */
export const RECORD_SCHEMA = 'https://w3id.org/dpv/schema/dpv-27560#record'
export const RECEIPT_SCHEMA = 'https://w3id.org/dpv/schema/dpv-27560#receipt'

/** The prefixes the guide uses (its §Namespaces), plus schema.org for party contacts. */
export const RECORD_CONTEXT = Object.freeze({
  dpv: DPV,
  pd: 'https://w3id.org/dpv/pd#',
  loc: 'https://w3id.org/dpv/loc#',
  dct: 'http://purl.org/dc/terms/',
  schema: 'https://schema.org/',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
})

type Path = readonly (string | number)[]

/** Where in the signed payload each mandatory field is. */
const R = 'dpv:hasRecordOfActivity'
const PROCESS: Path = [R, 'dpv:hasProcess']
const VENDOR: Path = [R, 'dpv:hasEntity', 0]
const EVENT: Path = [R, 'dpv:hasConsentStatus', 0]

/**
 * The fields ISO/IEC TS 27560 makes mandatory, as the guide's table "ISO 27560:2023, EU GDPR, and
 * DPV" lists them (column "required?" = Mandatory), each with where this record carries it. The
 * test checks the payload against this list, so a field dropped from the builder fails it.
 */
export const MANDATORY_FIELDS: readonly {
  readonly section: 'header' | 'processing' | 'parties' | 'events'
  readonly field: string
  readonly path: Path
}[] = Object.freeze([
  { section: 'header', field: 'schema version', path: [R, 'dct:conformsTo'] },
  { section: 'header', field: 'record id', path: [R, 'dct:identifier'] },
  { section: 'header', field: 'receipt id', path: ['dpv:hasIdentifier'] },
  {
    section: 'header',
    field: 'pii principal id',
    path: [R, 'dpv:hasDataSubject', 'dct:identifier'],
  },
  { section: 'processing', field: 'privacy notice', path: [R, 'dpv:hasNotice'] },
  { section: 'processing', field: 'language', path: [R, 'dct:language'] },
  { section: 'processing', field: 'purpose', path: [...PROCESS, 'dpv:hasPurpose'] },
  { section: 'processing', field: 'pii information', path: [...PROCESS, 'dpv:hasPersonalData'] },
  {
    section: 'processing',
    field: 'pii type',
    path: [...PROCESS, 'dpv:hasPersonalData', 0, 'skos:broader'],
  },
  { section: 'processing', field: 'pii controllers', path: [...PROCESS, 'dpv:hasDataController'] },
  {
    section: 'processing',
    field: 'storage locations',
    path: [...PROCESS, 'dpv:hasStorageCondition', 0, 'dpv:hasLocation'],
  },
  {
    section: 'processing',
    field: 'retention period',
    path: [...PROCESS, 'dpv:hasStorageCondition', 1, 'dpv:hasDuration'],
  },
  { section: 'processing', field: 'jurisdiction', path: [...PROCESS, 'dpv:hasJurisdiction'] },
  {
    section: 'processing',
    field: 'recipient third parties',
    path: [...PROCESS, 'dpv:hasRecipient'],
  },
  {
    section: 'processing',
    field: 'withdrawal method',
    path: [...PROCESS, 'dpv:hasConsentControl', 'dpv:isExercisedAt'],
  },
  { section: 'parties', field: 'party id', path: [...VENDOR, 'dpv:hasIdentifier'] },
  { section: 'parties', field: 'party address', path: [...VENDOR, 'schema:address'] },
  { section: 'parties', field: 'party name', path: [...VENDOR, 'dpv:hasName'] },
  { section: 'parties', field: 'party contact', path: [...VENDOR, 'schema:contactPoint'] },
  { section: 'parties', field: 'party type', path: [...VENDOR, '@type'] },
  { section: 'events', field: 'event time', path: [...EVENT, 'dpv:isIndicatedAtTime'] },
  { section: 'events', field: 'validity duration', path: [...EVENT, 'dpv:hasDuration'] },
  { section: 'events', field: 'entity id', path: [...EVENT, 'dpv:isIndicatedBy'] },
  { section: 'events', field: 'event type', path: [...EVENT, 'dpv:hasLegalBasis'] },
  { section: 'events', field: 'event state', path: [...EVENT, '@type'] },
])

/** A JSON-LD node reference. */
interface Ref {
  readonly '@id': string
}
const ref = (id: string): Ref => ({ '@id': id })

/** The DPV consent status of each kind of consent event (DPV's `ConsentStatus` taxonomy). */
export const CONSENT_STATUS = Object.freeze({
  given: 'dpv:ConsentGiven',
  narrowed: 'dpv:ConsentGiven',
  withdrawn: 'dpv:ConsentWithdrawn',
  expired: 'dpv:ConsentExpired',
  // DPV's ConsentExpired is "temporal or contextual validity" run out: a single-use consent's
  // context — its one read — has been used.
  consumed: 'dpv:ConsentExpired',
  refused: 'dpv:ConsentRefused',
} as const satisfies Record<ConsentEvent['kind'], string>)

/** A consent record, wrapped as the guide's receipt (see the module comment). */
export interface ConsentRecord {
  readonly '@context': typeof RECORD_CONTEXT
  readonly '@id': string
  readonly '@type': 'dpv:ConsentReceipt'
  readonly 'dct:conformsTo': Ref
  /** The receipt id: one per consent event, also the JWT's `jti`. */
  readonly 'dpv:hasIdentifier': string
  /** The guide's receipt "creation timestamp": the event's time, never the signing time. */
  readonly 'dct:created': string
  readonly 'dct:publisher': Ref
  readonly [R]: Readonly<Record<string, unknown>> & { readonly '@type': 'dpv:ConsentRecord' }
}

/** The record an event belongs to: a grant's revision, or a refused request on its own. */
function recordIdOf(event: ConsentEvent): string {
  return event.grantId !== undefined && event.revision !== undefined
    ? `urn:custos:consent-record:${event.grantId}.${event.revision}`
    : `urn:custos:consent-record:${event.id}`
}

/**
 * An ISO 8601 duration in days and time, whole seconds rounded down (never overstating what is
 * left). No years or months: their length varies, and the validity must be exact.
 */
export function isoDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const days = Math.floor(s / 86_400)
  const [h, m, sec] = [Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60), s % 60]
  const time = `${h > 0 ? `${h}H` : ''}${m > 0 ? `${m}M` : ''}${sec > 0 ? `${sec}S` : ''}`
  if (days === 0 && time === '') return 'PT0S'
  return `P${days > 0 ? `${days}D` : ''}${time !== '' ? `T${time}` : ''}`
}

/**
 * The record of one consent event (pure: everything it says comes in; `issuer` is this vault's
 * origin, whose Connections page withdraws consent).
 */
export function buildConsentRecord(
  event: ConsentEvent,
  vendor: Vendor,
  context: ReceiptContext,
  issuer: string,
): ConsentRecord {
  const grant = termsOf(event)
  const at = event.at
  const eventId = event.id
  const recordId = recordIdOf(event)
  const vendorIri = `urn:custos:vendor:${vendor.id}`
  const controller = piiControllerOf(vendor)
  const subject = context.piiPrincipalId
  return {
    '@context': RECORD_CONTEXT,
    '@id': `urn:custos:consent-receipt:${eventId}`,
    '@type': 'dpv:ConsentReceipt',
    'dct:conformsTo': ref(RECEIPT_SCHEMA),
    'dpv:hasIdentifier': eventId,
    'dct:created': at,
    'dct:publisher': ref(issuer),
    [R]: {
      '@id': recordId,
      '@type': 'dpv:ConsentRecord',
      'dct:conformsTo': ref(RECORD_SCHEMA),
      'dct:identifier': recordId,
      // Every revision of one grant is a version of the grant's one consent.
      ...(event.grantId !== undefined
        ? { 'dct:isVersionOf': ref(`urn:custos:consent-record:${event.grantId}`) }
        : {}),
      // The pairwise pseudonym, never the vault id (receipt.ts `principalPseudonym`); 27560 needs
      // no name, address or contact for the principal, and the vendor gets none here.
      'dpv:hasDataSubject': {
        '@id': subject,
        '@type': 'dpv:DataSubject',
        'dct:identifier': subject,
      },
      // The vendor's privacy policy (RFC 7591 `policy_uri`), or an empty URL when it registered
      // none: present, as 27560 requires, and saying the vendor left it out. The consent page
      // itself keeps no copy; what it showed is this record's purpose, data and term.
      'dpv:hasNotice': { '@type': 'dpv:PrivacyNotice', 'schema:url': context.policyUrl ?? '' },
      // ISO 639-1: the consent page is in English.
      'dct:language': 'en',
      'dpv:hasProcess': {
        '@type': 'dpv:Process',
        // The grant's DPV purposes, and the vendor's own words for them (the guide's "combined
        // purpose" form); grants made before purposes existed have the words only.
        'dpv:hasPurpose': {
          '@type': 'dpv:Purpose',
          'skos:broader': grant.purposes.map(ref),
          'dct:description': grant.purpose,
        },
        // Custos fields are the owner's own paths, with no mapping to DPV's personal data
        // taxonomy, so the most a field can say is that it is personal data; the purchase slice
        // is DPV-PD's purchases and spending habit.
        'dpv:hasPersonalData': [
          ...grant.fields.map((f) => ({
            '@type': 'dpv:PersonalData',
            'skos:broader': ref('dpv:PersonalData'),
            'dct:identifier': f,
          })),
          ...(grant.purchases
            ? [
                {
                  '@type': 'dpv:PersonalData',
                  'skos:broader': ref('pd:PurchasesAndSpendingHabit'),
                  'dct:identifier': 'purchases',
                },
              ]
            : []),
        ],
        'dpv:hasDataController': ref(vendorIri),
        'dpv:hasLegalBasis': ref('dpv:ExplicitlyExpressedConsent'),
        'dpv:hasStorageCondition': [
          // What the vendor reads leaves the vault: it is stored wherever the vendor keeps it.
          // Its geography is not something the vault learns (RFC 7591 has no such field).
          { '@type': 'dpv:StorageLocation', 'dpv:hasLocation': ref(vendorIri) },
          // How long the vendor keeps what it read is the vendor's to say and it has no way to
          // say it here; the grant's expiry ends its access, not its copies. An explicit empty
          // value, as for the address below.
          { '@type': 'dpv:StorageDuration', 'dpv:hasDuration': '' },
        ],
        // The owner's setting (receipt-settings.ts): ISO 3166 codes are DPV-LOC's terms.
        'dpv:hasJurisdiction': ref(`loc:${context.jurisdiction}`),
        // 27560 counts third parties only; the vault discloses to none. DPV lets the recipient be
        // the controller, which is who receives the data here.
        'dpv:hasRecipient': [ref(vendorIri)],
        'dpv:hasConsentControl': {
          '@type': 'dpv:WithdrawConsent',
          'dpv:isExercisedAt': ref(`${issuer}/connections`),
        },
      },
      'dpv:hasEntity': [
        {
          '@id': vendorIri,
          // Its role (controller) and its 27560 party type (it receives the data).
          '@type': ['dpv:DataController', 'dpv:Recipient'],
          'dpv:hasIdentifier': vendorIri,
          'dpv:hasName': controller.piiController,
          // RFC 7591 has no postal address: an empty one, present as 27560 requires.
          'schema:address': { '@type': 'schema:PostalAddress' },
          'schema:contactPoint': {
            '@type': 'schema:ContactPoint',
            'schema:name': controller.contact,
            'schema:email': controller.email,
            'schema:telephone': controller.phone,
          },
          ...(vendor.uri !== undefined ? { 'schema:url': vendor.uri } : {}),
        },
      ],
      'dpv:hasConsentStatus': [
        {
          '@type': CONSENT_STATUS[event.kind],
          // ISO 8601 UTC, as 27560 asks: the grant's own times are `toISOString()`.
          'dpv:isIndicatedAtTime': at,
          // The grant's remaining life at the event: none once withdrawn or expired, or refused.
          'dpv:hasDuration': {
            '@type': 'dpv:TemporalDuration',
            'rdf:value':
              (event.kind === 'given' || event.kind === 'narrowed') && grant.expiresAt !== null
                ? isoDuration(Date.parse(grant.expiresAt) - Date.parse(at))
                : 'PT0S',
          },
          // The owner gives, narrows and withdraws; an expiry is the term the owner set lapsing.
          'dpv:isIndicatedBy': ref(subject),
          // Consent on a page about this consent alone (Kantara's EXPLICIT).
          'dpv:hasLegalBasis': ref('dpv:ExplicitlyExpressedConsent'),
          'dpv:hasIndicationMethod': 'Custos consent page',
        },
      ],
    },
  }
}

/** Signs a record: `iss` = the issuer, `iat` = the event's time, `jti` = the receipt id. */
export function signConsentRecord(
  key: SigningKey,
  record: ConsentRecord,
  issuer: string,
): Promise<string> {
  return new SignJWT({ ...record })
    .setProtectedHeader({ alg: RECEIPT_ALG, typ: RECORD_TYP, kid: key.publicJwk.kid })
    .setIssuer(issuer)
    .setIssuedAt(Math.floor(Date.parse(record['dct:created']) / 1000))
    .setJti(record['dpv:hasIdentifier'])
    .sign(key.privateKey)
}

/** The signed record of one consent event, from the same context as its Kantara receipt. */
export async function consentRecordFor(
  app: AppContext,
  event: ConsentEvent,
  vendor: Vendor,
): Promise<string> {
  const record = buildConsentRecord(
    event,
    vendor,
    await receiptContextFor(app, event.vendorId),
    app.config.issuer,
  )
  return signConsentRecord(await app.stores.signingKeys.signingKey(), record, app.config.issuer)
}
