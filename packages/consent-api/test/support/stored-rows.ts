/**
 * Test support for the API's stored rows (db/stored-rows.ts): reading them raw, editing them as an
 * attacker with write access to the database and no key would, and — for tests that need data an
 * older version stored, which the upgrade then adopted — rewriting them as the vault vouches for
 * them (envelope re-sealed, MAC renewed).
 */
import type { Kysely } from 'kysely'
import type { TestVault } from '@custos/vault/testing'
import type { ApiTables } from '../../src/db/api-schema.js'
import {
  type AuthenticatedTable,
  type UnmacedRow,
  authenticated,
  sealedPlace,
} from '../../src/db/stored-rows.js'

export const KEY = {
  oauth_clients: 'client_id',
  oauth_requests: 'id',
  oauth_codes: 'code_hash',
  oauth_tokens: 'token_hash',
  owner_sessions: 'id_hash',
  api_settings: 'name',
  myterms_agreements: 'id',
  myterms_vendor_terms: 'client_id',
  assistant_drafts: 'id',
} as const

export type StoredRow<T extends AuthenticatedTable> = UnmacedRow<T> & { row_mac: Uint8Array | null }

const apiDb = (tv: TestVault) => tv.handle.db as unknown as Kysely<ApiTables>
/** The same database seen as one untyped table, for edits of any column of any of these tables. */
const looseDb = (tv: TestVault) =>
  tv.handle.db as unknown as Kysely<{ row: Record<string, unknown> }>

type SealedTable = Parameters<typeof sealedPlace>[0]
const hasEnvelope = (table: AuthenticatedTable): table is SealedTable =>
  table === 'oauth_clients' ||
  table === 'oauth_requests' ||
  table === 'oauth_codes' ||
  table === 'myterms_agreements' ||
  table === 'myterms_vendor_terms' ||
  table === 'assistant_drafts'

/** Every row of an API table, as stored. */
export async function rowsOf<T extends AuthenticatedTable>(
  tv: TestVault,
  table: T,
): Promise<StoredRow<T>[]> {
  return (await apiDb(tv).selectFrom(table).selectAll().execute()) as unknown as StoredRow<T>[]
}

/** One row by primary key, as stored. */
export async function rowOf<T extends AuthenticatedTable>(
  tv: TestVault,
  table: T,
  key: string,
): Promise<StoredRow<T>> {
  const rows = (await rowsOf(tv, table)).filter(
    (r) => (r as Record<string, unknown>)[KEY[table]] === key,
  )
  const [row] = rows
  if (!row) throw new Error(`no ${table} row ${key}`)
  return row
}

/** Sets columns of one row straight in the database, the MAC left as it was — the attacker's edit. */
export async function editRow<T extends AuthenticatedTable>(
  tv: TestVault,
  table: T,
  key: string,
  changes: Partial<StoredRow<T>>,
): Promise<void> {
  const result = await looseDb(tv)
    .updateTable(table as string as 'row')
    .set(changes as Record<string, unknown>)
    .where(KEY[table] as string, '=', key)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) throw new Error(`no ${table} row ${key}`)
}

/** Replaces a row by another row's stored values (its primary key kept): a swap, MAC and all. */
export async function putRow<T extends AuthenticatedTable>(
  tv: TestVault,
  table: T,
  key: string,
  values: StoredRow<T>,
): Promise<void> {
  const { [KEY[table]]: _key, ...rest } = values as Record<string, unknown>
  await editRow(tv, table, key, rest as Partial<StoredRow<T>>)
}

/**
 * Rewrites one row as the vault would vouch for it: `change` gets the stored row and its opened
 * envelope (undefined for tables without one) and returns the new envelope value and columns.
 * For data an older version could store, which the upgrade adopted as it stood.
 */
export async function rewriteAuthentic<T extends AuthenticatedTable>(
  tv: TestVault,
  table: T,
  key: string,
  change: (
    row: StoredRow<T>,
    sealed: unknown,
  ) => { sealed?: unknown; columns?: Partial<UnmacedRow<T>> },
): Promise<void> {
  const row = await rowOf(tv, table, key)
  const sealedTable: AuthenticatedTable = table
  const envelope = hasEnvelope(sealedTable) ? sealedTable : undefined
  const stored = row as unknown as { sealed?: Uint8Array | null }
  const opened = envelope
    ? tv.vault.envelopes.open(sealedPlace(envelope, key), stored.sealed ?? null)
    : undefined
  const next = change(row, opened)
  const { row_mac: _mac, ...values } = { ...row, ...next.columns }
  const sealed =
    envelope && next.sealed !== undefined
      ? { sealed: tv.vault.envelopes.seal(sealedPlace(envelope, key), next.sealed) }
      : {}
  const rewritten = { ...values, ...sealed } as unknown as UnmacedRow<T>
  await editRow(tv, table, key, {
    ...rewritten,
    row_mac: tv.vault.rows.mac(table, authenticated[table](rewritten)),
  } as Partial<StoredRow<T>>)
}
