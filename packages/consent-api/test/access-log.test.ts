/**
 * Issue "P1 — Trust": every vendor access attempt is in the access log, with one refusal policy
 * (SECURITY.md promises 13, 15, 19). Before, a request refused after a revoke never reached the
 * vault (revoking a grant revokes its tokens, so the bearer lookup failed first) and was not
 * logged at all; refused grant lookups and appends were not logged either; and `/v1/profile` and
 * the refresh grant never checked that the token's client owns its grant — a token row edited to
 * point vendor B's token at vendor A's grant read A's slice, logged as A's read (confused deputy).
 * Owner unlocks, sign-ins and locks now say where they came from.
 */
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import type { AuditEntry, Vault } from '@custos/vault'
import { type AppContext, createAppContext } from '../src/app-context.js'
import { parseConfig } from '../src/config.js'
import type { ApiTables } from '../src/db/api-schema.js'
import { rowMac } from '../src/db/stored-rows.js'
import { ownerActionsFor } from '../src/owner/owner-actions.js'
import {
  ISSUER,
  type TokenResponse,
  disposeFixtures as disposeOAuth,
  oauthFixture,
} from './support/oauth-fixture.js'
import { disposeOwnerFixtures, ownerFixture, PASSPHRASE } from './support/owner-fixture.js'
import {
  PROFILE,
  bearerError,
  disposeFixtures as disposeResource,
  resourceFixture,
} from './support/resource-fixture.js'

afterEach(async () => {
  await disposeResource()
  await disposeOAuth()
  await disposeOwnerFixtures()
})

const ORDER = {
  seller: 'Fjord Outdoor',
  orderDate: '2026-03-14T10:00:00Z',
  currency: 'EUR',
  total: 59,
}
/** What a vendor is told for a token that matches nothing: a refused known token must look exactly the same. */
const OPAQUE = {
  status: 401,
  error: 'invalid_token',
  body: {
    error: 'invalid_token',
    error_description: 'The access token is invalid, expired or revoked',
  },
}

const refusals = (vault: Vault, filter: { grantId?: string; vendorId?: string } = {}) =>
  vault.audit.list({ action: 'grant.refused', limit: 1000, ...filter })
const summary = (entries: readonly AuditEntry[]) =>
  entries.map((e) => [e.actor, e.grantId, e.detail, e.count ?? 1])

/** Writes the pending refusal counts (they are written at lock), then unlocks again. */
async function flushCounts(vault: Vault): Promise<void> {
  await vault.lock()
  await vault.unlock(PASSPHRASE)
}

/**
 * Points a stored token at another grant. `vouched: false` is the edit of someone who can write
 * the database but holds no key: the row then fails its MAC (db/stored-rows.ts). `vouched: true`
 * re-MACs the edited row — a row the token store vouches for that points elsewhere all the same
 * (a bug in a store, or whoever holds the key) — which only the vault's refusal policy stops.
 */
async function pointTokenAt(
  ctx: AppContext,
  token: string,
  grantId: string,
  { vouched }: { vouched: boolean },
): Promise<void> {
  const hash = ctx.vault.hashSecret(token)
  const { row_mac: _old, ...row } = await ctx.db
    .selectFrom('oauth_tokens')
    .selectAll()
    .where('token_hash', '=', hash)
    .executeTakeFirstOrThrow()
  const edited = { ...row, grant_id: grantId }
  const { numUpdatedRows } = await ctx.db
    .updateTable('oauth_tokens')
    .set({
      grant_id: grantId,
      ...(vouched ? { row_mac: rowMac(ctx, 'oauth_tokens', edited) } : {}),
    })
    .where('token_hash', '=', hash)
    .executeTakeFirst()
  expect(Number(numUpdatedRows)).toBe(1)
}

