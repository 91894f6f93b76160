/**
 * Issue "P1 — Trust", finding 1: the consent API's own rows decide access — clients, pushed and
 * pending authorization requests, codes, tokens, owner sessions — and were believed as stored.
 * Each test here is an attack by someone with write access to the database and no key: it edits,
 * swaps or forwards a row straight in the database (support/stored-rows.ts) and shows the row is
 * now refused like one that is not there — the answer a dead credential gets, never access —
 * and that the operator is told (onUnexpectedError, ERR_INTEGRITY). On both engines.
 */
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../src/index.js'
import {
  type Client,
  ISSUER,
  REDIRECT,
  TOKEN_URL,
  type TokenResponse,
  disposeFixtures,
  dpopKey,
  oauthFixture,
  pendingId,
  pkce,
} from './support/oauth-fixture.js'
import { editRow, putRow, rowOf, rowsOf } from './support/stored-rows.js'

afterEach(disposeFixtures)

type Fixture = Awaited<ReturnType<typeof oauthFixture>>

/** A fixture whose app reports unexpected errors into `reported`. */
async function watched(config: Record<string, unknown> = {}) {
  const reported: unknown[] = []
  const f = await oauthFixture(config, { onUnexpectedError: (err) => reported.push(err) })
  return { f, reported, told: () => reported.map((e) => (e as { code?: string }).code) }
}

const json = async (res: Response) => (await res.json()) as Record<string, unknown>
const errorOf = async (res: Response) => ({ status: res.status, error: (await json(res)).error })

/** A registered client with live tokens for a grant over email (the whole OAuth flow). */
async function connected(f: Fixture, metadata: Record<string, unknown> = {}) {
  const client = await f.register(metadata)
  const { code, verifier } = await f.code(client, { scope: 'read:email' })
  const res = await f.exchange(client, code, verifier)
  expect(res.status).toBe(200)
  const tokens = (await res.json()) as TokenResponse
  const grantId = (await rowOf(f.tv, 'oauth_tokens', f.tv.vault.hashSecret(tokens.access_token)))
    .grant_id
  return {
    client,
    tokens,
    grantId,
    access: f.tv.vault.hashSecret(tokens.access_token),
    refresh: f.tv.vault.hashSecret(tokens.refresh_token),
  }
}

const profile = (f: Fixture, token: string) =>
  f.app.request('/v1/profile', { headers: { authorization: `Bearer ${token}` } })

