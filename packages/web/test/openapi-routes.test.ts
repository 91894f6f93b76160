/**
 * Issue 10, for the whole served app (`createWebApp`: the API plus the owner's pages): every route
 * in the API's namespaces is in the OpenAPI document, and the routes the document leaves out are
 * exactly the ones the pages add — the owner's HTML pages and static assets — none of them in the
 * API's namespaces, where a page could shadow or extend the API unseen.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '@custos/consent-api'
import { createTestVault } from '@custos/vault/testing'
import { documentedOperations, missingFrom, servedOperations } from '@custos/consent-api/testing'
import { type PagesFixture, signedInPages } from './support/web-fixture.js'

/** The API's namespaces: everything under them is the API's, and documented. */
const API_PREFIXES = ['/oauth/', '/owner/', '/v1/', '/.well-known/']
const API_PATHS = ['/oauth', '/owner', '/v1', '/openapi.json', '/docs', '/healthz', '/readyz']
const inApi = (operation: string) => {
  const path = operation.slice(operation.indexOf(' ') + 1)
  return API_PATHS.includes(path) || API_PREFIXES.some((p) => path.startsWith(p))
}

let f: PagesFixture | undefined
afterEach(async () => {
  await f?.dispose()
  f = undefined
})

describe('the served app and the OpenAPI document', () => {
  it('documents every API route; what it leaves out are the pages, outside the API namespaces', async () => {
    f = await signedInPages()
    const doc = (await (await f.app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>
    }
    const documented = documentedOperations(doc)
    const served = servedOperations(f.app.routes)
    const bare = await createTestVault()
    try {
      const api = servedOperations(
        (
          await createApp({
            vault: bare.vault,
            database: bare.handle,
            config: { issuer: 'http://127.0.0.1' },
          })
        ).routes,
      )
      const pages = missingFrom(served, api)
      expect(pages.length).toBeGreaterThan(5)
      expect(missingFrom(served, documented)).toEqual(pages)
      expect(pages.filter(inApi)).toEqual([])
      expect(missingFrom(documented, served)).toEqual([])
    } finally {
      await bare.dispose()
    }
  })
})
