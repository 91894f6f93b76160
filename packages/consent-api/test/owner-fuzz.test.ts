/**
 * SECURITY.md 22–23 for the owner API: random path parameters, query strings, media types and
 * bodies on every owner route — valid requests, near-valid ones (a key dropped or replaced, a
 * backup with a flipped bit) and junk — sent with a valid session and CSRF token, never give a
 * 5xx, and every refusal is problem+json.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  GUARDED_ROUTES,
  PASSPHRASE,
  disposeOwnerFixtures,
  fill,
  ownerFixture,
  seedIds,
} from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

interface FuzzRoute {
  readonly method: string
  readonly path: string
  readonly json?: unknown
}

const segment = fc.oneof(
  fc.constantFrom(
    ':vendor',
    ':grant',
    ':purchase',
    ':pending',
    ':field',
    'custom.a',
    'prefs.sizes.*',
    'grt_x',
    '..',
    '%',
    '%2F',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
)
const query = fc.dictionary(
  fc.constantFrom(
    'seller',
    'category',
    'since',
    'until',
    'cursor',
    'limit',
    'preview',
    'mode',
    'action',
    'grantId',
    'vendorId',
    'before',
    'status',
    'x',
  ),
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom(
      'true',
      '0',
      '-1',
      '99999999999',
      '2026-01-01',
      'grant.read',
      'replace',
      'merge',
      '1e3',
      'NaN',
    ),
  ),
  { maxKeys: 4 },
)

/** The route's own valid body with some keys dropped and some replaced by random JSON. */
function nearValid(base: unknown) {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return fc.constant(base)
  const keys = Object.keys(base)
  return fc
    .tuple(
      fc.subarray(keys),
      fc.dictionary(fc.constantFrom(...keys, 'extra'), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 2,
      }),
    )
    .map(([kept, overrides]) => ({
      ...Object.fromEntries(kept.map((k) => [k, (base as Record<string, unknown>)[k]])),
      ...overrides,
    }))
}

type Body = { type: string; data: string | Uint8Array } | undefined

function bodyFor(route: FuzzRoute, backup: Uint8Array) {
  const json = (a: fc.Arbitrary<unknown>) =>
    a.map((v): Body => ({ type: 'application/json', data: JSON.stringify(v) }))
  const options: fc.WeightedArbitrary<Body>[] = [
    { weight: 2, arbitrary: json(fc.jsonValue({ maxDepth: 4 })) },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constantFrom(
          'application/json',
          'text/csv',
          'application/octet-stream',
          'text/plain',
          'multipart/form-data; boundary=x',
          '',
        ),
        data: fc.string({ maxLength: 200 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }), { maxLength: 5 })
        .map(
          (rows): Body => ({
            type: 'text/csv',
            data: [
              'seller,orderDate,orderNumber,category,currency,total,notes',
              ...rows.map((r) => r.join(',')),
            ].join('\n'),
          }),
        ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ]
  if (route.json !== undefined)
    options.push({
      weight: 4,
      arbitrary: json(fc.oneof(fc.constant(route.json), nearValid(route.json))),
    })
  if (route.path === '/owner/restore') {
    // Every variant is damaged (a flipped bit or cut short), so no run replaces the vault.
    const damaged = fc.oneof(
      fc.tuple(fc.nat(backup.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const copy = backup.slice()
        copy[i] = (copy[i] as number) ^ x
        return copy
      }),
      fc.nat(backup.length - 1).map((n) => backup.slice(0, n)),
    )
    options.push({
      weight: 4,
      arbitrary: damaged.map((data): Body => ({ type: 'application/octet-stream', data })),
    })
  }
  return fc.oneof(...options)
}

describe('owner API fuzz', () => {
  it('random params, queries and bodies on every owner route never give a 5xx', async () => {
    const f = await ownerFixture()
    const ids = { ...(await seedIds(f)), field: 'email' }
    const owner = await f.signIn()
    const backup = new Uint8Array(await (await f.call(owner, 'GET', '/owner/backup')).arrayBuffer())
    const exported = await f.json(owner, 'GET', '/owner/export')
    // Lock would seal the vault (then 503 is the right answer, and the rest of the run would
    // test nothing); it takes no input and is covered by the guard tests.
    const routes: FuzzRoute[] = [
      ...GUARDED_ROUTES.filter((r) => r.path !== '/owner/lock').map((r) => ({
        ...r,
        path: r.path.replace('/owner/fields/email', '/owner/fields/:field'),
        ...(r.path.startsWith('/owner/import') ? { json: exported } : {}),
      })),
      { method: 'GET', path: '/owner/status' },
      { method: 'POST', path: '/owner/unlock', json: { passphrase: PASSPHRASE } },
    ]
    const statuses = new Map<number, number>()

    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...routes)
          .chain((route) =>
            fc.tuple(
              fc.constant(route),
              fc.array(segment, { minLength: 1, maxLength: 3 }),
              fc.option(query, { freq: 2 }),
              bodyFor(route, backup),
              fc.boolean(),
            ),
          ),
        async ([route, segments, q, b, passphraseHeader]) => {
          // Each `:param` becomes a random segment — often a real id.
          let k = 0
          const path = route.path.replace(/:[a-z]+/g, () =>
            fill(segments[k++ % segments.length] as string, ids),
          )
          const search = q ? new URLSearchParams(q).toString() : ''
          const url = search ? `${path}${path.includes('?') ? '&' : '?'}${search}` : path
          const headers: Record<string, string> = {
            cookie: owner.cookie,
            'x-csrf-token': owner.csrf,
          }
          if (b?.type) headers['content-type'] = b.type
          if (passphraseHeader) headers['x-backup-passphrase'] = encodeURIComponent(PASSPHRASE)
          const res = await f.app.request(url, {
            method: route.method,
            headers,
            ...(b !== undefined && route.method !== 'GET' ? { body: b.data } : {}),
          })
          const text = await res.text()
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          expect(
            res.status,
            `${route.method} ${url} → ${res.status} ${text.slice(0, 200)}`,
          ).toBeLessThan(500)
          if (res.status >= 400)
            expect(res.headers.get('content-type')).toBe('application/problem+json')
        },
      ),
      { numRuns: 500 },
    )
    // The run reached the handlers, not only the validators: successes and refusals both.
    expect([...statuses.keys()].filter((s) => s < 300).length).toBeGreaterThanOrEqual(3)
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0)
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0)
    // The session survived the whole run, and the audit chain is intact.
    const verdict = await f.json(owner, 'GET', '/owner/audit/verify')
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ ok: true })
  })
})
