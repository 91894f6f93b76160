/**
 * SECURITY.md 22–23 for the owner API: random path parameters, query strings, media types and
 * bodies on every owner route, sent with a valid session and CSRF token, never give a 5xx, and
 * every refusal is problem+json.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { GUARDED_ROUTES, ORDER, disposeOwnerFixtures, fill, ownerFixture, seedIds } from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

// Lock would seal the vault (then 503 is the right answer, and the rest of the run would test
// nothing); it takes no input to fuzz and is covered by the guard tests.
const ROUTES = [...GUARDED_ROUTES.filter((r) => r.path !== '/owner/lock'), { method: 'GET', path: '/owner/status' }, { method: 'POST', path: '/owner/unlock' }]

const segment = fc.oneof(
  fc.constantFrom(':vendor', ':grant', ':purchase', ':pending', 'email', 'custom.a', 'prefs.sizes.*', 'grt_x', '..', '%', '%2F', '__proto__'),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
)
const query = fc.dictionary(
  fc.constantFrom('seller', 'category', 'since', 'until', 'cursor', 'limit', 'preview', 'mode', 'action', 'grantId', 'vendorId', 'before', 'status', 'x'),
  fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('true', '0', '-1', '99999999999', '2026-01-01', 'grant.read', 'replace', '1e3', 'NaN')),
  { maxKeys: 4 },
)
const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constant(ORDER),
  fc.record({ value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ passphrase: fc.string(), recoveryKey: fc.string() }, { requiredKeys: [] }),
  fc.array(fc.oneof(fc.constant(ORDER), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }),
  fc.record({ fields: fc.array(fc.string(), { maxLength: 3 }), expiresAt: fc.string(), purchases: fc.constant(null) }, { requiredKeys: [] }),
)
const body = fc.oneof(
  jsonValue.map((v) => ({ type: 'application/json', text: JSON.stringify(v) })),
  fc.record({ type: fc.constantFrom('application/json', 'text/csv', 'application/octet-stream', 'text/plain', 'multipart/form-data; boundary=x', ''), text: fc.string({ maxLength: 200 }) }),
  fc.array(fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }), { maxLength: 5 }).map((rows) => ({
    type: 'text/csv',
    text: ['seller,orderDate,orderNumber,category,currency,total,notes', ...rows.map((r) => r.join(','))].join('\n'),
  })),
  fc.constant(undefined),
)

describe('owner API fuzz', () => {
  it('random params, queries and bodies on every owner route never give a 5xx', async () => {
    const f = await ownerFixture()
    const ids = await seedIds(f)
    const owner = await f.signIn()
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), fc.array(segment, { minLength: 1, maxLength: 3 }), query, body, fc.boolean(), async (route, segments, q, b, restoreHeader) => {
        // Replace each `:param` by a random segment (sometimes the real id), keep the rest.
        let k = 0
        const path = route.path.replace(/:[a-z]+/g, () => fill(segments[k++ % segments.length] as string, ids))
        const search = new URLSearchParams(q).toString()
        const headers: Record<string, string> = { cookie: owner.cookie, 'x-csrf-token': owner.csrf }
        if (b?.type) headers['content-type'] = b.type
        if (restoreHeader) headers['x-backup-passphrase'] = 'wrong'
        const res = await f.app.request(`${path}${search ? `?${search}` : ''}`, { method: route.method, headers, ...(b !== undefined && route.method !== 'GET' ? { body: b.text } : {}) })
        const text = await res.text()
        ;(globalThis as Record<string, unknown>).__h ??= {}; const h = (globalThis as any).__h; h[`${route.method} ${route.path} ${res.status}`] = (h[`${route.method} ${route.path} ${res.status}`] ?? 0) + 1
        expect([route.method, path, res.status, text.slice(0, 200)]).toEqual([route.method, path, expect.any(Number), expect.any(String)])
        expect(res.status, `${route.method} ${path} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500)
        if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json')
      }),
      { numRuns: 600 },
    )
    require("node:fs").writeFileSync("/tmp/fuzz-h.json", JSON.stringify((globalThis as any).__h, null, 1))
    // The session survived the whole run, and the vault is intact.
    expect((await f.call(owner, 'GET', '/owner/audit/verify')).status).toBe(200)
    expect(await f.json(owner, 'GET', '/owner/audit/verify')).toMatchObject({ ok: true })
  })
})
