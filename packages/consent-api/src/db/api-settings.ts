import type { StoreContext } from '../app-context.js'
import { authentic, rowMac } from './stored-rows.js'

/** What reading and writing a setting needs: the vault (its key MACs the rows), the table, a clock. */
export type SettingsContext = Pick<StoreContext, 'vault' | 'db' | 'now' | 'onUnexpectedError'>

/** The owner's settings of the API, one row each in `api_settings`. */
export type SettingName =
  | 'registration_mode'
  | 'owner_time_zone'
  | 'receipt_jurisdiction'
  | 'purpose_policy'
  | 'myterms_policy'
  /** The owner's CSV column mappings per file shape (owner/csv-mapping-memory.ts). */
  | 'csv_mappings'

/**
 * Reads and writes the owner's settings (the registration mode, the time zone, the receipts'
 * jurisdiction, the purposes never allowed) as rows of `api_settings` MAC'd under the vault's key (SECURITY.md, "The barrier"):
 * a row the key does not vouch for reads as absent, so each setting falls back to its own safe
 * default, and an edit in the database cannot change what the owner chose.
 */
export async function readSetting(
  app: SettingsContext,
  name: SettingName,
): Promise<string | undefined> {
  const row = await app.db
    .selectFrom('api_settings')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst()
  return row && authentic(app, 'api_settings', row) ? row.value : undefined
}

/** Stores a setting (already validated by its owner), MAC'd. Sealed: ERR_VAULT_LOCKED. */
export async function writeSetting(
  app: SettingsContext,
  name: SettingName,
  value: string,
): Promise<void> {
  const updatedAt = app.now().toISOString()
  const row = { name, value, updated_at: updatedAt }
  const mac = rowMac(app, 'api_settings', row)
  await app.db
    .insertInto('api_settings')
    .values({ ...row, row_mac: mac })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ value, updated_at: updatedAt, row_mac: mac }),
    )
    .execute()
}
