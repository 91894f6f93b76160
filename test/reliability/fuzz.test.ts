/**
 * Reliability campaign, fuzzing (issue 5; SECURITY.md 22–23). Three targets:
 *
 * 1. Every route the served app registers (the consent API, the owner API and the owner's web
 *    pages — read from the app's own route table, so a new route is fuzzed without editing this
 *    file), with random methods, path parameters (often real ids), query strings, headers
 *    (Authorization with a real, junk or wrong-scheme token, DPoP, Accept, Origin), cookies (the
 *    owner's real session or junk), content types and bodies → never a 5xx, never a stack or
 *    driver message, never a hang (each case must finish within a bound), memory bounded.
 * 2. Import files: the vault's own export, mutated (keys dropped, values replaced, types changed)
 *    → `importJson` accepts it or refuses it with a typed VaultError, never anything else.
 * 3. Restore files and CSV: damaged backups (bit flips, truncation, spliced bytes) → ERR_BACKUP_INVALID
 *    and the vault unchanged; random CSV → a preview or a 400 problem, never a 5xx.
 *
 * The owner API's own fuzz (packages/consent-api/test/owner-fuzz.test.ts) covers near-valid
 * bodies per owner route; this one covers the whole surface and the files.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { VaultError, createVault, openSqlite } from '@custos/vault'
import { createWebApp } from '../../packages/web/src/web-app.js'
import { PASSPHRASE, type World, inProcessWorld } from './support/in-process-world.js'

const LONG = process.env.CUSTOS_LONG === '1'
/** A case that takes longer than this is a hang (a real request here takes milliseconds). */
const CASE_BOUND_MS = 10_000
const LEAK = /SqliteError|sqlite_|at [^\n]+\.[jt]s:\d+|relation "|syntax error at|node_modules/

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function world(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-fuzz-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const w = await inProcessWorld(openSqlite(join(dir, 'vault.db')), createWebApp)
  cleanups.push(() => w.vault.close())
  return w
}

