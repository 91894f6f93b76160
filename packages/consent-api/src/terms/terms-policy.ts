import { z } from 'zod'
import type { StoreContext } from '../app-context.js'
import { readSetting, writeSetting } from '../db/api-settings.js'
import { authentic } from '../db/stored-rows.js'
import { agreementOf } from './roster.js'

/**
 * The owner's terms (issue 12, IEEE 7012 "MyTerms"): which roster agreements she proffers, in
 * order of preference, and what happens when a vendor will not agree.
 *
 * - `proffered`: roster ids, preferred first. Empty (the default): she proffers nothing, and no
 *   vendor is asked to answer.
 * - `requireAgreement`: no grant without an agreement in force that covers every purpose of the
 *   grant (terms/terms-decision.ts).
 * - `allowAfterDecline`: when no agreement is required, whether a vendor that declines (or does
 *   not answer) may still ask the owner for a grant. Default true: the consent page decides.
 *
 * Stored as a row of `api_settings` MAC'd under the vault's key like every owner setting: an
 * edited row reads as absent, i.e. the default — nothing proffered. That is no weaker than before
 * the owner chose: the consent page still shows everything asked and nothing is granted unasked.
 */
export const TermsPolicy = z
  .object({
    proffered: z
      .array(z.string().max(64))
      .max(10)
      .transform((ids) => [...new Set(ids)])
      .refine((ids) => ids.every((id) => agreementOf(id) !== undefined), {
        message: 'unknown agreement: choose agreements from the MyTerms roster',
      }),
    requireAgreement: z.boolean().default(false),
    allowAfterDecline: z.boolean().default(true),
  })
  .strict()
export type TermsPolicy = z.output<typeof TermsPolicy>

export const NO_TERMS: TermsPolicy = Object.freeze({
  proffered: [],
  requireAgreement: false,
  allowAfterDecline: true,
})

/**
 * @example
 * await terms.set({ proffered: ['SD-BASE', 'SD-BASE-DP'], requireAgreement: true })
 * const { proffered } = await terms.get()
 */
export class TermsPolicyStore {
  readonly #app: StoreContext
  constructor(app: StoreContext) {
    this.#app = app
  }

  async get(): Promise<TermsPolicy> {
    const text = await readSetting(this.#app, 'myterms_policy')
    if (text === undefined) return NO_TERMS
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return NO_TERMS
    }
    const parsed = TermsPolicy.safeParse(json)
    return parsed.success ? parsed.data : NO_TERMS
  }

  /** When the owner last changed her terms (the tinyMyTerms `effective_date`); undefined if never. */
  async updatedAt(): Promise<Date | undefined> {
    const row = await this.#app.db
      .selectFrom('api_settings')
      .selectAll()
      .where('name', '=', 'myterms_policy')
      .executeTakeFirst()
    return row && authentic(this.#app, 'api_settings', row) ? new Date(row.updated_at) : undefined
  }

  /** Throws a ZodError for bad input (nothing saved); sealed: ERR_VAULT_LOCKED. */
  async set(policy: z.input<typeof TermsPolicy>): Promise<TermsPolicy> {
    const parsed = TermsPolicy.parse(policy)
    await writeSetting(this.#app, 'myterms_policy', JSON.stringify(parsed))
    return parsed
  }
}

/**
 * The agreement proffered to a vendor that accepts `accepted` (its `myterms_accepted`): the
 * owner's first choice it accepts, else her first choice; undefined when she proffers nothing.
 */
export function profferForIds(
  policy: TermsPolicy,
  accepted: readonly string[],
): string | undefined {
  return policy.proffered.find((id) => accepted.includes(id)) ?? policy.proffered[0]
}
