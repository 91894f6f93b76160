import { z } from 'zod'
import { type AccessMode, DPV, PurchaseSlice, purposeOf } from '@custos/vault'
import { isKnownSelector } from './field-selectors.js'

/**
 * Speaking the nearest peer's request (issue 12, part 5): an RFC 9396 authorization detail of
 * PDPP's type `https://pdpp.dev/data-access` (PDPP spec-core §7, `../shared/STANDARDS.md`) is read
 * as the Custos grant it means, when it means one; what does not map is refused with the member
 * that does not, never its value (RFC 9396 §5 `invalid_authorization_details`).
 *
 * How it maps:
 * - `source.id`: a vault is one source, so it must be this vault's issuer when given;
 * - `purpose_code`: a W3C DPV purpose IRI Custos knows, or one of PDPP's own purpose codes that
 *   has a DPV match ({@link PDPP_PURPOSES}); `purpose_description` is the vendor's words;
 * - `access_mode`: `continuous` is a grant until it expires; `single_use` is a single-use grant,
 *   consumed by the vendor's first read (vault: grants/grant-consumption.ts);
 * - `streams[]`: `profile` with `fields` (field paths or subtrees, as `read:` scopes), and
 *   `purchases` (the purchases made with the vendor; `time_range` becomes the slice's data
 *   window, `since` and `until`). A stream's `view`, `resources` and `instance_ids`, and
 *   `retention`, have no Custos meaning yet and are refused by name rather than silently dropped.
 */
export const PDPP_DATA_ACCESS = 'https://pdpp.dev/data-access'

/** PDPP's own purpose codes that have a DPV purpose (the rest are refused: say it in DPV). */
export const PDPP_PURPOSES: Readonly<Record<string, string>> = Object.freeze({
  'https://pdpp.dev/purpose/personalization': `${DPV}Personalisation`,
  'https://pdpp.dev/purpose/analytics': `${DPV}ServiceUsageAnalytics`,
})

const Stream = z
  .object({
    name: z.string().max(100),
    fields: z.array(z.string().max(200)).max(200).optional(),
    time_range: z
      .object({ since: z.string().max(40).optional(), until: z.string().max(40).optional() })
      .strict()
      .optional(),
    view: z.unknown().optional(),
    resources: z.unknown().optional(),
    instance_ids: z.unknown().optional(),
    necessity: z.enum(['required', 'optional']).optional(),
  })
  .strict()

const PdppDetail = z
  .object({
    type: z.literal(PDPP_DATA_ACCESS),
    source: z.object({ id: z.string().max(2048), kind: z.string().max(100).optional() }).optional(),
    purpose_code: z.string().max(2048),
    purpose_description: z.string().trim().min(1).max(500).optional(),
    access_mode: z.enum(['single_use', 'continuous']),
    retention: z.unknown().optional(),
    client_claims: z.unknown().optional(),
    streams: z.array(Stream).min(1).max(20),
  })
  .strict()

/** The Custos access a PDPP detail asks for. */
export interface PdppAccess {
  readonly fields: string[]
  readonly purchases?: PurchaseSlice
  readonly purpose?: string
  readonly purposes: string[]
  readonly accessMode: AccessMode
}

export type PdppMapping =
  | { readonly ok: true; readonly access: PdppAccess }
  | { readonly ok: false; readonly description: string }

const refuse = (description: string): PdppMapping => ({ ok: false, description })

/** Reads one PDPP `data-access` detail as a Custos grant request, or says which member does not map. */
export function mapPdppDetail(detail: unknown, issuer: string): PdppMapping {
  const parsed = PdppDetail.safeParse(detail)
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'the detail'
    return refuse(`${PDPP_DATA_ACCESS}: ${where} is missing or not valid`)
  }
  const d = parsed.data
  if (d.source !== undefined && d.source.id !== issuer)
    return refuse(`${PDPP_DATA_ACCESS}: source.id must be this vault's issuer`)
  if (d.retention !== undefined) return refuse(`${PDPP_DATA_ACCESS}: retention is not supported`)
  const purpose = PDPP_PURPOSES[d.purpose_code] ?? purposeOf(d.purpose_code)?.iri
  if (purpose === undefined)
    return refuse(
      `${PDPP_DATA_ACCESS}: purpose_code is not a purpose this vault knows; use a W3C DPV purpose IRI`,
    )
  const fields: string[] = []
  let purchases: PurchaseSlice | undefined
  for (const [i, s] of d.streams.entries()) {
    const at = `${PDPP_DATA_ACCESS}: streams.${i}`
    for (const member of ['view', 'resources', 'instance_ids'] as const)
      if (s[member] !== undefined) return refuse(`${at}.${member} is not supported`)
    if (s.name === 'profile') {
      if (s.time_range !== undefined) return refuse(`${at}.time_range does not apply to profile`)
      if (s.fields === undefined || s.fields.length === 0)
        return refuse(`${at}.fields must name the profile fields`)
      const unknown = s.fields.findIndex((f) => !isKnownSelector(f))
      if (unknown >= 0) return refuse(`${at}.fields.${unknown} is not a known field path`)
      fields.push(...s.fields)
    } else if (s.name === 'purchases') {
      if (s.fields !== undefined) return refuse(`${at}.fields does not apply to purchases`)
      const slice = PurchaseSlice.safeParse({
        madeWithVendor: true,
        ...(s.time_range?.since !== undefined ? { since: s.time_range.since } : {}),
        ...(s.time_range?.until !== undefined ? { until: s.time_range.until } : {}),
      })
      if (!slice.success)
        return refuse(`${at}.time_range must be dates or date-times, since before until`)
      purchases = slice.data
    } else {
      return refuse(`${at}.name must be profile or purchases`)
    }
  }
  return {
    ok: true,
    access: {
      fields: [...new Set(fields)],
      ...(purchases ? { purchases } : {}),
      ...(d.purpose_description !== undefined ? { purpose: d.purpose_description } : {}),
      purposes: [purpose],
      accessMode: d.access_mode === 'single_use' ? 'singleUse' : 'continuous',
    },
  }
}
