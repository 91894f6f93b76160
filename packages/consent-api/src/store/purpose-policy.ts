import { z } from 'zod'
import { PurposeRef } from '@custos/vault'
import type { StoreContext } from '../app-context.js'
import { readSetting, writeSetting } from '../db/api-settings.js'

/**
 * The owner's "never for" purposes (issue 12, machine-readable purposes): DPV purpose IRIs that
 * no vendor may ask for. A request naming one — or a narrower one: "never for marketing" also
 * refuses direct marketing and advertising (grants/purposes.ts in the vault) — is refused before
 * the consent page, logged (`request.refused`), and the vendor is told which purpose.
 *
 * Stored as a row of `api_settings` MAC'd under the vault's key, like the other owner settings: an
 * edited row reads as absent. Absent means no purpose is refused — the consent page still names
 * every purpose asked for and nothing is granted without the owner's approval (SECURITY.md).
 */
export const PurposePolicy = z
  .object({
    neverFor: z
      .array(PurposeRef)
      .max(50)
      .transform((iris) => [...new Set(iris)]),
  })
  .strict()
export type PurposePolicy = z.output<typeof PurposePolicy>

const EMPTY: PurposePolicy = Object.freeze({ neverFor: [] })

export class PurposePolicyStore {
  readonly #app: StoreContext
  constructor(app: StoreContext) {
    this.#app = app
  }

  async get(): Promise<PurposePolicy> {
    const text = await readSetting(this.#app, 'purpose_policy')
    if (text === undefined) return EMPTY
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return EMPTY
    }
    const parsed = PurposePolicy.safeParse(json)
    return parsed.success ? parsed.data : EMPTY
  }

  /** Sealed: ERR_VAULT_LOCKED (the row's MAC needs the key). */
  async set(policy: z.input<typeof PurposePolicy>): Promise<PurposePolicy> {
    const parsed = PurposePolicy.parse(policy)
    await writeSetting(this.#app, 'purpose_policy', JSON.stringify(parsed))
    return parsed
  }
}
