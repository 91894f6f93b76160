import { SignJWT } from 'jose'
import type { Grant, Vendor } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { ReceiptSettingsStore } from './receipt-settings.js'
import { RECEIPT_ALG, type SigningKey } from '../store/signing-key-store.js'

/**
 * Consent receipts: a record of one consent event, shaped after the Kantara Initiative Consent
 * Receipt Specification v1.1 (whose fields ISO/IEC TS 27560 carries on), signed by the vault as a
 * compact JWS (RFC 7515) whose payload is the receipt as JWT claims (RFC 7519), so the owner,
 * the vendor, or any third party can verify it against `/.well-known/jwks.json`.
 *
 * One receipt per consent event: the grant's creation and each narrowing (a new revision), and
 * its revocation. The receipt id is `<grantId>.<revision>`, and `<grantId>.<revision>.revoked`
 * once revoked (the vault keeps the revision when revoking, so the suffix marks the event).
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
    readonly grantId: string
    readonly revision: number
    /** The consent's state as of this event; expiry needs no event — see `expiresAt`. */
    readonly status: 'active' | 'revoked'
    readonly actions: readonly string[]
    readonly purchases: Grant['purchases'] | null
    readonly acceptedTerms: readonly string[]
    /** The grant's DPV purpose IRIs (issue 12); Kantara's categories have no place for them. */
    readonly purposes: readonly string[]
    readonly expiresAt: string
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

export function receiptId(grant: Pick<Grant, 'id' | 'revision' | 'status'>): string {
  return `${grant.id}.${grant.revision}${grant.status === 'revoked' ? '.revoked' : ''}`
}

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
 * The receipt of a grant's current revision (pure: everything it says comes in).
 *
 * One service, named after the vendor's client (RFC 7591 `client_name`, the vendor's own name for
 * it), with one purpose — the vendor's stated purpose, which the owner approved — whose PII
 * categories are the granted field selectors and `purchases` when the purchase slice is granted.
 * The purpose category is Kantara's "Core Function": the vault knows only that the owner chose to
 * share with this vendor for the purpose it stated, not how the vendor sorts its own uses.
 */
export function buildConsentReceipt(
  grant: Grant,
  vendor: Vendor,
  context: ReceiptContext,
): ConsentReceipt {
  return {
    version: 'KI-CR-v1.1.0',
    jurisdiction: context.jurisdiction,
    consentTimestamp: Math.floor(Date.parse(grant.updatedAt) / 1000),
    collectionMethod: 'Custos consent page',
    consentReceiptID: receiptId(grant),
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
            termination: grant.expiresAt,
            thirdPartyDisclosure: false,
          },
        ],
      },
    ],
    sensitive: false,
    spiCat: [],
    custos: {
      grantId: grant.id,
      revision: grant.revision,
      status: grant.status === 'revoked' ? 'revoked' : 'active',
      actions: grant.actions,
      purchases: grant.purchases ?? null,
      acceptedTerms: grant.acceptedTerms,
      purposes: grant.purposes,
      expiresAt: grant.expiresAt,
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
 * The signed receipt of a grant's current revision: the jurisdiction is the owner's setting as it
 * stands, the policy the vendor's registered `policy_uri`.
 */
export async function consentReceiptFor(
  app: AppContext,
  grant: Grant,
  vendor: Vendor,
): Promise<string> {
  const receipt = buildConsentReceipt(grant, vendor, await receiptContextFor(app, grant))
  return signConsentReceipt(await app.stores.signingKeys.signingKey(), receipt, app.config.issuer)
}

/**
 * What a receipt of this grant says beyond the grant and the vendor, as things stand: shared by
 * the Kantara receipt and the ISO/IEC TS 27560 record (consent-record.ts), so both say the same.
 */
export async function receiptContextFor(app: AppContext, grant: Grant): Promise<ReceiptContext> {
  const [{ jurisdiction }, client] = await Promise.all([
    new ReceiptSettingsStore(app).get(),
    app.stores.clients.load(grant.vendorId),
  ])
  return {
    piiPrincipalId: principalPseudonym(app, grant.vendorId),
    jurisdiction,
    ...(client?.policyUri !== undefined ? { policyUrl: client.policyUri } : {}),
  }
}
