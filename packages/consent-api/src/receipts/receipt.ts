import { SignJWT } from 'jose'
import type { ConsentEvent, Grant, Vendor } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { ReceiptSettingsStore } from './receipt-settings.js'
import { RECEIPT_ALG, type SigningKey } from '../store/signing-key-store.js'

/**
 * Consent receipts: a record of one consent event, shaped after the Kantara Initiative Consent
 * Receipt Specification v1.1 (whose fields ISO/IEC TS 27560 carries on), signed by the vault as a
 * compact JWS (RFC 7515) whose payload is the receipt as JWT claims (RFC 7519), so the owner,
 * the vendor, or any third party can verify it against `/.well-known/jwks.json`.
 *
 * One receipt per consent event (the vault's consent history, `vault.grants.history`): the
 * grant's creation and each narrowing (a new revision), its revocation, its expiry, and each
 * request refused. The receipt id is the event's: `<grantId>.<revision>`, with `.revoked`,
 * `.expired` or `.used` (a single-use grant's one read) appended when the consent ended (the
 * vault keeps the revision when revoking, so the suffix marks the event), or a refusal's own id
 * (`cns_…`).
 * Nothing in a receipt depends on the wall clock — the timestamp is the event's — and Ed25519
 * signatures are deterministic, so the same event yields the very same JWS for as long as the
 * owner's jurisdiction setting and the vendor's registration stay as they are (a receipt is
 * signed when asked for; one saved earlier keeps verifying).
 */
export const RECEIPT_TYP = 'consent-receipt+jwt'

/** The one purpose category Custos can vouch for (see {@link buildConsentReceipt}). */
export const PURPOSE_CATEGORY = 'Core Function'

/**
 * The fields Kantara CR v1.1 requires (its §4 tables and the working group's JSON schema), plus
 * `language` and the `custos` extension. Top-level keys of a JWT payload: `iss`, `iat` and `jti`
 * are added when signing.
 */
export interface ConsentReceipt {
  readonly version: 'KI-CR-v1.1.0'
  /** Whose law the consent is given under: the owner's setting (receipt-settings.ts). */
  readonly jurisdiction: string
  /** Seconds since the epoch, of the consent event. */
  readonly consentTimestamp: number
  readonly collectionMethod: 'Custos consent page'
  readonly consentReceiptID: string
  /** ISO 639-1: the consent page is in English. */
  readonly language: 'en'
  readonly piiPrincipalId: string
  readonly piiControllers: readonly PiiController[]
  /** The vendor's privacy policy (RFC 7591 `policy_uri`); empty when it registered none. */
  readonly policyUrl: string
  readonly services: readonly {
    readonly service: string
    readonly purposes: readonly {
      readonly purpose: string
      readonly purposeCategory: readonly string[]
      readonly consentType: 'EXPLICIT'
      readonly piiCategory: readonly string[]
      readonly primaryPurpose: true
      readonly termination: string
      readonly thirdPartyDisclosure: false
    }[]
  }[]
  readonly sensitive: false
  readonly spiCat: readonly string[]
  readonly custos: {
    /** The grant; null for a refused request, which made none. */
    readonly grantId: string | null
    readonly revision: number | null
    /** The consent's state as of this event. */
    readonly status: 'active' | 'revoked' | 'expired' | 'consumed' | 'refused'
    /** The event this receipt is for (vault: grants/consent-history.ts). */
    readonly event: ConsentEvent['kind']
    /** Why a request was refused: the owner said no, or one of her standing rules (a stable code). */
    readonly refusal?: { readonly reason: string; readonly refused: readonly string[] }
    readonly actions: readonly string[]
    readonly purchases: Grant['purchases'] | null
    readonly acceptedTerms: readonly string[]
    /** The grant's DPV purpose IRIs (issue 12); Kantara's categories have no place for them. */
    readonly purposes: readonly string[]
    /** When the grant ends; null for a refused request. */
    readonly expiresAt: string | null
    /** `singleUse`: the vendor's first read ends the grant (issue 12 §5). */
    readonly accessMode: Grant['accessMode']
  }
}

