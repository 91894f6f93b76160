/**
 * The OpenAPI 3.1 document at /openapi.json is generated from the routes' zod schemas. It
 * describes exactly the routes hono serves — every documented operation is a registered route,
 * and every registered route is documented — it is valid for two independent validators
 * (@readme/openapi-parser and Redocly's linter, 0 errors), and /docs renders it without scripts.
 */
import { validate } from '@readme/openapi-parser'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../src/index.js'
import { type TestVault, createTestVault } from '@custos/vault/testing'
import {
  documentedOperations,
  missingFrom,
  pathShape,
  servedOperations,
} from './support/route-table.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

interface Operation {
  operationId?: string
  parameters?: { name: string; in: string; required?: boolean }[]
  responses: Record<string, unknown>
}
interface Document {
  openapi: string
  servers: { url: string }[]
  paths: Record<string, Record<string, Operation>>
}

async function served() {
  tv = await createTestVault()
  const app = await createApp({
    vault: tv.vault,
    database: tv.handle,
    config: { issuer: 'https://vault.example' },
  })
  const res = await app.request('/openapi.json')
  expect(res.status).toBe(200)
  return { app, doc: (await res.json()) as Document }
}

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  )

describe('OpenAPI document and reference page', () => {
  it('is OpenAPI 3.1 for this issuer, and every documented operation exists', async () => {
    const { app, doc } = await served()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers[0]?.url).toBe('https://vault.example')
    const all = operations(doc)
    expect(all.length).toBeGreaterThan(10)
    for (const { method, path } of all) {
      const concrete = path.replace(/\{[^}]+\}/g, 'x')
      const probe = await app.request(concrete, {
        method: method.toUpperCase(),
        ...(method === 'get' ? {} : { body: '' }),
      })
      const body = probe.status === 404 ? await probe.text() : ''
      // A 404 from a resource lookup is fine; a 404 from the router means a phantom endpoint.
      expect([method, path, body.includes('ERR_ROUTE_NOT_FOUND')]).toEqual([method, path, false])
    }
    expect(doc.paths['/oauth/token']?.post).toMatchObject({
      requestBody: { content: { 'application/x-www-form-urlencoded': {} } },
    })
  })

  // Issue 10: the probe above cannot fail under /v1 (an unknown /v1 path answers 401 before any
  // routing), so the document is compared with hono's own route table, both ways.
  it('issue 10: documents exactly the routes hono registered, both ways', async () => {
    const { app, doc } = await served()
    const documented = documentedOperations(doc)
    const registered = servedOperations(app.routes)
    // The owner's HTML pages and static assets are mounted by @custos/web (`deps.pages`), not by
    // this app: an app built without them has no route the document may leave out.
    expect({
      phantoms: missingFrom(documented, registered),
      undocumented: missingFrom(registered, documented),
    }).toEqual({ phantoms: [], undocumented: [] })
    expect(registered.size).toBeGreaterThan(40)
  })

  it('issue 10: the route-table comparison finds a phantom /v1 operation and an undocumented route', async () => {
    const { app, doc } = await served()
    const phantom = { ...doc, paths: { ...doc.paths, '/v1/phantom': { get: { responses: {} } } } }
    expect(missingFrom(documentedOperations(phantom), servedOperations(app.routes))).toEqual([
      'GET /v1/phantom',
    ])
    const routes = [
      ...app.routes,
      { method: 'POST', path: '/v1/undocumented/:id' },
      { method: 'ALL', path: '/v1/*' },
    ]
    expect(missingFrom(servedOperations(routes), documentedOperations(doc))).toEqual([
      'POST /v1/undocumented/{}',
    ])
    expect(pathShape('/owner/fields/:path{.+}')).toBe(pathShape('/owner/fields/{path}'))
  })

  it('issue 10: every path template has its required path parameter, and every operation a unique operationId', async () => {
    const { doc } = await served()
    const ids = new Set<string>()
    for (const { path, method, op } of operations(doc)) {
      const templates = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
      const declared = (op.parameters ?? [])
        .filter((p) => p.in === 'path' && p.required === true)
        .map((p) => p.name)
      expect([method, path, declared]).toEqual([method, path, templates])
      expect(op.operationId, `${method} ${path}`).toMatch(/^[A-Za-z][A-Za-z0-9]*$/)
      expect(ids.has(op.operationId as string), op.operationId).toBe(false)
      ids.add(op.operationId as string)
      expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(0)
    }
  })

  it('issue 10: @readme/openapi-parser reports no error', async () => {
    const { doc } = await served()
    const result = await validate(structuredClone(doc) as never)
    expect(result.valid ? [] : result.errors).toEqual([])
  })

  it("issue 10: Redocly's linter (recommended rules) reports no error", async () => {
    const { doc } = await served()
    const config = await createConfig({ extends: ['recommended'] })
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: 'openapi.json',
      config,
    })
    const errors = problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`)
    expect(errors).toEqual([])
  })

  it('/docs is a script-free HTML page listing the endpoints', async () => {
    tv = await createTestVault()
    const app = await createApp({
      vault: tv.vault,
      database: tv.handle,
      config: { issuer: 'https://vault.example' },
    })
    const res = await app.request('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await res.text()
    expect(html).toContain('POST /oauth/token')
    expect(html).toContain('GET /v1/profile')
    expect(html).not.toMatch(/<script/i)
  })
})
