/**
 * The consent API's foundation: truthful RFC 8414 metadata, RFC 7591 registration, sealed → 503,
 * and the edge rules of SECURITY.md 22–23 (problem+json, no 5xx for bad input, no echo).
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../src/index.js'
import { type TestVault, createTestVault } from '@custos/vault/testing'

const ISSUER = 'https://vault.example'
let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

async function app() {
  tv = await createTestVault()
  return createApp({ vault: tv.vault, database: tv.handle, config: { issuer: ISSUER } })
}

const register = (a: Awaited<ReturnType<typeof app>>, body: unknown, init: RequestInit = {}) =>
  a.request('/oauth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  })

const good = {
  client_name: 'Fjord Outdoor',
  redirect_uris: ['https://fjord.example/cb'],
  client_uri: 'https://fjord.example',
}

describe('authorization server metadata (RFC 8414)', () => {
  it('names this issuer, S256 only, and every endpoint it lists exists', async () => {
    const a = await app()
    const res = await a.request('/.well-known/oauth-authorization-server')
    expect(res.status).toBe(200)
    const meta = (await res.json()) as Record<string, unknown>
    expect(meta.issuer).toBe(ISSUER)
    expect(meta.code_challenge_methods_supported).toEqual(['S256'])
    const endpoints = Object.entries(meta).filter(([k]) => k.endsWith('_endpoint'))
    expect(endpoints.length).toBeGreaterThan(0)
    for (const [, url] of endpoints) {
      const path = String(url).slice(ISSUER.length)
      const probe = await a.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      expect([path, probe.status === 404]).toEqual([path, false])
    }
    const resource = (await (
      await a.request('/.well-known/oauth-protected-resource')
    ).json()) as Record<string, unknown>
    expect(resource.authorization_servers).toEqual([ISSUER])
  })
})

describe('dynamic client registration (RFC 7591)', () => {
  it('registers a vendor the owner can see, returns the secret once and stores only its keyed hash', async () => {
    const a = await app()
    const res = await register(a, good)
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const client = (await res.json()) as {
      client_id: string
      client_secret: string
      token_endpoint_auth_method: string
      redirect_uris: string[]
    }
    expect(client.token_endpoint_auth_method).toBe('client_secret_basic')
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(client.redirect_uris).toEqual(good.redirect_uris)
    const vendor = await tv!.vault.vendors.get(client.client_id)
    expect(vendor).toMatchObject({
      name: 'Fjord Outdoor',
      uri: 'https://fjord.example',
      blocked: false,
    })
    const row = (await tv!.handle.db
      .selectFrom('oauth_clients' as never)
      .selectAll()
      .executeTakeFirstOrThrow()) as Record<string, unknown>
    expect(JSON.stringify(row)).not.toContain(client.client_secret)
    expect(row.secret_hash).toBe(tv!.vault.hashSecret(client.client_secret))
  })

  it('refuses redirect URIs that are not https (http only on loopback) or carry a fragment, with invalid_redirect_uri', async () => {
    const a = await app()
    for (const uri of [
      'http://fjord.example/cb',
      'https://fjord.example/cb#x',
      'not a uri',
      'javascript:alert(1)',
      'custom:/cb',
    ]) {
      const res = await register(a, { ...good, redirect_uris: [uri] })
      expect([uri, res.status]).toEqual([uri, 400])
      expect(((await res.json()) as { error: string }).error).toBe('invalid_redirect_uri')
    }
    for (const uri of ['http://127.0.0.1:8123/cb', 'http://localhost/cb', 'http://[::1]:9000/cb']) {
      expect([uri, (await register(a, { ...good, redirect_uris: [uri] })).status]).toEqual([
        uri,
        201,
      ])
    }
  })

  it('requires exactly one of jwks or jwks_uri for private_key_jwt, and no secret is issued for it', async () => {
    const a = await app()
    const bad = await register(a, { ...good, token_endpoint_auth_method: 'private_key_jwt' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_client_metadata')
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
    }
    const ok = await register(a, {
      ...good,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
    })
    expect(ok.status).toBe(201)
    expect(await ok.json()).not.toHaveProperty('client_secret')
  })

  it('answers a malformed body with an OAuth error that does not echo the input', async () => {
    const a = await app()
    const res = await a.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"client_name": "<script>secret-canary',
    })
    expect(res.status).toBe(400)
    expect(await res.text()).not.toContain('secret-canary')
  })

  it('fuzz: random JSON bodies never give a 5xx', async () => {
    const a = await app()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({
            client_name: fc.anything(),
            redirect_uris: fc.anything(),
            token_endpoint_auth_method: fc.anything(),
            jwks: fc.anything(),
          }),
        ),
        async (body) => {
          const res = await a.request('/oauth/register', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body) ?? 'null',
          })
          expect(res.status).toBeLessThan(500)
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('the edge', () => {
  it('sealed: data routes answer 503 problem+json, metadata and health still answer', async () => {
    const a = await app()
    await tv!.vault.lock()
    const res = await register(a, good)
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ status: 503, code: 'ERR_VAULT_LOCKED' })
    expect((await a.request('/.well-known/oauth-authorization-server')).status).toBe(200)
    expect((await a.request('/healthz')).status).toBe(200)
    expect((await a.request('/readyz')).status).toBe(503)
  })

  it('unknown routes are 404 problem+json; bodies over the limit are 413 problem+json', async () => {
    const a = await app()
    const missing = await a.request('/nope')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-type')).toBe('application/problem+json')
    const huge = await a.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(200_000) },
      body: 'x'.repeat(200_000),
    })
    expect(huge.status).toBe(413)
    expect(huge.headers.get('content-type')).toBe('application/problem+json')
  })
})
