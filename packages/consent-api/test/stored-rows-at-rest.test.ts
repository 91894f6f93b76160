/**
 * Issue "P1 — Trust", finding 2, and the upgrade: what the consent API stores about the owner's
 * vendors and requests is encrypted at rest (SECURITY.md promise 1, scanned as
 * packages/vault/test/promises/storage.test.ts scans the vault's tables), and rows stored before
 * row authentication are adopted — sealed and MAC'd — by the adopter createApp registers for the
 * vault's first unlock after the upgrade, and only then. On both engines (file scan: SQLite).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PASSPHRASE, engine } from '@custos/vault/testing'
import { allStoredRows, canary, fileHits, hits } from '@custos/vault/testing'
import { apiRowAdopter } from '../src/db/adopt-api-rows.js'
import { sealedPlace } from '../src/db/stored-rows.js'
import { createApp } from '../src/index.js'
import {
  REDIRECT,
  type TokenResponse,
  disposeFixtures,
  oauthFixture,
  pendingId,
  pkce,
} from './support/oauth-fixture.js'
import { editRow, rowOf, rowsOf } from './support/stored-rows.js'

afterEach(disposeFixtures)

const API_TABLES = [
  'oauth_clients',
  'oauth_requests',
  'oauth_codes',
  'oauth_tokens',
  'dpop_jti',
  'owner_sessions',
]

/** A vendor registered with canaries in everything it says about itself, which pushes, asks and is granted with a canary purpose. */
async function canaries() {
  const f = await oauthFixture()
  const c = {
    name: canary('name'),
    site: canary('site'),
    contact: canary('contact'),
    logo: canary('logo'),
    pushed: canary('pushed'),
    pending: canary('pending'),
    granted: canary('granted'),
  }
  const client = await f.register({
    client_name: c.name,
    client_uri: `https://${c.site}.example`,
    contacts: [`privacy@${c.contact}.example`],
    logo_uri: `https://${c.logo}.example/logo.png`,
  })
  const details = (purpose: string) =>
    JSON.stringify([{ type: 'custos_fields', fields: ['email'], actions: ['read'], purpose }])
  const ask = (purpose: string) => ({
    response_type: 'code',
    redirect_uri: REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 's',
    authorization_details: details(purpose),
  })
  // Pushed and left waiting; asked at the front channel and left pending; and one approved.
  await f.par(client, ask(c.pushed))
  const owner = await f.signIn()
  const page = await f.authorize({ client_id: client.id, ...ask(c.pending) }, owner)
  expect(await page.text()).toContain(c.pending)
  const { code, verifier } = await f.code(client, {
    scope: undefined,
    authorization_details: details(c.granted),
  })
  expect((await f.exchange(client, code, verifier)).status).toBe(200)
  return { f, client, secrets: Object.values(c) }
}

