import type { RowAdopter, RowAuthenticator, ValueSealer } from '@custos/vault'
import type { Transaction } from 'kysely'
import type { ApiTables } from './api-schema.js'
import { authenticated, sealedPlace } from './stored-rows.js'

const PAGE = 500

/**
 * The API's rows stored before migration 0004 have no MAC and keep their confidential columns in
 * plaintext. The vault calls this once, inside the transaction of the first unlock after it was
 * upgraded to row authentication — the one moment it vouches for what is stored as it stands
 * (trust on first use, as for its own rows; SECURITY.md "The barrier"). Each live row is then
 * adopted: its plaintext moved into `sealed` (and the old column emptied), and the row MAC'd.
 * Rows already dead are deleted instead of adopted, and so is a row whose plaintext does not even
 * parse (it could never have been used): a failure here would fail the unlock itself.
 *
 * At any other unlock there is nothing to do — and nothing is done: a row with no MAC that shows
 * up later was not written by the API, and stays refused.
 */
export function apiRowAdopter(envelopes: ValueSealer, now: () => Date): RowAdopter {
  return async (trx, rows) => {
    const db = trx as Transaction<ApiTables>
    const at = now().toISOString()
    for (const table of ['oauth_requests', 'oauth_codes', 'oauth_tokens'] as const) {
      await db
        .deleteFrom(table)
        .where('row_mac', 'is', null)
        .where('expires_at', '<=', at)
        .execute()
    }
    await adoptClients(db, rows, envelopes)
    await adoptRequests(db, rows, envelopes)
    await adoptCodes(db, rows, envelopes)
    await adoptTokens(db, rows)
    await adoptSessions(db, rows)
  }
}

/** Pages through the rows of a table still without a MAC; each page's rows get one, so the next page is new. */
async function eachLegacyPage<T>(
  select: () => Promise<T[]>,
  adopt: (row: T) => Promise<void>,
): Promise<void> {
  for (;;) {
    const page = await select()
    for (const row of page) await adopt(row)
    if (page.length < PAGE) return
  }
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

async function adoptClients(
  db: Transaction<ApiTables>,
  rows: RowAuthenticator,
  envelopes: ValueSealer,
): Promise<void> {
  await eachLegacyPage(
    () =>
      db
        .selectFrom('oauth_clients')
        .selectAll()
        .where('row_mac', 'is', null)
        .orderBy('client_id')
        .limit(PAGE)
        .execute(),
    async (row) => {
      const redirectUris = parsed(row.redirect_uris)
      const metadata = parsed(row.metadata)
      if (!Array.isArray(redirectUris) || typeof metadata !== 'object' || metadata === null) {
        await db.deleteFrom('oauth_clients').where('client_id', '=', row.client_id).execute()
        return
      }
      const sealed = envelopes.seal(sealedPlace('oauth_clients', row.client_id), {
        redirect_uris: redirectUris,
        metadata,
      })
      const adopted = { ...row, redirect_uris: '', metadata: '', sealed }
      await db
        .updateTable('oauth_clients')
        .set({
          redirect_uris: '',
          metadata: '',
          sealed,
          row_mac: rows.mac('oauth_clients', authenticated.oauth_clients(adopted)),
        })
        .where('client_id', '=', row.client_id)
        .execute()
    },
  )
}

async function adoptRequests(
  db: Transaction<ApiTables>,
  rows: RowAuthenticator,
  envelopes: ValueSealer,
): Promise<void> {
  await eachLegacyPage(
    () =>
      db
        .selectFrom('oauth_requests')
        .selectAll()
        .where('row_mac', 'is', null)
        .orderBy('id')
        .limit(PAGE)
        .execute(),
    async (row) => {
      const params = parsed(row.params)
      if (typeof params !== 'object' || params === null) {
        await db.deleteFrom('oauth_requests').where('id', '=', row.id).execute()
        return
      }
      // Whether it still parses as a request is checked when it is read, as for any stored request.
      const sealed = envelopes.seal(sealedPlace('oauth_requests', row.id), params)
      const adopted = { ...row, params: '', sealed }
      await db
        .updateTable('oauth_requests')
        .set({
          params: '',
          sealed,
          row_mac: rows.mac('oauth_requests', authenticated.oauth_requests(adopted)),
        })
        .where('id', '=', row.id)
        .execute()
    },
  )
}

async function adoptCodes(
  db: Transaction<ApiTables>,
  rows: RowAuthenticator,
  envelopes: ValueSealer,
): Promise<void> {
  await eachLegacyPage(
    () =>
      db
        .selectFrom('oauth_codes')
        .selectAll()
        .where('row_mac', 'is', null)
        .orderBy('code_hash')
        .limit(PAGE)
        .execute(),
    async (row) => {
      const sealed = envelopes.seal(sealedPlace('oauth_codes', row.code_hash), {
        redirect_uri: row.redirect_uri,
      })
      const adopted = { ...row, redirect_uri: '', sealed }
      await db
        .updateTable('oauth_codes')
        .set({
          redirect_uri: '',
          sealed,
          row_mac: rows.mac('oauth_codes', authenticated.oauth_codes(adopted)),
        })
        .where('code_hash', '=', row.code_hash)
        .execute()
    },
  )
}

async function adoptTokens(db: Transaction<ApiTables>, rows: RowAuthenticator): Promise<void> {
  await eachLegacyPage(
    () =>
      db
        .selectFrom('oauth_tokens')
        .selectAll()
        .where('row_mac', 'is', null)
        .orderBy('token_hash')
        .limit(PAGE)
        .execute(),
    async (row) => {
      await db
        .updateTable('oauth_tokens')
        .set({ row_mac: rows.mac('oauth_tokens', authenticated.oauth_tokens(row)) })
        .where('token_hash', '=', row.token_hash)
        .execute()
    },
  )
}

async function adoptSessions(db: Transaction<ApiTables>, rows: RowAuthenticator): Promise<void> {
  await eachLegacyPage(
    () =>
      db
        .selectFrom('owner_sessions')
        .selectAll()
        .where('row_mac', 'is', null)
        .orderBy('id_hash')
        .limit(PAGE)
        .execute(),
    async (row) => {
      await db
        .updateTable('owner_sessions')
        .set({ row_mac: rows.mac('owner_sessions', authenticated.owner_sessions(row)) })
        .where('id_hash', '=', row.id_hash)
        .execute()
    },
  )
}