describe('oauth_tokens: an edited token row is refused', () => {
  it('a revoked access token set back to unrevoked is still invalid_token; a revoked refresh token, invalid_grant', async () => {
    const { f, told } = await watched()
    const v = await connected(f)
    expect(
      (await f.post('/oauth/revoke', v.client, { token: v.tokens.refresh_token })).status,
    ).toBe(200)
    expect((await profile(f, v.tokens.access_token)).status).toBe(401)
    await editRow(f.tv, 'oauth_tokens', v.access, { revoked_at: null })
    await editRow(f.tv, 'oauth_tokens', v.refresh, { revoked_at: null })
    const res = await profile(f, v.tokens.access_token)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(await errorOf(await f.refresh(v.client, v.tokens.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
    expect((await f.introspect(v.client, v.tokens.access_token)).active).toBe(false)
    expect(told()).toContain('ERR_INTEGRITY')
  })

  it("vendor B's tokens pointed at vendor A's grant (grant, client or family moved) are refused on /v1/profile and at refresh", async () => {
    const { f } = await watched()
    const a = await connected(f)
    const b = await connected(f, { client_name: 'Book Barn' })
    const moves = [
      { grant_id: a.grantId },
      { grant_id: a.grantId, client_id: a.client.id },
      { family_id: (await rowOf(f.tv, 'oauth_tokens', a.access)).family_id },
    ]
    for (const move of moves) {
      const saved = [
        await rowOf(f.tv, 'oauth_tokens', b.access),
        await rowOf(f.tv, 'oauth_tokens', b.refresh),
      ]
      await editRow(f.tv, 'oauth_tokens', b.access, move)
      await editRow(f.tv, 'oauth_tokens', b.refresh, move)
      const res = await profile(f, b.tokens.access_token)
      expect([JSON.stringify(move), res.status]).toEqual([JSON.stringify(move), 401])
      expect(await res.text()).not.toContain('ada@example.org')
      expect(await errorOf(await f.refresh(b.client, b.tokens.refresh_token))).toEqual({
        status: 400,
        error: 'invalid_grant',
      })
      await putRow(f.tv, 'oauth_tokens', b.access, saved[0] as never)
      await putRow(f.tv, 'oauth_tokens', b.refresh, saved[1] as never)
    }
    // Put back as they were, both still work: the refusals were the edits, nothing else.
    expect((await profile(f, b.tokens.access_token)).status).toBe(200)
    expect((await profile(f, a.tokens.access_token)).status).toBe(200)
  })

  it('an expired token whose expiry was extended is refused; so is a rotated refresh token set back to unused', async () => {
    const { f } = await watched()
    const v = await connected(f)
    const rotated = await f.refresh(v.client, v.tokens.refresh_token)
    expect(rotated.status).toBe(200)
    await editRow(f.tv, 'oauth_tokens', v.refresh, { used_at: null })
    expect(await errorOf(await f.refresh(v.client, v.tokens.refresh_token))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
    f.advance(601)
    expect((await profile(f, v.tokens.access_token)).status).toBe(401)
    await editRow(f.tv, 'oauth_tokens', v.access, {
      expires_at: new Date(f.now().getTime() + 3600_000).toISOString(),
    })
    expect((await profile(f, v.tokens.access_token)).status).toBe(401)
  })

  it('a DPoP-bound token whose binding was removed cannot be used as a Bearer token', async () => {
    const { f } = await watched()
    const client = await f.register()
    const key = await dpopKey(f.now)
    const { code, verifier } = await f.code(client, { scope: 'read:email' })
    const tokens = (await (
      await f.exchange(client, code, verifier, {}, { dpop: await key.proof('POST', TOKEN_URL) })
    ).json()) as TokenResponse
    expect(tokens.token_type).toBe('DPoP')
    await editRow(f.tv, 'oauth_tokens', f.tv.vault.hashSecret(tokens.access_token), {
      dpop_jkt: null,
    })
    expect((await profile(f, tokens.access_token)).status).toBe(401)
  })

  it('two token rows swapped (each with its own MAC) are both refused', async () => {
    const { f } = await watched()
    const a = await connected(f)
    const b = await connected(f, { client_name: 'Book Barn' })
    const rowA = await rowOf(f.tv, 'oauth_tokens', a.access)
    const rowB = await rowOf(f.tv, 'oauth_tokens', b.access)
    await putRow(f.tv, 'oauth_tokens', a.access, rowB)
    await putRow(f.tv, 'oauth_tokens', b.access, rowA)
    expect((await profile(f, a.tokens.access_token)).status).toBe(401)
    expect((await profile(f, b.tokens.access_token)).status).toBe(401)
  })

  it('a saved copy of a token row put back after the owner revoked its grant gives nothing: it cannot outlive the grant', async () => {
    const { f } = await watched()
    const v = await connected(f)
    const saved = await rowOf(f.tv, 'oauth_tokens', v.access)
    const owner = await f.signIn()
    const revoked = await f.app.request(`/owner/grants/${v.grantId}/revoke`, {
      method: 'POST',
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf },
    })
    expect(revoked.status).toBe(200)
    expect((await rowOf(f.tv, 'oauth_tokens', v.access)).revoked_at).not.toBeNull()
    await putRow(f.tv, 'oauth_tokens', v.access, saved)
    const res = await profile(f, v.tokens.access_token)
    expect(res.status).toBe(401)
    expect(await res.text()).not.toContain('ada@example.org')
  })
})

describe('oauth_codes: an edited code is invalid_grant', () => {
  it('an attacker challenge, another grant, an extended expiry, a used code set back to unused, a removed DPoP binding or a swapped envelope', async () => {
    const { f } = await watched()
    const client = await f.register()
    // A wider grant of the same vendor, which the owner never approved through this code.
    const wider = await f.tv.vault.grants.create({
      vendorId: client.id,
      fields: ['email', 'telephone'],
      actions: ['read'],
      purpose: 'x',
      durationSeconds: 3600,
    })
    const attacker = pkce()
    const key = await dpopKey(f.now)
    const edits: {
      name: string
      edit: (hash: string) => Promise<void>
      exchange?: (code: string, verifier: string) => Promise<Response>
    }[] = [
      {
        name: 'challenge',
        edit: (h) => editRow(f.tv, 'oauth_codes', h, { code_challenge: attacker.challenge }),
        exchange: (code) => f.exchange(client, code, attacker.verifier),
      },
      { name: 'grant', edit: (h) => editRow(f.tv, 'oauth_codes', h, { grant_id: wider.id }) },
      {
        name: 'expiry',
        edit: async (h) => {
          f.advance(3600)
          await editRow(f.tv, 'oauth_codes', h, {
            expires_at: new Date(f.now().getTime() + 60_000).toISOString(),
          })
        },
      },
      {
        name: 'envelope',
        edit: async (h) => {
          const second = await f.code(client)
          const row = await rowOf(f.tv, 'oauth_codes', f.tv.vault.hashSecret(second.code))
          await editRow(f.tv, 'oauth_codes', h, { sealed: row.sealed })
        },
      },
    ]
    for (const { name, edit, exchange } of edits) {
      const { code, verifier } = await f.code(client)
      await edit(f.tv.vault.hashSecret(code))
      const res = exchange
        ? await exchange(code, verifier)
        : await f.exchange(client, code, verifier)
      expect([name, await errorOf(res)]).toEqual([name, { status: 400, error: 'invalid_grant' }])
    }
    // Used, then set back to unused: the second exchange is refused (and no second token pair).
    const used = await f.code(client)
    expect((await f.exchange(client, used.code, used.verifier)).status).toBe(200)
    await editRow(f.tv, 'oauth_codes', f.tv.vault.hashSecret(used.code), { used_at: null })
    expect(await errorOf(await f.exchange(client, used.code, used.verifier))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
    // Bound to a DPoP key, the binding removed: no exchange without the key's proof.
    const bound = await f.code(client, { dpop_jkt: key.jkt })
    await editRow(f.tv, 'oauth_codes', f.tv.vault.hashSecret(bound.code), { dpop_jkt: null })
    expect(await errorOf(await f.exchange(client, bound.code, bound.verifier))).toEqual({
      status: 400,
      error: 'invalid_grant',
    })
  })
})

describe('oauth_clients: an edited client is unknown', () => {
  it('another auth method, or an attacker client’s secret hash moved in: invalid_client', async () => {
    const { f, told } = await watched()
    const victim = await f.register()
    const attacker = await f.register({
      token_endpoint_auth_method: 'client_secret_post',
      client_name: 'Evil',
    })
    const probe = (client: Client) => f.post('/oauth/introspect', client, { token: 'x'.repeat(43) })
    expect((await probe(victim)).status).toBe(200)
    await editRow(f.tv, 'oauth_clients', victim.id, { auth_method: 'client_secret_post' })
    const asPost: Client = {
      id: victim.id,
      async auth() {
        return {
          headers: {},
          form: { client_id: victim.id, client_secret: victim.secret as string },
        }
      },
    }
    expect(await errorOf(await probe(asPost))).toEqual({ status: 401, error: 'invalid_client' })
    expect(await errorOf(await probe(victim))).toEqual({ status: 401, error: 'invalid_client' })
    await editRow(f.tv, 'oauth_clients', victim.id, {
      auth_method: 'client_secret_basic',
      secret_hash: (await rowOf(f.tv, 'oauth_clients', attacker.id)).secret_hash,
    })
    const withAttackerSecret: Client = {
      id: victim.id,
      auth: async () => ({
        headers: {
          authorization: `Basic ${Buffer.from(`${victim.id}:${attacker.secret}`).toString('base64')}`,
        },
        form: {},
      }),
    }
    expect(await errorOf(await probe(withAttackerSecret))).toEqual({
      status: 401,
      error: 'invalid_client',
    })
    expect(told()).toContain('ERR_INTEGRITY')
  })

  it("redirect URIs: the old plaintext column edited has no effect; an attacker client's envelope (and MAC) moved in makes the client unknown — no redirect", async () => {
    const { f } = await watched()
    const victim = await f.register()
    const evil = 'https://evil.example/cb'
    const attacker = await f.register({ client_name: 'Evil', redirect_uris: [evil] })
    const query = {
      client_id: victim.id,
      response_type: 'code',
      redirect_uri: evil,
      scope: 'read:email',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's',
    }
    await editRow(f.tv, 'oauth_clients', victim.id, { redirect_uris: JSON.stringify([evil]) })
    const legacy = await f.authorize(query)
    expect(legacy.status).toBe(400)
    expect(legacy.headers.get('location')).toBeNull()
    const stolen = await rowOf(f.tv, 'oauth_clients', attacker.id)
    await editRow(f.tv, 'oauth_clients', victim.id, {
      sealed: stolen.sealed,
      row_mac: stolen.row_mac,
    })
    const moved = await f.authorize(query)
    expect(moved.status).toBe(400)
    expect(moved.headers.get('location')).toBeNull()
    expect(await moved.text()).not.toContain('evil.example')
  })

  it('JWKS: a private_key_jwt client given an attacker’s key set (envelope moved in) accepts no assertion signed with it', async () => {
    const { f } = await watched()
    const victim = await f.registerKeyClient()
    const attacker = await f.registerKeyClient({ client_name: 'Evil' })
    const stolen = await rowOf(f.tv, 'oauth_clients', attacker.id)
    await editRow(f.tv, 'oauth_clients', victim.id, { sealed: stolen.sealed })
    const forged = await attacker.sign({ iss: victim.id, sub: victim.id })
    const res = await f.post('/oauth/introspect', undefined, {
      token: 'x'.repeat(43),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: forged,
    })
    expect(await errorOf(res)).toEqual({ status: 401, error: 'invalid_client' })
  })

  it('DPoP flag: a client registered for DPoP-bound tokens stays bound whatever the old metadata column says, and a swapped envelope makes it unknown', async () => {
    const { f } = await watched()
    const client = await f.register({ dpop_bound_access_tokens: true })
    const plain = await f.register({ client_name: 'Plain' })
    await editRow(f.tv, 'oauth_clients', client.id, {
      metadata: JSON.stringify({ client_name: 'Fjord Outdoor', dpop_bound_access_tokens: false }),
    })
    const first = await f.code(client)
    expect(await errorOf(await f.exchange(client, first.code, first.verifier))).toEqual({
      status: 400,
      error: 'invalid_request',
    })
    const second = await f.code(client)
    await editRow(f.tv, 'oauth_clients', client.id, {
      sealed: (await rowOf(f.tv, 'oauth_clients', plain.id)).sealed,
    })
    expect(await errorOf(await f.exchange(client, second.code, second.verifier))).toEqual({
      status: 401,
      error: 'invalid_client',
    })
  })
})

describe('oauth_requests: an edited pushed or pending request is gone', () => {
  it('a pushed request forwarded past its expiry, or moved to another client, is not found', async () => {
    const { f } = await watched()
    const client = await f.register()
    const other = await f.register({ client_name: 'Book Barn' })
    const params = {
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'read:email',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's',
    }
    const uri = await f.par(client, params)
    const id = uri.split(':').pop() as string
    f.advance(120)
    await editRow(f.tv, 'oauth_requests', id, {
      expires_at: new Date(f.now().getTime() + 60_000).toISOString(),
    })
    expect(
      (await f.authorize({ client_id: client.id, request_uri: uri }, await f.signIn())).status,
    ).toBe(400)
    const moved = await f.par(client, params)
    await editRow(f.tv, 'oauth_requests', moved.split(':').pop() as string, { client_id: other.id })
    expect(
      (await f.authorize({ client_id: other.id, request_uri: moved }, await f.signIn())).status,
    ).toBe(400)
  })

  it("a pending request given another request's envelope (the owner would approve something else) is refused on the page and at the decision", async () => {
    const { f } = await watched()
    const client = await f.register()
    const owner = await f.signIn()
    const ask = (scope: string) =>
      f.authorize(
        {
          client_id: client.id,
          response_type: 'code',
          redirect_uri: REDIRECT,
          scope,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
          state: 's',
        },
        owner,
      )
    const modest = pendingId(await (await ask('read:email')).text())
    const greedy = pendingId(
      await (await ask('read:email read:telephone read:prefs.sizes.*')).text(),
    )
    await editRow(f.tv, 'oauth_requests', modest, {
      sealed: (await rowOf(f.tv, 'oauth_requests', greedy)).sealed,
    })
    expect(
      (
        await f.app.request(`/oauth/authorize/pending/${modest}`, {
          headers: { cookie: owner.cookie },
        })
      ).status,
    ).toBe(400)
    const decision = await f.decide(owner, [
      ['request_id', modest],
      ['csrf_token', owner.csrf],
      ['field', 'telephone'],
      ['decision', 'approve'],
    ])
    expect(decision.status).toBe(400)
    expect(await f.tv.vault.grants.list()).toEqual([])
  })
})

describe('owner_sessions: an edited session is signed out', () => {
  it('last_seen_at pushed forward past the idle timeout, or created_at past the lifetime: 401, and the row is gone', async () => {
    const { f, told } = await watched()
    for (const column of ['last_seen_at', 'created_at'] as const) {
      const owner = await f.signIn()
      const idHash = f.tv.vault.hashSecret(owner.cookie.split('=')[1] as string)
      expect(
        (await f.app.request('/owner/fields', { headers: { cookie: owner.cookie } })).status,
      ).toBe(200)
      f.advance(column === 'last_seen_at' ? 16 * 60 : 13 * 3600)
      await editRow(f.tv, 'owner_sessions', idHash, { [column]: f.now().toISOString() })
      const res = await f.app.request('/owner/fields', { headers: { cookie: owner.cookie } })
      expect([column, res.status, (await json(res)).code]).toEqual([column, 401, 'ERR_NO_SESSION'])
      expect((await rowsOf(f.tv, 'owner_sessions')).map((r) => r.id_hash)).not.toContain(idHash)
    }
    expect(told()).toContain('ERR_INTEGRITY')
  })

  it('csrf_hash swapped with another session’s: that CSRF token changes nothing, and the session is signed out', async () => {
    const { f } = await watched()
    const victim = await f.signIn()
    const attacker = await f.signIn()
    const hashOf = (o: { cookie: string }) =>
      f.tv.vault.hashSecret(o.cookie.split('=')[1] as string)
    await editRow(f.tv, 'owner_sessions', hashOf(victim), {
      csrf_hash: (await rowOf(f.tv, 'owner_sessions', hashOf(attacker))).csrf_hash,
    })
    const res = await f.app.request('/owner/fields/email', {
      method: 'PUT',
      headers: {
        cookie: victim.cookie,
        'x-csrf-token': attacker.csrf,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ value: 'mallory@example.org' }),
    })
    expect(res.status).toBe(401)
    expect(await f.tv.vault.fields.get('email')).toBe('ada@example.org')
    expect(
      (await f.app.request('/owner/fields', { headers: { cookie: attacker.cookie } })).status,
    ).toBe(200)
  })

  it('while the vault is sealed a session can neither be checked nor started: the owner is signed out and asked to unlock', async () => {
    const g = await oauthFixture()
    const owner = await g.signIn()
    const seen: string[] = []
    const app = await createApp({
      vault: g.tv.vault,
      database: g.tv.handle,
      config: { issuer: ISSUER },
      now: g.now,
      pages: (kit) =>
        new Hono().get('/whoami', async (c) => {
          seen.push((await kit.session(c)) ? 'signed in' : 'signed out')
          return c.text('ok')
        }),
    })
    await app.request('/whoami', { headers: { cookie: owner.cookie } })
    await g.tv.vault.lock()
    await app.request('/whoami', { headers: { cookie: owner.cookie } })
    expect(seen).toEqual(['signed in', 'signed out'])
    expect((await app.request('/owner/fields', { headers: { cookie: owner.cookie } })).status).toBe(
      503,
    )
    expect(
      (
        await app.request('/owner/session', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"passphrase":"x"}',
        })
      ).status,
    ).toBe(503)
  })
})
