import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { AgreementRecord, type SignedAgreement } from './agreement-record.js'

/**
 * The owner's download of every IEEE 7012 agreement record, accepted and declined
 * (`GET /owner/agreements/export`, Connections and Settings → "Download all agreement records").
 * IEEE 7012 has both parties keep the same record; this is her whole copy, kept apart from the
 * vault's portable export (`custos-export` v1, strictly validated on import and restored into the
 * vault): a record is a two-party document to keep and show, not data to import again.
 *
 * Each entry is the record as stored — `jws` is the vault's compact JWS (EdDSA, typ
 * `myterms-record+jws`) whose payload is the record's bytes, the string the vendor gets at
 * `GET /v1/agreements`; the vendor's own signature of its answer is inside the record
 * (`signatures.second_party.jws`, or how its authenticated call confirmed it). The vault's public
 * key at export time comes along (`verify_with`), so the file verifies offline.
 */
export const AGREEMENT_EXPORT_FORMAT = 'custos-agreements'

export const AgreementExportEntry = z
  .object({ record_id: z.string(), jws: z.string(), record: AgreementRecord })
  .strict()

export const AgreementExport = z
  .object({
    format: z.literal(AGREEMENT_EXPORT_FORMAT),
    version: z.literal(1),
    standard: z.literal('IEEE 7012-2025'),
    exported_at: z.string(),
    issuer: z.string(),
    /** The vault's public signing key as an RFC 7517 JWK Set, and where it is published. */
    verify_with: z
      .object({
        jwks_uri: z.string(),
        keys: z.array(z.record(z.string(), z.unknown())),
      })
      .strict(),
    count: z.number().int().nonnegative(),
    /** Newest first, as `GET /owner/agreements` lists them, but with no cap. */
    agreements: z.array(AgreementExportEntry),
  })
  .strict()
export type AgreementExport = z.output<typeof AgreementExport>

/** A record as the owner's and the vendor's listings give it: `{ record_id, jws, record }`. */
export function exportEntry(signed: SignedAgreement): z.output<typeof AgreementExportEntry> {
  return { record_id: signed.record.record_id, jws: signed.jws, record: signed.record }
}

/**
 * Every agreement record, as the owner keeps them. Sealed: ERR_VAULT_LOCKED.
 *
 * @example
 * const file = await agreementExport(app)
 * file.agreements[0]?.jws // the vendor's copy, byte for byte
 */
export async function agreementExport(app: AppContext): Promise<AgreementExport> {
  const key = await app.stores.signingKeys.signingKey()
  const records = await app.stores.agreements.all()
  return {
    format: AGREEMENT_EXPORT_FORMAT,
    version: 1,
    standard: 'IEEE 7012-2025',
    exported_at: app.now().toISOString(),
    issuer: app.config.issuer,
    verify_with: {
      jwks_uri: `${app.config.issuer}/.well-known/jwks.json`,
      keys: [{ ...key.publicJwk }],
    },
    count: records.length,
    agreements: records.map(exportEntry),
  }
}
