import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { readSetting, writeSetting } from '../db/api-settings.js'

/**
 * What consent receipts say that only the owner can: the jurisdiction whose law the consent is
 * given under (Kantara Consent Receipt Specification v1.1, `jurisdiction`, required). A code, not
 * free text, so a vendor's software can act on it: ISO 3166-1 alpha-2 (`DE`), `EU` (reserved in
 * ISO 3166-1 for the European Union), or an ISO 3166-2 subdivision (`US-CA`).
 *
 * The default is `EU`: Custos's other defaults are European (amounts in EUR) and the GDPR is the
 * law most consent receipts answer to; an owner elsewhere sets theirs (`PUT /owner/receipt-settings`).
 * It is the owner's statement, never derived from their profile: a receipt goes to the vendor,
 * and a country read from an ungranted address field would leak it.
 *
 * Stored as a row of `api_settings` with the vault's MAC (db/stored-rows.ts); a row the vault's
 * key does not vouch for is ignored and the default applies, so an edit in the database cannot
 * put words into a signed receipt.
 */
export const Jurisdiction = z
  .string()
  .regex(
    /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/,
    'an ISO 3166-1 alpha-2 code such as DE or EU, or an ISO 3166-2 code such as US-CA',
  )

export const ReceiptSettings = z.object({ jurisdiction: Jurisdiction }).strict()
export type ReceiptSettings = z.output<typeof ReceiptSettings>

export const DEFAULT_RECEIPT_SETTINGS: ReceiptSettings = Object.freeze({ jurisdiction: 'EU' })

export class ReceiptSettingsStore {
  readonly #app: AppContext
  constructor(app: AppContext) {
    this.#app = app
  }

  async get(): Promise<ReceiptSettings> {
    const jurisdiction = Jurisdiction.safeParse(
      await readSetting(this.#app, 'receipt_jurisdiction'),
    )
    return jurisdiction.success ? { jurisdiction: jurisdiction.data } : DEFAULT_RECEIPT_SETTINGS
  }

  async set(settings: ReceiptSettings): Promise<ReceiptSettings> {
    const { jurisdiction } = ReceiptSettings.parse(settings)
    await writeSetting(this.#app, 'receipt_jurisdiction', jurisdiction)
    return { jurisdiction }
  }
}