function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hang: ${what} took over ${CASE_BOUND_MS} ms`)),
      CASE_BOUND_MS,
    )
  })
  return Promise.race([work, hang]).finally(() => clearTimeout(timer))
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'text/csv',
  'text/plain',
  'application/octet-stream',
  'application/custos-sealed',
  'application/jwt',
  'application/json; charset=utf-16',
  '',
  ';;;',
]

describe('fuzzing every route', () => {
  it('random methods, paths, queries, headers, cookies, content types and bodies never give a 5xx, a leak or a hang', async () => {
    const w = await world()
    const ids: Record<string, string> = {
      client: w.clientId,
      vendor: w.clientId,
      grant: w.grantId,
      id: w.grantId,
    }
    const purchase = (await (
      await w.ownerCall('POST', '/owner/purchases', {
        seller: 'Fjord',
        orderDate: '2026-01-02',
        currency: 'EUR',
        total: 5,
      })
    ).json()) as { id: string }
    ids.purchase = purchase.id
    // The app's own route table: every registered method and path, middleware excluded.
    const routes = [
      ...new Map(
        w.app.routes
          .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
          .map((r) => [`${r.method} ${r.path}`, r]),
      ).values(),
    ]
    expect(routes.length).toBeGreaterThan(40)
    let owner = w.owner

    const segment = fc.oneof(
      fc.constantFrom(
        ...Object.values(ids),
        'email',
        'custom.a',
        'prefs.sizes.*',
        '..',
        '%2e%2e',
        '%00',
        '%',
        '__proto__',
        'constructor',
        'x'.repeat(300),
      ),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
    )
    const query = fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'client_id',
          'request_uri',
          'response_type',
          'redirect_uri',
          'scope',
          'state',
          'code_challenge',
          'code_challenge_method',
          'authorization_details',
          'limit',
          'cursor',
          'since',
          'preview',
          'mode',
          'return_to',
          'next',
          'include',
        ),
        fc.string({ maxLength: 10 }),
      ),
      fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.constantFrom(
          w.clientId,
          'code',
          'S256',
          'https://fjord.example/cb',
          'read:email',
          '-1',
          '1e309',
          '[]',
          '{"a":1}',
          '//evil.example',
          'javascript:alert(1)',
        ),
      ),
      { maxKeys: 6 },
    )
    const headers = fc.record(
      {
        authorization: fc.oneof(
          fc.constant(`Bearer ${w.accessToken}`),
          fc.constant(`DPoP ${w.accessToken}`),
          fc.constant(`Basic ${Buffer.from(`${w.clientId}:${w.clientSecret}`).toString('base64')}`),
          fc.string({ maxLength: 100 }).map((s) => `Bearer ${s}`),
          fc.string({ maxLength: 60 }),
        ),
        cookie: fc.oneof(
          fc.constant('owner'),
          fc.string({ maxLength: 80 }),
          fc.constant('custos_session=; x=%ff'),
        ),
        'x-csrf-token': fc.oneof(fc.constant('owner'), fc.string({ maxLength: 40 })),
        dpop: fc.oneof(fc.string({ maxLength: 200 }), fc.constant('eyJhbGciOiJub25lIn0.e30.')),
        accept: fc.constantFrom(
          '*/*',
          'text/html',
          'application/json',
          'application/custos-sealed',
          'application/problem+json',
          '',
        ),
        origin: fc.constantFrom('https://vault.example', 'https://evil.example', 'null'),
        'sec-fetch-site': fc.constantFrom('same-origin', 'cross-site', 'none'),
        'x-backup-passphrase': fc.constantFrom(encodeURIComponent(PASSPHRASE), '%', 'wrong'),
      },
      { requiredKeys: [] },
    )
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }))
        .map((d) => new URLSearchParams(d).toString()),
      fc.string({ maxLength: 400 }),
      fc.uint8Array({ maxLength: 400 }),
      fc.constant(undefined),
    )

    const statuses = new Map<number, number>()
    const heapBefore = process.memoryUsage().heapUsed
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(fc.constant(undefined), fc.constantFrom(...METHODS)),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.option(query, { freq: 3 }),
        headers,
        fc.constantFrom(...CONTENT_TYPES),
        body,
        async (route, method, segments, q, h, type, b) => {
          let k = 0
          const path = route.path.replace(
            /:[A-Za-z_]+(\{[^}]*\})?/g,
            () => segments[k++ % segments.length] as string,
          )
          const url = q ? `${path}?${new URLSearchParams(q).toString()}` : path
          const m = method ?? route.method
          const sent: Record<string, string> = { ...h }
          if (sent.cookie === 'owner') sent.cookie = owner.cookie
          if (sent['x-csrf-token'] === 'owner') sent['x-csrf-token'] = owner.csrf
          if (type !== '') sent['content-type'] = type
          const withBody = b !== undefined && m !== 'GET' && m !== 'HEAD'
          const what = `${m} ${url.slice(0, 120)}`
          const res = await bounded(
            Promise.resolve(
              w.app.request(url, { method: m, headers: sent, ...(withBody ? { body: b } : {}) }),
            ),
            what,
          )
          const text = await bounded(res.text(), `${what} (body)`)
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          expect(res.status, `${what} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500)
          expect(text, what).not.toMatch(LEAK)
          // A lock or sign-out in the random stream: unseal and sign in again so the run keeps testing.
          if (!w.vault.isUnsealed()) await w.vault.unlock(PASSPHRASE)
          const check = await w.app.request('/owner/status', { headers: { cookie: owner.cookie } })
          if (check.status === 401) owner = await signIn(w)
          await check.body?.cancel()
        },
      ),
      { numRuns: LONG ? 10_000 : 2000 },
    )
    // The run reached handlers, not only routing: successes, refusals and redirects all occurred.
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true)
    expect([...statuses.keys()].some((s) => s >= 300 && s < 400)).toBe(true)
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0)
    expect(statuses.get(401) ?? 0).toBeGreaterThan(0)
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0)
    // Memory bounded: the whole run may not leave more than 200 MB of live heap behind.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024)
    expect(await w.vault.audit.verify()).toMatchObject({ ok: true })
  })
})

async function signIn(w: World): Promise<{ cookie: string; csrf: string }> {
  const res = await w.app.request('/owner/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ passphrase: PASSPHRASE }),
  })
  if (res.status !== 201) throw new Error(`sign-in failed: ${res.status}`)
  return {
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string,
    csrf: ((await res.json()) as { csrf_token: string }).csrf_token,
  }
}

/** Mutates a JSON document: drops, replaces or retypes values at random depths. */
function mutated(doc: unknown): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(null, -1, 1e308, '', 'x'.repeat(20_000), [], {}, '__proto__', '2026-13-45'),
  )
  const walk = (v: unknown, depth: number): fc.Arbitrary<unknown> => {
    if (depth > 3)
      return fc.oneof({ weight: 5, arbitrary: fc.constant(v) }, { weight: 1, arbitrary: leaf })
    if (Array.isArray(v)) {
      if (v.length === 0) return fc.oneof(fc.constant(v), fc.array(leaf, { maxLength: 2 }))
      return fc.tuple(...v.slice(0, 4).map((x) => walk(x, depth + 1)), fc.boolean()).map((xs) => {
        const dup = xs.pop() as boolean
        return dup ? [...xs, ...xs] : xs
      })
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>)
      return fc
        .tuple(
          ...entries.map(([, x]) =>
            fc.oneof(
              { weight: 6, arbitrary: walk(x, depth + 1) },
              { weight: 1, arbitrary: fc.constant(Symbol.for('drop')) },
            ),
          ),
          fc.option(fc.tuple(fc.string({ maxLength: 10 }), leaf)),
        )
        .map((xs) => {
          const extra = xs.pop() as [string, unknown] | null
          const out: Record<string, unknown> = {}
          entries.forEach(([key], i) => {
            if (xs[i] !== Symbol.for('drop')) out[key] = xs[i]
          })
          if (extra) out[extra[0]] = extra[1]
          return out
        })
    }
    return fc.oneof({ weight: 4, arbitrary: fc.constant(v) }, { weight: 1, arbitrary: leaf })
  }
  // The untouched document too, so the property also sees imports that succeed.
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(doc) },
    { weight: 5, arbitrary: walk(doc, 0) },
  )
}

