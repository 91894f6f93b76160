/**
 * Issue "P1 — Trust", finding 2 (registration): nothing limited unauthenticated dynamic client
 * registration (RFC 7591 §3) — 300 clients in 1.2 s, each listed on the owner's Connections page.
 * Registrations are now limited per client address and in total, in sliding windows counted in
 * the database (so several servers on one PostgreSQL share them); over a limit the answer is
 * 429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3). The client address is the socket's;
 * X-Forwarded-For counts only when the configuration says proxies are trusted.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import { type Vault, createVault } from '@custos/vault'
import { createApp } from '../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault } from '@custos/vault/testing'

const ISSUER = 'https://vault.example'
const live: TestVault[] = []
const others: Vault[] = []
afterEach(async () => {
  for (const v of others.splice(0)) await v.close().catch(() => undefined)
  await Promise.all(live.splice(0).map((tv) => tv.dispose()))
})

/** What @hono/node-server hands the app: the request's socket (getConnInfo reads its address). */
const socket = (address: string) => ({
  incoming: {
    socket: {
      remoteAddress: address,
      remotePort: 50000,
      remoteFamily: address.includes(':') ? 'IPv6' : 'IPv4',
    },
  },
})

async function setup(config: Record<string, unknown> = {}) {
  let t = Date.now()
  const now = () => new Date(t)
  const tv = await createTestVault({ now })
  live.push(tv)
  const app = await createApp({
    vault: tv.vault,
    database: tv.handle,
    config: { issuer: ISSUER, ...config },
    now,
  })
  const register = (
    app_: typeof app,
    from: string,
    headers: Record<string, string> = {},
    name = 'Fjord Outdoor',
  ) =>
    app_.request(
      '/oauth/register',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ client_name: name, redirect_uris: ['https://fjord.example/cb'] }),
      },
      socket(from),
    )
  return {
    tv,
    app,
    now,
    advance: (seconds: number) => {
      t += seconds * 1000
    },
    register: (from: string, headers: Record<string, string> = {}) => register(app, from, headers),
    registerOn: register,
  }
}

async function expectLimited(res: Response, atMostSeconds: number) {
  expect(res.status).toBe(429)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  const retryAfter = res.headers.get('retry-after') ?? ''
  // RFC 9110 §10.2.3: delay-seconds, a non-negative decimal integer.
  expect(retryAfter).toMatch(/^[0-9]+$/)
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
  expect(Number(retryAfter)).toBeLessThanOrEqual(atMostSeconds)
  expect(await res.json()).toMatchObject({ status: 429, code: 'ERR_RATE_LIMITED' })
}