/**
 * The vendor as a Kantara PII controller. Its contact fields come from what RFC 7591 lets a client
 * register: `client_name`, `client_uri` and `contacts` ("typically email addresses"; a `tel:` URI
 * or an international number there becomes the phone). RFC 7591 has no postal address, so
 * `address` is an empty object, and an email or phone the vendor did not give is an empty string:
 * present, as the specification requires, and saying plainly that the vendor left it out.
 */
export interface PiiController {
  readonly piiController: string
  readonly contact: string
  readonly address: Readonly<Record<string, string>>
  readonly email: string
  readonly phone: string
  readonly piiControllerUrl?: string
}

/** What the receipt says beyond the grant and the vendor: who, where, and the vendor's policy. */
export interface ReceiptContext {
  readonly piiPrincipalId: string
  readonly jurisdiction: string
  /** RFC 7591 `policy_uri` of the vendor's client, when registered. */
  readonly policyUrl?: string
}

/** What a consent event consented to (or, refused, what was asked): one shape for both receipts. */
export interface ConsentTerms {
  readonly fields: readonly string[]
  readonly purchases: Grant['purchases'] | undefined
  readonly actions: readonly string[]
  readonly purpose: string
  readonly purposes: readonly string[]
  readonly acceptedTerms: readonly string[]
  /** Null for a refused request: nothing was granted, so nothing ends. */
  readonly expiresAt: string | null
  readonly accessMode: Grant['accessMode']
}

export function termsOf(event: ConsentEvent): ConsentTerms {
  if (event.grant) return { ...event.grant, purchases: event.grant.purchases }
  const asked = event.refusal?.request
  return {
    fields: asked?.fields ?? [],
    purchases: asked?.purchases,
    actions: asked?.actions ?? [],
    purpose: asked?.purpose ?? '',
    purposes: asked?.purposes ?? [],
    acceptedTerms: [],
    expiresAt: null,
    accessMode: 'continuous',
  }
}

/** The Kantara status of each kind of event. */
export const RECEIPT_STATUS = Object.freeze({
  given: 'active',
  narrowed: 'active',
  withdrawn: 'revoked',
  expired: 'expired',
  consumed: 'consumed',
  refused: 'refused',
} as const satisfies Record<ConsentEvent['kind'], ConsentReceipt['custos']['status']>)

const EMAIL = /^(?:mailto:)?([^\s@]+@[^\s@]+)$/i
const PHONE = /^(?:tel:)?(\+[0-9][0-9 ().-]{5,30})$/i

export function piiControllerOf(vendor: Pick<Vendor, 'name' | 'uri' | 'contacts'>): PiiController {
  const contacts = vendor.contacts ?? []
  const email = contacts.map((c) => EMAIL.exec(c)?.[1]).find((v) => v !== undefined)
  const phone = contacts.map((c) => PHONE.exec(c)?.[1]).find((v) => v !== undefined)
  return {
    piiController: vendor.name,
    contact: contacts[0] ?? vendor.name,
    address: {},
    email: email ?? '',
    phone: phone ?? '',
    ...(vendor.uri !== undefined ? { piiControllerUrl: vendor.uri } : {}),
  }
}

/**
 * The receipt of one consent event (pure: everything it says comes in).
 *
 * One service, named after the vendor's client (RFC 7591 `client_name`, the vendor's own name for
 * it), with one purpose — the vendor's stated purpose, which the owner approved — whose PII
 * categories are the granted field selectors and `purchases` when the purchase slice is granted.
 * The purpose category is Kantara's "Core Function": the vault knows only that the owner chose to
 * share with this vendor for the purpose it stated, not how the vendor sorts its own uses.
 */