describe('fuzzing import and restore files', () => {
  it('mutated exports are imported or refused with a typed error, and the vault stays verifiable', async () => {
    const source = await world()
    await source.ownerCall('POST', '/owner/purchases', {
      seller: 'Fjord',
      orderDate: '2026-01-02',
      currency: 'EUR',
      total: 5,
      items: [{ name: 'Hat', quantity: 1, price: 5 }],
    })
    const exported = await source.vault.exportJson()
    const dir = mkdtempSync(join(tmpdir(), 'custos-fuzz-import-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const target = await createVault({
      database: openSqlite(join(dir, 'target.db')),
      kdf: 'interactive',
    })
    cleanups.push(() => target.close())
    await target.initialize(PASSPHRASE)
    const codes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(
        mutated(exported),
        fc.constantFrom('merge', 'replace') as fc.Arbitrary<'merge' | 'replace'>,
        async (doc, mode) => {
          const outcome = await bounded(
            target.importJson(doc, { mode }).then(
              () => 'imported',
              (err: unknown) => {
                if (!(err instanceof VaultError)) throw err
                return err.code
              },
            ),
            'importJson',
          )
          codes.set(outcome, (codes.get(outcome) ?? 0) + 1)
        },
      ),
      { numRuns: LONG ? 2000 : 300 },
    )
    expect(codes.get('imported') ?? 0).toBeGreaterThan(0)
    expect(
      [...codes.keys()].filter((c) => c !== 'imported').length,
      [...codes.keys()].join(),
    ).toBeGreaterThan(0)
    expect(await target.audit.verify()).toMatchObject({ ok: true })
  })

  it('damaged backups are refused as ERR_BACKUP_INVALID with the vault unchanged; random CSV never gives a 5xx', async () => {
    const w = await world()
    const chunks: Uint8Array[] = []
    for await (const chunk of w.vault.backup()) chunks.push(chunk)
    const backup = Buffer.concat(chunks)
    const fieldsBefore = await w.vault.fields.list()
    const damaged = fc.oneof(
      fc.tuple(fc.nat(backup.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const copy = Buffer.from(backup)
        copy[i] = (copy[i] as number) ^ x
        return copy
      }),
      fc.nat(backup.length - 1).map((n) => backup.subarray(0, n)),
      fc
        .tuple(fc.nat(backup.length - 1), fc.uint8Array({ minLength: 1, maxLength: 64 }))
        .map(([i, junk]) => Buffer.concat([backup.subarray(0, i), junk, backup.subarray(i)])),
      fc
        .uint8Array({ maxLength: 512 })
        .map((junk) => Buffer.concat([Buffer.from('CUSTOSBK'), junk])),
    )
    await fc.assert(
      fc.asyncProperty(damaged, async (bytes) => {
        const err = await bounded(
          w.vault.restore(new Uint8Array(bytes), PASSPHRASE).then(
            () => undefined,
            (e: unknown) => e,
          ),
          'restore',
        )
        expect(err).toBeInstanceOf(VaultError)
        expect(['ERR_BACKUP_INVALID', 'ERR_UNLOCK_FAILED']).toContain((err as VaultError).code)
      }),
      { numRuns: LONG ? 500 : 25 },
    )
    expect(await w.vault.fields.list()).toEqual(fieldsBefore)

    const csv = fc.array(
      fc.array(
        fc.oneof(
          fc.string({ maxLength: 16 }),
          fc.constantFrom(
            '"',
            '""',
            '"a,b"',
            '\r',
            '\n',
            '2026-01-01',
            'EUR',
            '12.5',
            '-0',
            '1e400',
          ),
        ),
        { maxLength: 9 },
      ),
      { maxLength: 8 },
    )
    const header = fc.constantFrom(
      'seller,orderDate,orderNumber,category,currency,total,notes',
      'seller,orderDate,currency,total',
      '\ufeffseller,orderDate,currency,total',
      'x,y',
      '',
    )
    await fc.assert(
      fc.asyncProperty(header, csv, fc.boolean(), async (head, rows, preview) => {
        const res = await bounded(
          Promise.resolve(
            w.app.request(`/owner/purchases/import${preview ? '?preview=true' : ''}`, {
              method: 'POST',
              headers: {
                cookie: w.owner.cookie,
                'x-csrf-token': w.owner.csrf,
                'content-type': 'text/csv',
              },
              body: [head, ...rows.map((r) => r.join(','))].join('\n'),
            }),
          ),
          'csv import',
        )
        const text = await res.text()
        expect(res.status, text.slice(0, 200)).toBeLessThan(500)
        expect(text).not.toMatch(LEAK)
      }),
      { numRuns: LONG ? 1000 : 150 },
    )
    expect(await w.vault.audit.verify()).toMatchObject({ ok: true })
  })
})
