/**
 * The OpenAPI 3.1 document at /openapi.json is generated from the routes' zod schemas; every
 * path it lists is served (no phantom endpoints), and /docs renders it without scripts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../src/index.js'
import { type TestVault, createTestVault } from '../../vault/test/support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

describe('OpenAPI document and reference page', () => {
  it('is OpenAPI 3.1 for this issuer, and every documented operation exists', async () => {
    tv = await createTestVault()
    const app = await createApp({ vault: tv.vault, database: tv.handle, config: { issuer: 'https://vault.example' } })
    const res = await app.request('/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers[0]?.url).toBe('https://vault.example')
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => [method.toUpperCase(), path] as const))
    expect(operations.length).toBeGreaterThan(10)
    for (const [method, path] of operations) {
      const concrete = path.replace(/\{[^}]+\}/g, 'x')
      const probe = await app.request(concrete, { method, ...(method === 'GET' ? {} : { body: '' }) })
      const body = probe.status === 404 ? await probe.text() : ''
      // A 404 from a resource lookup is fine; a 404 from the router means a phantom endpoint.
      expect([method, path, body.includes('ERR_ROUTE_NOT_FOUND')]).toEqual([method, path, false])
    }
    expect(doc.paths['/oauth/token']?.post).toMatchObject({ requestBody: { content: { 'application/x-www-form-urlencoded': {} } } })
  })

  it('/docs is a script-free HTML page listing the endpoints', async () => {
    tv = await createTestVault()
    const app = await createApp({ vault: tv.vault, database: tv.handle, config: { issuer: 'https://vault.example' } })
    const res = await app.request('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await res.text()
    expect(html).toContain('POST /oauth/token')
    expect(html).toContain('GET /v1/profile')
    expect(html).not.toMatch(/<script/i)
  })
})
