import { SignJWT } from 'jose'
import type { Grant, Vendor } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { RECEIPT_ALG, type SigningKey, vaultSigningKey } from './signing-key.js'

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
 * signatures are deterministic, so the same event always yields the very same JWS.
 */
export const RECEIPT_TYP = 'consent-receipt+jwt'

export interface ConsentReceipt {
  readonly version: 'KI-CR-v1.1.0'
  /** Seconds since the epoch, of the consent event (Kantara CR v1.1 §4.2). */
  readonly consentTimestamp: number
  readonly collectionMethod: 'Custos consent page'
  readonly consentReceiptID: string
  readonly piiPrincipalId: string
  readonly piiControllers: readonly { piiController: string; contact?: string; piiControllerUrl?: string }[]
  readonly services: readonly {
    service: 'custos_fields' | 'custos_purchases'
    purposes: readonly {
      purpose: string
      consentType: 'EXPLICIT'
      piiCategory: readonly string[]
      termination: string
      thirdPartyDisclosure: false
    }[]
  }[]
  readonly sensitive: false
  readonly custos: {
    readonly grantId: string
    readonly revision: number
    /** The consent's state as of this event; expiry needs no event — see `expiresAt`. */
    readonly status: 'active' | 'revoked'
    readonly actions: readonly string[]
    readonly purchases: Grant['purchases'] | null
    readonly acceptedTerms: readonly string[]
    readonly expiresAt: string
  }
}

export function receiptId(grant: Pick<Grant, 'id' | 'revision' | 'status'>): string {
  return `${grant.id}.${grant.revision}${grant.status === 'revoked' ? '.revoked' : ''}`
}

/** The receipt of a grant's current revision (pure: everything it says comes in). */
export function buildConsentReceipt(grant: Grant, vendor: Vendor, piiPrincipalId: string): ConsentReceipt {
  const purpose = (piiCategory: readonly string[]) => ({ purpose: grant.purpose, consentType: 'EXPLICIT' as const, piiCategory, termination: grant.expiresAt, thirdPartyDisclosure: false as const })
  return {
    version: 'KI-CR-v1.1.0',
    consentTimestamp: Math.floor(Date.parse(grant.updatedAt) / 1000),
    collectionMethod: 'Custos consent page',
    consentReceiptID: receiptId(grant),
    piiPrincipalId,
    piiControllers: [
      {
        piiController: vendor.name,
        ...(vendor.contacts?.[0] !== undefined ? { contact: vendor.contacts[0] } : {}),
        ...(vendor.uri !== undefined ? { piiControllerUrl: vendor.uri } : {}),
      },
    ],
    services: [
      ...(grant.fields.length > 0 ? [{ service: 'custos_fields' as const, purposes: [purpose(grant.fields)] }] : []),
      ...(grant.purchases ? [{ service: 'custos_purchases' as const, purposes: [purpose(['purchases'])] }] : []),
    ],
    sensitive: false,
    custos: {
      grantId: grant.id,
      revision: grant.revision,
      status: grant.status === 'revoked' ? 'revoked' : 'active',
      actions: grant.actions,
      purchases: grant.purchases ?? null,
      acceptedTerms: grant.acceptedTerms,
      expiresAt: grant.expiresAt,
    },
  }
}

/** Signs a receipt: `iss` = the issuer, `iat` = the event's time, `jti` = the receipt id. */
export function signConsentReceipt(key: SigningKey, receipt: ConsentReceipt, issuer: string): Promise<string> {
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

/** The signed receipt of a grant's current revision. */
export async function consentReceiptFor(app: AppContext, grant: Grant, vendor: Vendor): Promise<string> {
  const receipt = buildConsentReceipt(grant, vendor, principalPseudonym(app, grant.vendorId))
  return signConsentReceipt(await vaultSigningKey(app.vault), receipt, app.config.issuer)
}