describe('promise 1 for the consent API: no vendor metadata or request in plaintext', () => {
  it('canaries in client_name, client_uri, contacts, logo_uri and purposes appear in no row of any table — raw, hex or base64', async () => {
    const { f, client, secrets } = await canaries()
    const rows = await allStoredRows(f.tv.handle.db)
    expect(rows.tables).toEqual(expect.arrayContaining(API_TABLES))
    for (const table of [
      'oauth_clients',
      'oauth_requests',
      'oauth_codes',
      'oauth_tokens',
      'owner_sessions',
    ] as const)
      expect([table, (await rowsOf(f.tv, table)).length > 0]).toEqual([table, true])
    expect(hits(rows.bytes, [client.id])).not.toEqual([]) // the scanner sees plaintext ids…
    expect(hits(rows.bytes, secrets)).toEqual([]) // …and no canary.
    // The scanner itself finds the canaries where they are plaintext: the registration answer.
    const answer = await (
      await f.app.request(`/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: secrets[0], redirect_uris: [REDIRECT] }),
      })
    ).text()
    expect(hits(Buffer.from(answer), [secrets[0] as string])).not.toEqual([])
  })

  it.skipIf(engine !== 'sqlite')(
    '…nor in the raw bytes of the database file, its -wal and -shm, before and after a checkpoint',
    async () => {
      const { f, secrets } = await canaries()
      const dir = f.tv.db.dir as string
      const live = fileHits(dir, secrets)
      expect(live.files).toEqual(expect.arrayContaining(['vault.db', 'vault.db-wal']))
      expect(live.found).toEqual([])
      await f.tv.vault.close() // checkpoints the WAL into the main file
      expect(fileHits(dir, secrets).found).toEqual([])
    },
  )
})

describe('rows stored before row authentication', () => {
  /** Puts a live set of rows back into the form an older version stored: plaintext, no MAC. */
  async function legacyRows() {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client, { scope: 'read:email' })
    const tokens = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
    const owner = await f.signIn()
    const pending = pendingId(
      await (
        await f.authorize(
          {
            client_id: client.id,
            response_type: 'code',
            redirect_uri: REDIRECT,
            scope: 'read:email',
            code_challenge: pkce().challenge,
            code_challenge_method: 'S256',
            state: 's',
          },
          owner,
        )
      ).text(),
    )
    const unused = await f.code(client, { scope: 'read:email' })
    const open = (
      table: 'oauth_clients' | 'oauth_requests' | 'oauth_codes',
      id: string,
      sealed: Uint8Array | null,
    ) => f.tv.vault.envelopes.open(sealedPlace(table, id), sealed)
    for (const row of await rowsOf(f.tv, 'oauth_clients')) {
      const sealed = open('oauth_clients', row.client_id, row.sealed) as {
        redirect_uris: string[]
        metadata: unknown
      }
      await editRow(f.tv, 'oauth_clients', row.client_id, {
        redirect_uris: JSON.stringify(sealed.redirect_uris),
        metadata: JSON.stringify(sealed.metadata),
        sealed: null,
        row_mac: null,
      })
    }
    for (const row of await rowsOf(f.tv, 'oauth_requests'))
      await editRow(f.tv, 'oauth_requests', row.id, {
        params: JSON.stringify(open('oauth_requests', row.id, row.sealed)),
        sealed: null,
        row_mac: null,
      })
    for (const row of await rowsOf(f.tv, 'oauth_codes')) {
      await editRow(f.tv, 'oauth_codes', row.code_hash, {
        redirect_uri: (open('oauth_codes', row.code_hash, row.sealed) as { redirect_uri: string })
          .redirect_uri,
        sealed: null,
        row_mac: null,
      })
    }
    for (const row of await rowsOf(f.tv, 'oauth_tokens'))
      await editRow(f.tv, 'oauth_tokens', row.token_hash, { row_mac: null })
    for (const row of await rowsOf(f.tv, 'owner_sessions'))
      await editRow(f.tv, 'owner_sessions', row.id_hash, { row_mac: null })
    return { f, client, tokens, owner, pending, unused }
  }

  const profile = (f: Awaited<ReturnType<typeof oauthFixture>>, token: string) =>
    f.app.request('/v1/profile', { headers: { authorization: `Bearer ${token}` } })
  const adopt = (f: Awaited<ReturnType<typeof oauthFixture>>) =>
    f.tv.handle.db
      .transaction()
      .execute((trx) => apiRowAdopter(f.tv.vault.envelopes, f.now)(trx, f.tv.vault.rows))

  it('are refused until adopted; the adopter seals their plaintext and MACs them, and everything works again', async () => {
    const { f, client, tokens, owner, pending, unused } = await legacyRows()
    expect((await profile(f, tokens.access_token)).status).toBe(401)
    expect((await f.post('/oauth/introspect', client, { token: tokens.access_token })).status).toBe(
      401,
    )

    await adopt(f)
    for (const row of await rowsOf(f.tv, 'oauth_clients'))
      expect([row.redirect_uris, row.metadata, row.sealed === null, row.row_mac === null]).toEqual([
        '',
        '',
        false,
        false,
      ])
    for (const row of await rowsOf(f.tv, 'oauth_requests'))
      expect([row.params, row.sealed === null]).toEqual(['', false])
    for (const row of await rowsOf(f.tv, 'oauth_codes'))
      expect([row.redirect_uri, row.sealed === null]).toEqual(['', false])
    expect((await profile(f, tokens.access_token)).status).toBe(200)
    expect(await f.introspect(client, tokens.access_token)).toMatchObject({ active: true })
    expect(
      (
        await f.app.request(`/oauth/authorize/pending/${pending}`, {
          headers: { cookie: owner.cookie },
        })
      ).status,
    ).toBe(200)
    expect((await f.exchange(client, unused.code, unused.verifier)).status).toBe(200)
    expect((await f.refresh(client, tokens.refresh_token)).status).toBe(200)
  })

  it('dead rows are dropped rather than adopted, and a row left without a MAC after the upgrade stays refused', async () => {
    const { f, client, tokens } = await legacyRows()
    f.advance(16 * 60)
    await adopt(f)
    // Expired: the pending request (15 min), the unused code and the access token (10 min).
    expect(await rowsOf(f.tv, 'oauth_requests')).toEqual([])
    expect(await rowsOf(f.tv, 'oauth_codes')).toEqual([])
    expect((await rowsOf(f.tv, 'oauth_tokens')).map((r) => r.kind)).toEqual(['refresh'])
    const refresh = f.tv.vault.hashSecret(tokens.refresh_token)
    await editRow(f.tv, 'oauth_tokens', refresh, { row_mac: null })
    // An ordinary unlock adopts nothing: the vault runs adopters only at its upgrade.
    await f.tv.vault.lock()
    await f.tv.vault.unlock(PASSPHRASE)
    expect((await rowOf(f.tv, 'oauth_tokens', refresh)).row_mac).toBeNull()
    const res = await f.refresh(client, tokens.refresh_token)
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([
      400,
      'invalid_grant',
    ])
  })

  it('createApp registers the adopter with the vault before anything unlocks', async () => {
    const f = await oauthFixture()
    const onUpgrade = vi.spyOn(f.tv.vault.rows, 'onUpgrade')
    await createApp({
      vault: f.tv.vault,
      database: f.tv.handle,
      config: { issuer: 'https://vault.example' },
    })
    expect(onUpgrade).toHaveBeenCalledWith(expect.any(Function))
  })
})