export function buildConsentReceipt(
  event: ConsentEvent,
  vendor: Vendor,
  context: ReceiptContext,
): ConsentReceipt {
  const grant = termsOf(event)
  return {
    version: 'KI-CR-v1.1.0',
    jurisdiction: context.jurisdiction,
    consentTimestamp: Math.floor(Date.parse(event.at) / 1000),
    collectionMethod: 'Custos consent page',
    consentReceiptID: event.id,
    language: 'en',
    piiPrincipalId: context.piiPrincipalId,
    piiControllers: [piiControllerOf(vendor)],
    policyUrl: context.policyUrl ?? '',
    services: [
      {
        service: vendor.name,
        purposes: [
          {
            purpose: grant.purpose,
            purposeCategory: [PURPOSE_CATEGORY],
            consentType: 'EXPLICIT',
            piiCategory: [...grant.fields, ...(grant.purchases ? ['purchases'] : [])],
            primaryPurpose: true,
            // When access ends; a refused request was never in force.
            termination: grant.expiresAt ?? 'Not given: the request was refused',
            thirdPartyDisclosure: false,
          },
        ],
      },
    ],
    sensitive: false,
    spiCat: [],
    custos: {
      grantId: event.grantId ?? null,
      revision: event.revision ?? null,
      status: RECEIPT_STATUS[event.kind],
      event: event.kind,
      ...(event.refusal
        ? { refusal: { reason: event.refusal.reason, refused: event.refusal.refused } }
        : {}),
      actions: grant.actions,
      purchases: grant.purchases ?? null,
      acceptedTerms: grant.acceptedTerms,
      purposes: grant.purposes,
      expiresAt: grant.expiresAt,
      accessMode: grant.accessMode,
    },
  }
}

/** Signs a receipt: `iss` = the issuer, `iat` = the event's time, `jti` = the receipt id. */
export function signConsentReceipt(
  key: SigningKey,
  receipt: ConsentReceipt,
  issuer: string,
): Promise<string> {
  return new SignJWT({ ...receipt })
    .setProtectedHeader({ alg: RECEIPT_ALG, typ: RECEIPT_TYP, kid: key.publicJwk.kid })
    .setIssuer(issuer)
    .setIssuedAt(receipt.consentTimestamp)
    .setJti(receipt.consentReceiptID)
    .sign(key.privateKey)
}

/**
 * The principal as this vendor knows them: a pairwise pseudonym (keyed hash of the vendor id), so
 * two vendors comparing receipts cannot tell they serve the same person — the vault id would be
 * a cross-vendor identifier. Stable for as long as the vault's root key.
 */
export function principalPseudonym(app: AppContext, vendorId: string): string {
  return `urn:custos:principal:${app.vault.hashSecret(`custos/receipt-principal/v1:${vendorId}`).slice(0, 32)}`
}

/**
 * The signed receipt of one consent event: the jurisdiction is the owner's setting as it stands,
 * the policy the vendor's registered `policy_uri`.
 */
export async function consentReceiptFor(
  app: AppContext,
  event: ConsentEvent,
  vendor: Vendor,
): Promise<string> {
  const receipt = buildConsentReceipt(event, vendor, await receiptContextFor(app, event.vendorId))
  return signConsentReceipt(await app.stores.signingKeys.signingKey(), receipt, app.config.issuer)
}

/**
 * What a receipt of this grant says beyond the grant and the vendor, as things stand: shared by
 * the Kantara receipt and the ISO/IEC TS 27560 record (consent-record.ts), so both say the same.
 */
export async function receiptContextFor(
  app: AppContext,
  vendorId: string,
): Promise<ReceiptContext> {
  const [{ jurisdiction }, client] = await Promise.all([
    new ReceiptSettingsStore(app).get(),
    app.stores.clients.load(vendorId),
  ])
  return {
    piiPrincipalId: principalPseudonym(app, vendorId),
    jurisdiction,
    ...(client?.policyUri !== undefined ? { policyUrl: client.policyUri } : {}),
  }
}
