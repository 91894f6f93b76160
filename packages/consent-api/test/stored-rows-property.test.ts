/**
 * SECURITY.md, "The barrier", promise 29, for the consent API's tables: whatever someone with write
 * access to the database (and no key) does to a token or client row — any column edited, values
 * swapped between rows, bits flipped, a row put back to an older authentic version of itself — no
 * vendor reads more than it could before, and a vendor whose grant the owner revoked never gets a
 * token again. On both engines. (A vendor that revokes its own token, RFC 7009, while the owner's
 * grant stays live is another matter: putting that token row back gives it nothing the live grant
 * does not allow — SECURITY.md promise 28.) (The vault's own tables: packages/vault/test/promises/barrier-property.test.ts.)
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Client,
  type TokenResponse,
  disposeFixtures,
  oauthFixture,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

type Fixture = Awaited<ReturnType<typeof oauthFixture>>
type Row = Record<string, unknown>
type Table = 'oauth_tokens' | 'oauth_clients'
const KEY: Record<Table, string> = { oauth_tokens: 'token_hash', oauth_clients: 'client_id' }
type Outcome = { status: number; body: string }

async function connect(
  f: Fixture,
  name: string,
  scope: string,
): Promise<{ client: Client; tokens: TokenResponse }> {
  const client = await f.register({ client_name: name })
  const { code, verifier } = await f.code(client, { scope })
  const res = await f.exchange(client, code, verifier)
  expect(res.status).toBe(200)
  return { client, tokens: (await res.json()) as TokenResponse }
}

async function read(f: Fixture, token: string): Promise<Outcome> {
  const res = await f.app.request('/v1/profile', { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: res.status === 200 ? await res.text() : '' }
}

/** True when `got` reveals nothing `baseline` did not: refused, or the very same answer. */
function noMoreThan(got: Outcome, baseline: Outcome): boolean {
  if (got.status !== 200) return true
  return (
    baseline.status === 200 &&
    JSON.stringify(JSON.parse(got.body).fields) === JSON.stringify(JSON.parse(baseline.body).fields)
  )
}

describe("the barrier, as a property, over the consent API's rows", () => {
  it('no edit, swap, bit flip or rollback of a token or client row lets a vendor read more, or a revoked vendor refresh', async () => {
    const f = await oauthFixture()
    const db = f.tv.handle.db as unknown as import('kysely').Kysely<Record<Table, Row>>
    const a = await connect(f, 'Fjord Outdoor', 'read:email')
    const b = await connect(f, 'Book Barn', 'read:prefs.sizes.*')
    const gone = await connect(f, 'Gone Shop', 'read:email read:prefs.sizes.*')
    const older = new Map<Table, Row[]>()
    for (const t of Object.keys(KEY) as Table[])
      older.set(t, await db.selectFrom(t).selectAll().execute())
    // The owner revokes the third vendor's grant (owner API): the grant and every token under it die.
    const owner = await f.signIn()
    const goneGrant = (await db
      .selectFrom('oauth_tokens')
      .select('grant_id' as never)
      .where('client_id' as never, '=', gone.client.id as never)
      .executeTakeFirstOrThrow()) as unknown as { grant_id: string }
    const revoked = await f.app.request(`/owner/grants/${goneGrant.grant_id}/revoke`, {
      method: 'POST',
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf },
    })
    expect(revoked.status).toBe(200)

    const vendors = [a, b, gone]
    const baseline = await Promise.all(vendors.map((v) => read(f, v.tokens.access_token)))
    expect(baseline.map((o) => o.status)).toEqual([200, 200, 401])
    const revokedRefresh = async () =>
      (await f.refresh(gone.client, gone.tokens.refresh_token)).status

    const edit = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        value: fc.oneof(
          fc.constant(null),
          fc.string({ maxLength: 8 }),
          fc.constant('2099-12-31T00:00:00.000Z'),
          fc.constant('access'),
          fc.constant('refresh'),
          fc.constant('client_secret_post'),
        ),
      }),
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(),
        bit: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({ kind: fc.constant('swap' as const), other: fc.nat() }),
      fc.record({ kind: fc.constant('rollback' as const) }),
      // A token handed to another vendor's grant: its client and grant taken together from another row.
      fc.record({ kind: fc.constant('move' as const), other: fc.nat() }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Table>('oauth_tokens', 'oauth_clients'),
        fc.nat(),
        fc.nat(),
        edit,
        async (table, rowPick, columnPick, change) => {
          const key = KEY[table]
          const rows = await db
            .selectFrom(table)
            .selectAll()
            .orderBy(key as never)
            .execute()
          const original = rows[rowPick % rows.length] as Row
          const columns = Object.keys(original).filter((c) => c !== key)
          const column = columns[columnPick % columns.length] as string
          let next: Row
          if (change.kind === 'rollback') {
            const saved = (older.get(table) as Row[]).find((r) => r[key] === original[key])
            if (!saved) return
            next = saved
          } else if (change.kind === 'move') {
            if (table !== 'oauth_tokens') return
            const other = rows[change.other % rows.length] as Row
            next = {
              ...original,
              client_id: other.client_id,
              grant_id: other.grant_id,
              family_id: other.family_id,
            }
          } else if (change.kind === 'swap') {
            next = { ...original, [column]: (rows[change.other % rows.length] as Row)[column] }
          } else if (change.kind === 'flip') {
            const value = original[column]
            if (!(value instanceof Uint8Array) || value.length === 0) return
            const bytes = new Uint8Array(value)
            const at = change.at % bytes.length
            bytes[at] = (bytes[at] as number) ^ (1 << change.bit)
            next = { ...original, [column]: bytes }
          } else {
            next = { ...original, [column]: change.value }
          }
          const changed = Object.keys(next).filter((c) => c !== key && next[c] !== original[c])
          if (changed.length === 0) return
          try {
            await db
              .updateTable(table)
              .set(Object.fromEntries(changed.map((c) => [c, next[c]])) as never)
              .where(key as never, '=', original[key] as never)
              .execute()
          } catch {
            return // a value the column cannot hold: the database refused the edit itself
          }
          try {
            for (const [i, v] of vendors.entries()) {
              const got = await read(f, v.tokens.access_token)
              if (!noMoreThan(got, baseline[i] as Outcome))
                throw new Error(
                  `${table}.${column} ${change.kind} let vendor ${i} read more: ${got.status} ${got.body}`,
                )
            }
            const status = await revokedRefresh()
            if (status === 200)
              throw new Error(`${table}.${column} ${change.kind} let the revoked vendor refresh`)
          } finally {
            await db
              .updateTable(table)
              .set(Object.fromEntries(changed.map((c) => [c, original[c]])) as never)
              .where(key as never, '=', original[key] as never)
              .execute()
          }
        },
      ),
      { numRuns: 120 },
    )
    // Put back, every vendor reads exactly as before.
    expect(await Promise.all(vendors.map((v) => read(f, v.tokens.access_token)))).toEqual(baseline)
  })
})
