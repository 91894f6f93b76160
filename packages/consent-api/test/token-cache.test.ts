/**
 * The access-token lookup on the vendor read path reuses the row it last read while the
 * database's change token is unchanged (SQLite). These prove that every way a token can die
 * still takes effect at the very next request (SECURITY.md promise 15), whoever wrote it: this
 * app, another connection on the same database (another `custos serve` on the data folder), or
 * the clock. On PostgreSQL nothing is cached and the same answers must come back.
 */
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import type { ApiTables, OAuthTokensTable } from '../src/db/api-schema.js'
import { authenticated } from '../src/db/stored-rows.js'
import { bearerError, disposeFixtures, resourceFixture } from './support/resource-fixture.js'

afterEach(disposeFixtures)

async function live(f: Awaited<ReturnType<typeof resourceFixture>>) {
  const v = await f.vendorWithToken()
  // Two reads: the second is the one served from the cache, where there is one.
  for (let i = 0; i < 2; i++) expect((await f.get('/v1/profile', v.token)).status).toBe(200)
  return v
}

/** Runs `work` on a second connection to the fixture's database, as another process would. */
async function fromAnotherConnection(
  f: Awaited<ReturnType<typeof resourceFixture>>,
  work: (db: Kysely<ApiTables>) => Promise<void>,
) {
  const other = f.tv.db.open()
  try {
    await work(other.db as unknown as Kysely<ApiTables>)
  } finally {
    await other.close()
  }
}

/**
 * Changes token rows on `db` the way a server does — each row written back with its new MAC
 * (db/stored-rows.ts) — so what is tested is revocation and expiry, not tampering.
 */
async function updateTokens(
  f: Awaited<ReturnType<typeof resourceFixture>>,
  db: Kysely<ApiTables>,
  changes: Partial<OAuthTokensTable>,
  clientId?: string,
) {
  const rows = await db
    .selectFrom('oauth_tokens')
    .selectAll()
    .$if(clientId !== undefined, (q) => q.where('client_id', '=', clientId as string))
    .execute()
  for (const row of rows) {
    const { row_mac: _old, ...values } = { ...row, ...changes }
    await db
      .updateTable('oauth_tokens')
      .set({
        ...changes,
        row_mac: f.tv.vault.rows.mac('oauth_tokens', authenticated.oauth_tokens(values)),
      })
      .where('token_hash', '=', row.token_hash)
      .execute()
  }
}

describe('access-token lookups on the read path', () => {
  it('a token revoked by this app is refused at the next read', async () => {
    const f = await resourceFixture()
    const { token } = await live(f)
    await updateTokens(f, f.ctx.db, { revoked_at: f.now().toISOString() })
    expect(await bearerError(await f.get('/v1/profile', token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
  })

  it('a token revoked or erased through another connection on the same database is refused at the next read', async () => {
    const f = await resourceFixture()
    const first = await live(f)
    const second = await live(f)
    await fromAnotherConnection(f, (db) =>
      updateTokens(f, db, { revoked_at: f.now().toISOString() }, first.vendorId),
    )
    expect(await bearerError(await f.get('/v1/profile', first.token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
    expect((await f.get('/v1/profile', second.token)).status).toBe(200)
    await fromAnotherConnection(f, (db) =>
      db
        .deleteFrom('oauth_tokens')
        .execute()
        .then(() => undefined),
    )
    expect(await bearerError(await f.get('/v1/profile', second.token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
  })

  it('a token whose expiry another connection brought forward, or whose time ran out, is refused at the next read', async () => {
    const f = await resourceFixture()
    const first = await live(f)
    const second = await live(f)
    await fromAnotherConnection(f, (db) =>
      updateTokens(f, db, { expires_at: f.now().toISOString() }, first.vendorId),
    )
    expect(await bearerError(await f.get('/v1/profile', first.token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
    expect((await f.get('/v1/profile', second.token)).status).toBe(200)
    f.advance(f.ctx.config.accessTokenSeconds + 1)
    expect(await bearerError(await f.get('/v1/profile', second.token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
  })
})