describe('vendor requests refused after a revoke are in the log', () => {
  it('a read after the owner revokes the grant (and with it the token) is refused as before and logged as that vendor’s refusal', async () => {
    const f = await resourceFixture()
    const { vendorId, grantId, token } = await f.vendorWithToken()
    expect((await f.get('/v1/profile', token)).status).toBe(200)
    await ownerActionsFor(f.ctx).grants.revoke(grantId)
    expect(await bearerError(await f.get('/v1/profile', token))).toMatchObject(OPAQUE)
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${vendorId}`, grantId, 'ERR_GRANT_REVOKED', 1],
    ])
    // The grant lookup and the append through the same dead token are refusals of the same burst.
    expect(await bearerError(await f.get('/v1/grant', token))).toMatchObject(OPAQUE)
    expect(
      await bearerError(
        await f.app.request('/v1/purchases', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(ORDER),
        }),
      ),
    ).toMatchObject(OPAQUE)
    await flushCounts(f.tv.vault)
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${vendorId}`, grantId, 'ERR_GRANT_REVOKED', 2],
      [`vendor:${vendorId}`, grantId, 'ERR_GRANT_REVOKED', 1],
    ])
  })

  it('a token the vendor revoked itself, and an expired one, are logged with their own reasons on a live grant', async () => {
    const f = await resourceFixture()
    const { vendorId, grantId, token } = await f.vendorWithToken()
    await f.ctx.stores.tokens.revoke(token, vendorId)
    expect(await bearerError(await f.get('/v1/profile', token))).toMatchObject(OPAQUE)
    const second = await f.token(vendorId, grantId)
    f.advance(601)
    expect(await bearerError(await f.get('/v1/profile', second))).toMatchObject(OPAQUE)
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${vendorId}`, grantId, 'ERR_TOKEN_EXPIRED', 1],
      [`vendor:${vendorId}`, grantId, 'ERR_TOKEN_REVOKED', 1],
    ])
  })

  it('an access token that matches nothing cannot be attributed: it is counted as a system refusal', async () => {
    const f = await resourceFixture()
    for (let i = 0; i < 3; i++)
      expect(
        await bearerError(await f.get('/v1/profile', `guess${i}${'A'.repeat(40)}`)),
      ).toMatchObject(OPAQUE)
    await flushCounts(f.tv.vault)
    expect(summary(await refusals(f.tv.vault))).toEqual([
      ['system', undefined, 'ERR_TOKEN_UNKNOWN', 2],
      ['system', undefined, 'ERR_TOKEN_UNKNOWN', 1],
    ])
  })
})

describe('grant lookups and appends', () => {
  it('refused GET /v1/grant and POST /v1/purchases are logged with their reason; an allowed lookup is logged as grant.viewed', async () => {
    const f = await resourceFixture()
    const reader = await f.vendorWithToken({ durationSeconds: 120 })
    const viewed = await f.get('/v1/grant', reader.token)
    expect(viewed.status).toBe(200)
    expect(await f.tv.vault.audit.list({ action: 'grant.viewed' })).toMatchObject([
      { actor: `vendor:${reader.vendorId}`, grantId: reader.grantId, outcome: 'ok' },
    ])
    // Without `append`: 403 as before, and now in the log.
    const post = await f.app.request('/v1/purchases', {
      method: 'POST',
      headers: { authorization: `Bearer ${reader.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(ORDER),
    })
    expect(await bearerError(post)).toMatchObject({ status: 403, error: 'insufficient_scope' })
    f.advance(121)
    expect(await bearerError(await f.get('/v1/grant', reader.token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
    })
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${reader.vendorId}`, reader.grantId, 'ERR_GRANT_EXPIRED', 1],
      [`vendor:${reader.vendorId}`, reader.grantId, 'ERR_GRANT_SCOPE', 1],
    ])
  })
})

describe('confused deputy: a token row edited to point at another vendor’s grant', () => {
  /** Vendors A (email, telephone; read and append) and B (sizes), each with a token. */
  async function twoVendors() {
    const f = await resourceFixture()
    const a = await f.vendorWithToken({
      fields: ['email', 'telephone'],
      actions: ['read', 'append'],
    })
    const b = await f.vendorWithToken({ fields: ['prefs.sizes.*'] })
    /** B's three kinds of request; each must be refused without anything of A leaving. */
    const attempts = async () => {
      const profile = await f.get('/v1/profile', b.token)
      const text = await profile.text()
      expect(profile.status).toBe(401)
      expect(text).not.toContain(PROFILE.email)
      expect(text).not.toContain(PROFILE.telephone)
      expect(await bearerError(await f.get('/v1/grant', b.token))).toMatchObject({
        status: 401,
        error: 'invalid_token',
      })
      const post = await f.app.request('/v1/purchases', {
        method: 'POST',
        headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(ORDER),
      })
      expect(await bearerError(post)).toMatchObject({ status: 401, error: 'invalid_token' })
      expect((await f.tv.vault.inbox.list()).items).toEqual([])
      // Nothing is attributed to A: no read, no view, no append, no refusal.
      expect(
        await f.tv.vault.audit.list({
          vendorId: a.vendorId,
          action: ['grant.read', 'grant.viewed', 'grant.refused', 'inbox.appended'],
        }),
      ).toEqual([])
    }
    return { f, a, b, attempts }
  }

  it('an edit by someone without the key fails the token row’s MAC: refused like a token that does not exist, and counted', async () => {
    const { f, a, b, attempts } = await twoVendors()
    await pointTokenAt(f.ctx, b.token, a.grantId, { vouched: false })
    await attempts()
    await flushCounts(f.tv.vault)
    // The row's own claims cannot be believed, so the refusals are nobody's.
    expect(summary(await refusals(f.tv.vault))).toEqual([
      ['system', undefined, 'ERR_TOKEN_UNKNOWN', 2],
      ['system', undefined, 'ERR_TOKEN_UNKNOWN', 1],
    ])
    expect((await f.get('/v1/profile', a.token)).status).toBe(200)
  })

  it('a row the store vouches for but pointing at A’s grant: /v1/profile, /v1/grant and POST /v1/purchases are refused by the vault, and the log blames B', async () => {
    const { f, a, b, attempts } = await twoVendors()
    await pointTokenAt(f.ctx, b.token, a.grantId, { vouched: true })
    await attempts()
    await flushCounts(f.tv.vault)
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${b.vendorId}`, a.grantId, 'ERR_GRANT_MISMATCH', 2],
      [`vendor:${b.vendorId}`, a.grantId, 'ERR_GRANT_MISMATCH', 1],
    ])
    // A's own token still works.
    expect((await f.get('/v1/profile', a.token)).status).toBe(200)
  })

  it('refresh: B’s refresh token pointed at A’s grant gets invalid_grant and no tokens — the refusal is B’s when the row is vouched for, nobody’s when it fails its MAC', async () => {
    const f = await oauthFixture()
    const base = {
      vault: f.tv.vault,
      db: f.tv.handle.db as unknown as Kysely<ApiTables>,
      config: parseConfig({ issuer: ISSUER }),
      now: f.now,
    }
    const ctx: AppContext = createAppContext(base)
    const clientA = await f.register()
    const clientB = await f.register({ client_name: 'Book Nook' })
    const first = await f.code(clientA)
    expect((await f.exchange(clientA, first.code, first.verifier)).status).toBe(200)
    const [grantA] = await f.tv.vault.grants.list({ vendorId: clientA.id })
    const refused = async (vouched: boolean) => {
      const { code, verifier } = await f.code(clientB)
      const tokensB = (await (await f.exchange(clientB, code, verifier)).json()) as TokenResponse
      await pointTokenAt(ctx, tokensB.refresh_token, grantA?.id as string, { vouched })
      const res = await f.refresh(clientB, tokensB.refresh_token)
      const body = (await res.json()) as Record<string, unknown>
      expect([res.status, body.error, body.access_token]).toEqual([400, 'invalid_grant', undefined])
    }
    await refused(true)
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${clientB.id}`, grantA?.id, 'ERR_GRANT_MISMATCH', 1],
    ])
    await refused(false)
    // At the token endpoint the client is authenticated: an unknown refresh token is still its refusal.
    expect(summary(await refusals(f.tv.vault))[0]).toEqual([
      `vendor:${clientB.id}`,
      undefined,
      'ERR_TOKEN_UNKNOWN',
      1,
    ])
    expect(await f.tv.vault.audit.list({ action: 'token.refreshed' })).toEqual([])
  })
})

describe('the token endpoint', () => {
  it('logs the code exchange and every refresh; a refresh after the owner revoked the grant is refused and logged for that vendor', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client)
    const issued = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    const grantId = grant?.id as string
    const refreshed = await f.refresh(client, issued.refresh_token)
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as TokenResponse
    expect(
      (await f.tv.vault.audit.list({ action: ['token.issued', 'token.refreshed'] })).map((e) => [
        e.action,
        e.actor,
        e.grantId,
        e.outcome,
      ]),
    ).toEqual([
      ['token.refreshed', `vendor:${client.id}`, grantId, 'ok'],
      ['token.issued', `vendor:${client.id}`, grantId, 'ok'],
    ])

    const owner = await f.signIn()
    const revoke = await f.app.request(`/owner/grants/${grantId}/revoke`, {
      method: 'POST',
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf },
    })
    expect(revoke.status).toBe(200)
    const refused = await f.refresh(client, next.refresh_token)
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([
      400,
      'invalid_grant',
    ])
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${client.id}`, grantId, 'ERR_GRANT_REVOKED', 1],
    ])
  })

  it('a reused refresh token is logged as ERR_TOKEN_USED (and still revokes its family); an unknown one is the client’s ERR_TOKEN_UNKNOWN', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client)
    const issued = (await (await f.exchange(client, code, verifier)).json()) as TokenResponse
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    const next = (await (await f.refresh(client, issued.refresh_token)).json()) as TokenResponse
    expect((await f.refresh(client, issued.refresh_token)).status).toBe(400)
    // Reuse revoked the family: the successor is dead too — now refused for being revoked.
    expect((await f.refresh(client, next.refresh_token)).status).toBe(400)
    expect((await f.refresh(client, 'x'.repeat(43))).status).toBe(400)
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${client.id}`, undefined, 'ERR_TOKEN_UNKNOWN', 1],
      [`vendor:${client.id}`, grant?.id, 'ERR_TOKEN_REVOKED', 1],
      [`vendor:${client.id}`, grant?.id, 'ERR_TOKEN_USED', 1],
    ])
  })

  it('a reused authorization code is logged as ERR_TOKEN_USED for its client and grant', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client)
    expect((await f.exchange(client, code, verifier)).status).toBe(200)
    expect((await f.exchange(client, code, verifier)).status).toBe(400)
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    expect(summary(await refusals(f.tv.vault))).toEqual([
      [`vendor:${client.id}`, grant?.id, 'ERR_TOKEN_USED', 1],
    ])
  })
})

describe('owner entries say where they came from (owner API)', () => {
  it('unlock through the API is `api`, through `custos unlock` (origin: cli) is `cli`; sign-in and lock are `api`; the audit listing returns them', async () => {
    const f = await ownerFixture()
    await f.tv.vault.lock({ origin: 'library' })
    expect(
      (await f.call(undefined, 'POST', '/owner/unlock', { json: { passphrase: PASSPHRASE } }))
        .status,
    ).toBe(200)
    const owner = await f.signIn()
    expect((await f.call(owner, 'POST', '/owner/lock')).status).toBe(204)
    expect(
      (
        await f.call(undefined, 'POST', '/owner/unlock', {
          json: { passphrase: 'not it', origin: 'cli' },
        })
      ).status,
    ).toBe(401)
    expect(
      (
        await f.call(undefined, 'POST', '/owner/unlock', {
          json: { passphrase: PASSPHRASE, origin: 'cli' },
        })
      ).status,
    ).toBe(200)
    const again = await f.signIn()
    const listed = await f.call(
      again,
      'GET',
      '/owner/audit?action=vault.locked,vault.unlocked,vault.unlock_failed,owner.authenticated',
    )
    const { entries } = (await listed.json()) as { entries: AuditEntry[] }
    expect(entries.reverse().map((e) => [e.action, e.origin])).toEqual([
      ['vault.locked', 'library'],
      ['vault.unlocked', 'api'],
      ['owner.authenticated', 'api'],
      ['vault.locked', 'api'],
      ['vault.unlock_failed', 'cli'],
      ['vault.unlocked', 'cli'],
      ['owner.authenticated', 'api'],
    ])
  })

  it('an origin outside the list is refused before the passphrase is tried', async () => {
    const f = await ownerFixture()
    await f.tv.vault.lock()
    for (const origin of ['browser-ish', 'CLI', 42]) {
      const res = await f.call(undefined, 'POST', '/owner/unlock', {
        json: { passphrase: PASSPHRASE, origin },
      })
      expect(res.status).toBe(400)
      expect(await res.text()).not.toContain(String(origin))
    }
    expect(f.tv.vault.isUnsealed()).toBe(false)
    expect(await f.tv.vault.status()).toMatchObject({ state: 'sealed', failedUnlocks: 0 })
  })
})
