import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { DatabaseHandle, Vault } from '@custos/vault'
import type { Kysely } from 'kysely'
import type { ApiTables } from '../db/api-schema.js'
import { type SettingsContext, readSetting, writeSetting } from '../db/api-settings.js'
import { CSV_COLUMNS, foldHeader } from './csv-columns.js'
import { DATE_ORDERS } from './date-order.js'
import type { CsvImportOptions } from './purchase-import.js'

/**
 * The owner's column mappings, remembered per file shape (issue 14): a bank or shop writes the
 * same header every month, so the mapping the owner confirmed for it once — what each column
 * holds, the currency of every row, how dates are read — is used again for the next file with
 * that header, and can be changed in the preview as before.
 *
 * A shape is the SHA-256 of the header's folded names (csv-columns.ts `foldHeader`), so the
 * stored key says nothing of the file's rows. The mappings are one row of `api_settings`, MAC'd
 * like the owner's other settings (db/api-settings.ts): a row the vault's key does not vouch for
 * reads as no memory. The newest {@link MAX_SHAPES} shapes are kept.
 */
export const MAX_SHAPES = 50

const Remembered = z
  .object({
    columns: z
      .array(z.enum(['', 'auto', 'ignore', ...CSV_COLUMNS]))
      .max(50)
      .optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    dateOrder: z.enum(DATE_ORDERS).optional(),
    at: z.string(),
  })
  .strict()
const Memory = z.record(z.string().regex(/^[0-9a-f]{64}$/), Remembered)
type Memory = z.infer<typeof Memory>

/** The shape of a header row: what a mapping is remembered by. */
export function headerShape(header: readonly string[]): string {
  return createHash('sha256').update(header.map(foldHeader).join('\u0000')).digest('hex')
}

/** Whether the options say anything a later import of the same shape should reuse. */
export const hasMapping = (o: CsvImportOptions) =>
  o.columns !== undefined || o.currency !== undefined || o.dateOrder !== undefined

export class CsvMappingMemory {
  readonly #app: SettingsContext
  constructor(app: SettingsContext) {
    this.#app = app
  }

  /**
   * The memory of a vault opened outside a server (the `custos import-purchases` command), on
   * the same `api_settings` row the web page uses — after prepareApiStorage made the table.
   */
  static of(deps: {
    readonly vault: Vault
    readonly database: DatabaseHandle
    readonly now?: () => Date
  }): CsvMappingMemory {
    return new CsvMappingMemory({
      vault: deps.vault,
      // The API's tables live in the vault's database (api-schema.ts), as createApp reads them.
      db: deps.database.db as unknown as Kysely<ApiTables>,
      now: deps.now ?? (() => new Date()),
    })
  }

  async #all(): Promise<Memory> {
    const raw = await readSetting(this.#app, 'csv_mappings')
    if (raw === undefined) return {}
    try {
      const parsed = Memory.safeParse(JSON.parse(raw))
      return parsed.success ? parsed.data : {}
    } catch {
      return {}
    }
  }

  /** The mapping last confirmed for a header of this shape, if any. */
  async recall(header: readonly string[]): Promise<CsvImportOptions | undefined> {
    const found = (await this.#all())[headerShape(header)]
    if (!found) return undefined
    return {
      ...(found.columns ? { columns: found.columns } : {}),
      ...(found.currency !== undefined ? { currency: found.currency } : {}),
      ...(found.dateOrder !== undefined ? { dateOrder: found.dateOrder } : {}),
    }
  }

  /** Remembers what the owner confirmed for this shape (nothing when she confirmed no mapping). */
  async remember(header: readonly string[], options: CsvImportOptions): Promise<void> {
    if (!hasMapping(options)) return
    const all = await this.#all()
    const columns = options.columns?.filter(
      (c): c is NonNullable<z.infer<typeof Remembered>['columns']>[number] =>
        ['', 'auto', 'ignore', ...CSV_COLUMNS].includes(c),
    )
    all[headerShape(header)] = Remembered.parse({
      ...(columns ? { columns } : {}),
      ...(options.currency !== undefined ? { currency: options.currency } : {}),
      ...(options.dateOrder !== undefined ? { dateOrder: options.dateOrder } : {}),
      at: this.#app.now().toISOString(),
    })
    const newest = Object.entries(all)
      .sort(([, a], [, b]) => b.at.localeCompare(a.at))
      .slice(0, MAX_SHAPES)
    await writeSetting(this.#app, 'csv_mappings', JSON.stringify(Object.fromEntries(newest)))
  }
}
