/**
 * Issue "P1 — Trust", finding 2 (who may register): an owner setting — open registration, or
 * registration only with an initial access token (RFC 7591 §3: `Authorization: Bearer <initial
 * access token>` on the registration request; a missing or invalid one is answered as RFC 6750
 * §3.1 `invalid_token`, 401). The owner switches the mode and creates and revokes tokens through
 * the owner API; tokens are shown once and stored only as `vault.hashSecret(token)`; the setting
 * lives in the database, so it survives restarts and every server on one database obeys it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Vault, createVault } from '@custos/vault'
import { createApp } from '../src/index.js'
import { editRow } from './support/stored-rows.js'
import {
  PASSPHRASE,
  disposeOwnerFixtures,
  ownerFixture,
  type OwnerFixture,
} from './support/owner-fixture.js'

const others: Vault[] = []
afterEach(async () => {
  for (const v of others.splice(0)) await v.close().catch(() => undefined)
  await disposeOwnerFixtures()
})

const CLIENT = { client_name: 'Fjord Outdoor', redirect_uris: ['https://fjord.example/cb'] }

const register = (app: OwnerFixture['app'], headers: Record<string, string> = {}) =>
  app.request('/oauth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(CLIENT),
  })

/** RFC 6750 §3.1: 401; the challenge names the error only when credentials were sent. */
async function expectInvalidToken(res: Response, sent = true) {
  expect(res.status).toBe(401)
  const challenge = res.headers.get('www-authenticate') ?? ''
  expect(challenge).toMatch(/^Bearer\b/)
  if (sent) expect(challenge).toContain('error="invalid_token"')
  else expect(challenge).not.toContain('error=')
  expect(((await res.json()) as { error: string }).error).toBe('invalid_token')
}

describe('registration mode and initial access tokens (RFC 7591 §3)', () => {
  it('is open by default', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    expect(await f.json(owner, 'GET', '/owner/registration')).toEqual({ mode: 'open', tokens: [] })
    expect((await register(f.app)).status).toBe(201)
  })

  it('a registration mode set back to "open" in the database (no key) is not believed: registration stays closed (SECURITY.md, "The barrier")', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    await f.json(owner, 'PUT', '/owner/registration', { json: { mode: 'token' } })
    await editRow(f.tv, 'api_settings', 'registration_mode', { value: 'open' })
    await expectInvalidToken(await register(f.app), false)
  })

  it('with mode "token", only a live initial access token registers; it is shown once and stored hashed; revoked, it stops', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    expect(await f.json(owner, 'PUT', '/owner/registration', { json: { mode: 'token' } })).toEqual({
      mode: 'token',
      tokens: [],
    })

    await expectInvalidToken(await register(f.app), false)
    await expectInvalidToken(await register(f.app, { authorization: 'Bearer not-a-token' }))
    await expectInvalidToken(await register(f.app, { authorization: 'Basic Zm9vOmJhcg==' }))
    expect(await f.tv.vault.vendors.list()).toEqual([])

    const created = await f.json<{ id: string; token: string; label: string; createdAt: string }>(
      owner,
      'POST',
      '/owner/registration/tokens',
      { json: { label: 'Fjord Outdoor' } },
      201,
    )
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(created.label).toBe('Fjord Outdoor')
    const rows = await f.tv.handle.db
      .selectFrom('registration_tokens' as never)
      .selectAll()
      .execute()
    expect(JSON.stringify(rows)).not.toContain(created.token)
    expect((rows[0] as { token_hash: string }).token_hash).toBe(
      f.tv.vault.hashSecret(created.token),
    )

    const listed = await f.json<{ mode: string; tokens: Record<string, unknown>[] }>(
      owner,
      'GET',
      '/owner/registration',
    )
    expect(listed.tokens).toEqual([
      { id: created.id, label: 'Fjord Outdoor', createdAt: created.createdAt, lastUsedAt: null },
    ])
    expect(JSON.stringify(listed)).not.toContain(created.token)

    expect((await register(f.app, { authorization: `Bearer ${created.token}` })).status).toBe(201)
    expect((await register(f.app, { authorization: `bearer ${created.token}` })).status).toBe(201)
    const used = await f.json<{ tokens: { lastUsedAt: string | null }[] }>(
      owner,
      'GET',
      '/owner/registration',
    )
    expect(used.tokens[0]?.lastUsedAt).toMatch(/^\d{4}-/)

    expect((await f.call(owner, 'DELETE', `/owner/registration/tokens/${created.id}`)).status).toBe(
      204,
    )
    expect((await f.call(owner, 'DELETE', `/owner/registration/tokens/${created.id}`)).status).toBe(
      404,
    )
    await expectInvalidToken(await register(f.app, { authorization: `Bearer ${created.token}` }))
    expect(await f.tv.vault.vendors.list()).toHaveLength(2)

    // Back to open: no token needed.
    await f.json(owner, 'PUT', '/owner/registration', { json: { mode: 'open' } })
    expect((await register(f.app)).status).toBe(201)
  })

  it('the setting is in the database: it survives a restart and a second server on the same database obeys it', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    await f.json(owner, 'PUT', '/owner/registration', { json: { mode: 'token' } })
    const { token } = await f.json<{ token: string }>(
      owner,
      'POST',
      '/owner/registration/tokens',
      { json: {} },
      201,
    )

    const handleB = f.tv.db.open()
    const vaultB = await createVault({ database: handleB, kdf: 'interactive' })
    others.push(vaultB)
    await vaultB.unlock(PASSPHRASE)
    const appB = await createApp({
      vault: vaultB,
      database: handleB,
      config: { issuer: 'https://vault.example' },
    })
    await expectInvalidToken(await register(appB), false)
    expect((await register(appB, { authorization: `Bearer ${token}` })).status).toBe(201)

    const restarted = await f.tv.reopen()
    await restarted.unlock(PASSPHRASE)
    const appC = await createApp({
      vault: restarted,
      database: f.tv.handle,
      config: { issuer: 'https://vault.example' },
    })
    await expectInvalidToken(await register(appC), false)
    expect((await register(appC, { authorization: `Bearer ${token}` })).status).toBe(201)
  })

  it('the owner routes need the session and its CSRF token, and validate their input without echoing it', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    expect((await f.call(undefined, 'GET', '/owner/registration')).status).toBe(401)
    expect(
      (await f.call(owner, 'PUT', '/owner/registration', { json: { mode: 'token' }, csrf: null }))
        .status,
    ).toBe(403)
    expect(
      (await f.call(owner, 'POST', '/owner/registration/tokens', { json: {}, csrf: null })).status,
    ).toBe(403)
    const bad = await f.call(owner, 'PUT', '/owner/registration', {
      json: { mode: '<script>CANARY</script>' },
    })
    expect(bad.status).toBe(400)
    expect(await bad.text()).not.toContain('CANARY')
    expect(
      (
        await f.call(owner, 'POST', '/owner/registration/tokens', {
          json: { label: 'x'.repeat(201) },
        })
      ).status,
    ).toBe(400)
    expect((await f.call(owner, 'DELETE', '/owner/registration/tokens/%3Cscript%3E')).status).toBe(
      400,
    )
    expect(await f.json(owner, 'GET', '/owner/registration')).toEqual({ mode: 'open', tokens: [] })
  })
})