describe('registration limits', () => {
  it('the attack of the finding: 300 rapid registrations from one address leave only the per-address allowance (defaults)', async () => {
    const s = await setup()
    const statuses = await Promise.all(
      Array.from({ length: 300 }, async () => (await s.register('198.51.100.9')).status),
    )
    const created = statuses.filter((st) => st === 201).length
    // Exactly the allowance: a burst gets neither more through, nor fewer by counting its own refusals.
    expect(created).toBe(10)
    expect(statuses.every((st) => st === 201 || st === 429)).toBe(true)
    expect(await s.tv.vault.vendors.list()).toHaveLength(created)
  })

  it('per client address, in a sliding window: another address is not affected, and the window moves on', async () => {
    const s = await setup({ limits: { registrationsPerAddress: { max: 3, seconds: 60 } } })
    for (let i = 0; i < 3; i++) expect((await s.register('203.0.113.7')).status).toBe(201)
    await expectLimited(await s.register('203.0.113.7'), 60)
    expect((await s.register('2001:db8::7')).status).toBe(201)
    s.advance(30)
    await expectLimited(await s.register('203.0.113.7'), 30)
    s.advance(31)
    expect((await s.register('203.0.113.7')).status).toBe(201)
    // A refused registration leaves nothing behind for the owner to see.
    expect(await s.tv.vault.vendors.list()).toHaveLength(5)
  })

  it('in total, whatever the addresses', async () => {
    const s = await setup({ limits: { registrations: { max: 4, seconds: 600 } } })
    for (let i = 0; i < 4; i++) expect((await s.register(`192.0.2.${i + 1}`)).status).toBe(201)
    await expectLimited(await s.register('192.0.2.99'), 600)
  })

  it('the total is shared by several servers on one database', async () => {
    const s = await setup({ limits: { registrations: { max: 4, seconds: 600 } } })
    const handleB = s.tv.db.open()
    const vaultB = await createVault({ database: handleB, kdf: 'interactive', now: s.now })
    others.push(vaultB)
    await vaultB.unlock(PASSPHRASE)
    const appB = await createApp({
      vault: vaultB,
      database: handleB,
      config: { issuer: ISSUER, limits: { registrations: { max: 4, seconds: 600 } } },
      now: s.now,
    })
    expect((await s.register('192.0.2.1')).status).toBe(201)
    expect((await s.registerOn(appB, '192.0.2.2')).status).toBe(201)
    expect((await s.register('192.0.2.3')).status).toBe(201)
    expect((await s.registerOn(appB, '192.0.2.4')).status).toBe(201)
    await expectLimited(await s.registerOn(appB, '192.0.2.5'), 600)
    await expectLimited(await s.register('192.0.2.6'), 600)
  })

  it('X-Forwarded-For is ignored unless the configuration trusts a proxy, then only the hop the proxy added counts', async () => {
    const plain = await setup({ limits: { registrationsPerAddress: { max: 1, seconds: 60 } } })
    expect((await plain.register('127.0.0.1', { 'x-forwarded-for': '192.0.2.1' })).status).toBe(201)
    // Same socket, another claimed address: still the same client.
    await expectLimited(await plain.register('127.0.0.1', { 'x-forwarded-for': '192.0.2.2' }), 60)

    const proxied = await setup({
      trustedProxies: 1,
      limits: { registrationsPerAddress: { max: 1, seconds: 60 } },
    })
    expect((await proxied.register('127.0.0.1', { 'x-forwarded-for': '192.0.2.1' })).status).toBe(
      201,
    )
    expect((await proxied.register('127.0.0.1', { 'x-forwarded-for': '192.0.2.2' })).status).toBe(
      201,
    )
    // A client cannot pick its address by sending its own X-Forwarded-For: the proxy appends the real one.
    await expectLimited(
      await proxied.register('127.0.0.1', { 'x-forwarded-for': '10.9.9.9, 192.0.2.2' }),
      60,
    )
  })

  it('over a real socket (as custos serve runs it), the peer address counts and a forged X-Forwarded-For does not', async () => {
    const s = await setup({ limits: { registrationsPerAddress: { max: 2, seconds: 60 } } })
    const server = createAdaptorServer({ fetch: s.app.fetch }) as Server
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const post = (forwardedFor: string) =>
        fetch(`http://127.0.0.1:${port}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          body: JSON.stringify({
            client_name: 'Fjord Outdoor',
            redirect_uris: ['https://fjord.example/cb'],
          }),
        })
      expect((await post('192.0.2.1')).status).toBe(201)
      expect((await post('192.0.2.2')).status).toBe(201)
      await expectLimited(await post('192.0.2.3'), 60)
      // The socket's address was seen (not the "no address" bucket of in-process requests).
      expect(
        (
          await s.app.request('/oauth/register', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ client_name: 'x', redirect_uris: ['https://fjord.example/cb'] }),
          })
        ).status,
      ).toBe(201)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('refused or invalid registrations do not use up the allowance', async () => {
    const s = await setup({ limits: { registrationsPerAddress: { max: 2, seconds: 60 } } })
    for (let i = 0; i < 5; i++) {
      const bad = await s.app.request(
        '/oauth/register',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"client_name":"x","redirect_uris":["http://x.example/cb"]}',
        },
        socket('203.0.113.8'),
      )
      expect(bad.status).toBe(400)
    }
    expect((await s.register('203.0.113.8')).status).toBe(201)
    expect((await s.register('203.0.113.8')).status).toBe(201)
    await expectLimited(await s.register('203.0.113.8'), 60)
    await expectLimited(await s.register('203.0.113.8'), 60)
    s.advance(61)
    expect((await s.register('203.0.113.8')).status).toBe(201)
  })

  it('limits are configuration: invalid numbers are refused when the app is built', async () => {
    const tv = await createTestVault()
    live.push(tv)
    for (const limits of [
      { registrations: { max: 0, seconds: 60 } },
      { registrationsPerAddress: { max: 5, seconds: 0 } },
      { unknown: 1 },
    ]) {
      await expect(
        createApp({
          vault: tv.vault,
          database: tv.handle,
          config: { issuer: ISSUER, limits } as never,
        }),
      ).rejects.toThrow()
    }
  })
})
