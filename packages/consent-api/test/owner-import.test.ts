/**
 * Purchase imports: the RFC 4180 reader (known cases, refusals with line numbers, and a
 * round-trip property), then `POST /owner/purchases/import` — preview writes nothing, a real
 * import is all or nothing, JSON or CSV, with its own body limit above the app-wide one.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { CsvSyntaxError, parseCsv } from '../src/owner/csv.js'
import {
  ORDER,
  type Owner,
  type OwnerFixture,
  disposeOwnerFixtures,
  ownerFixture,
} from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

describe('parseCsv (RFC 4180)', () => {
  it.each([
    [
      'plain fields, LF',
      'a,b\n1,2\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'CRLF and no final line break',
      'a,b\r\n1,2',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'quoted comma, line break and doubled quote',
      'a,b\r\n"x, y","line1\r\nline2 ""q"""\r\n',
      [
        ['a', 'b'],
        ['x, y', 'line1\r\nline2 "q"'],
      ],
    ],
    [
      'empty fields and a trailing comma',
      'a,,c\n,\n1,2,',
      [
        ['a', '', 'c'],
        ['', ''],
        ['1', '2', ''],
      ],
    ],
    ['a byte-order mark and blank lines', '\ufeffa\n\n\nb\n', [['a'], ['b']]],
    ['an empty quoted field is a record', '""\n', [['']]],
    ['nothing', '', []],
  ])('%s', (_name, text, expected) => {
    expect(parseCsv(text)).toEqual(expected)
  })

  it.each([
    ['a quote inside an unquoted field', 'a,b\nx"y,2\n', 2],
    ['text after a closing quote', 'a\n"x"y\n', 2],
    ['a quoted field never closed', 'a\n\n"open,\nmore\n', 3],
  ])('refuses %s, naming the line', (_name, text, line) => {
    const err = (() => {
      try {
        parseCsv(text)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(CsvSyntaxError)
    expect((err as CsvSyntaxError).line).toBe(line)
  })

  it('refuses more records or columns than allowed', () => {
    expect(() => parseCsv('a\nb\nc\n', { maxRecords: 2 })).toThrow(CsvSyntaxError)
    expect(() => parseCsv('a,b,c\n', { maxFields: 2 })).toThrow(CsvSyntaxError)
  })

  it('reads back exactly what an RFC 4180 writer wrote (property)', () => {
    const field = fc.string({
      unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r', 'é', '1'),
    })
    const write = (rows: string[][], quoteAll: boolean) =>
      rows
        .map((r) =>
          r
            .map((v) =>
              quoteAll || /[",\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v,
            )
            .join(','),
        )
        .join('\r\n')
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        (rows, quoteAll, finalBreak) => {
          const text = write(rows, quoteAll) + (finalBreak && rows.length > 0 ? '\r\n' : '')
          expect(parseCsv(text)).toEqual(rows)
        },
      ),
      { numRuns: 500 },
    )
  })
})

const CSV_HEADER = 'seller,orderDate,orderNumber,category,currency,total,notes'
const csv = (...rows: string[]) => [CSV_HEADER, ...rows].join('\r\n')

async function signedIn(): Promise<{ f: OwnerFixture; owner: Owner }> {
  const f = await ownerFixture()
  return { f, owner: await f.signIn() }
}

const importCsv = (f: OwnerFixture, owner: Owner, text: string, query = '') =>
  f.call(owner, 'POST', `/owner/purchases/import${query}`, {
    body: text,
    type: 'text/csv; charset=utf-8',
  })

describe('POST /owner/purchases/import', () => {
  it('previews a CSV: every row parsed or with its issues, nothing written', async () => {
    const { f, owner } = await signedIn()
    const text = csv(
      '"Fjord Outdoor, AS",2026-03-14,A-1,outdoor,EUR,129.90,"Rain jacket, ""blue"""',
      'Nordlys Books,2026-01-02,,,NOK,12,',
      'Bad Shop,yesterday,,,EUR,1e3,secret-canary',
    )
    const res = await importCsv(f, owner, text, '?preview=true')
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      rows: {
        index: number
        order?: Record<string, unknown>
        issues?: { path: string; message: string }[]
      }[]
      valid: number
      invalid: number
    }
    expect([body.valid, body.invalid]).toEqual([2, 1])
    expect(body.rows[0]?.order).toEqual({
      seller: 'Fjord Outdoor, AS',
      orderDate: '2026-03-14',
      orderNumber: 'A-1',
      category: 'outdoor',
      currency: 'EUR',
      total: 129.9,
      notes: 'Rain jacket, "blue"',
      items: [],
    })
    expect(body.rows[1]?.order).toEqual({
      seller: 'Nordlys Books',
      orderDate: '2026-01-02',
      currency: 'NOK',
      total: 12,
      items: [],
    })
    expect(body.rows[2]?.issues?.map((i) => i.path).sort()).toEqual(['orderDate', 'total'])
    expect(JSON.stringify(body.rows[2])).not.toContain('canary')
    expect((await f.tv.vault.purchases.list()).items).toEqual([])
  })

  it('a real import with one bad row writes nothing and names the row', async () => {
    const { f, owner } = await signedIn()
    const rows = Array.from(
      { length: 20 },
      (_, i) => `Shop ${i},2026-02-${String(i + 1).padStart(2, '0')},,,EUR,${i}.50,`,
    )
    rows.splice(13, 0, 'Shop X,2026-02-30,,,EUR,1,')
    const res = await importCsv(f, owner, csv(...rows))
    expect(res.status).toBe(400)
    const problem = (await res.json()) as { code: string; issues: { path: string }[] }
    expect(problem.code).toBe('ERR_VALIDATION')
    expect(problem.issues.map((i) => i.path)).toEqual(['13.orderDate'])
    expect((await f.tv.vault.purchases.list()).items).toEqual([])

    rows.splice(13, 1)
    const ok = await importCsv(f, owner, csv(...rows))
    expect(ok.status).toBe(201)
    const done = (await ok.json()) as { imported: number; ids: string[] }
    expect(done.imported).toBe(20)
    const listed = await f.tv.vault.purchases.list({ limit: 100 })
    expect(listed.items).toHaveLength(20)
    expect(new Set(listed.items.map((p) => p.provenance))).toEqual(new Set(['import']))
  })

  it('imports a JSON array of orders the same way, all or nothing', async () => {
    const { f, owner } = await signedIn()
    const bad = await f.call(owner, 'POST', '/owner/purchases/import', {
      json: [ORDER, { ...ORDER, currency: 'eur' }],
    })
    expect(bad.status).toBe(400)
    expect(
      ((await bad.json()) as { issues: { path: string }[] }).issues.map((i) => i.path),
    ).toEqual(['1.currency'])
    expect((await f.tv.vault.purchases.list()).items).toEqual([])
    const preview = await f.json<{ valid: number }>(
      owner,
      'POST',
      '/owner/purchases/import?preview=true',
      { json: [ORDER, ORDER] },
    )
    expect(preview.valid).toBe(2)
    expect((await f.tv.vault.purchases.list()).items).toEqual([])
    expect(
      (
        await f.json<{ imported: number }>(
          owner,
          'POST',
          '/owner/purchases/import',
          { json: [ORDER, ORDER] },
          201,
        )
      ).imported,
    ).toBe(2)
    for (const json of [[], {}, 'x'])
      expect((await f.call(owner, 'POST', '/owner/purchases/import', { json })).status).toBe(400)
  })

  it('refuses unusable CSV headers, malformed CSV and other media types before looking at rows', async () => {
    const { f, owner } = await signedIn()
    const cases: [string, string][] = [
      ['unknown column', 'seller,orderDate,currency,total,<img src=x>\nA,2026-01-01,EUR,1,x'],
      ['missing column', 'seller,orderDate,currency\nA,2026-01-01,EUR'],
      ['duplicate column', 'seller,seller,orderDate,currency,total\nA,B,2026-01-01,EUR,1'],
      ['header only', CSV_HEADER],
      ['unterminated quote', csv('"A,2026-01-01,,,EUR,1,')],
      ['wrong number of cells is a row issue', csv('A,2026-01-01,EUR,1')],
    ]
    for (const [name, text] of cases) {
      const res = await importCsv(f, owner, text)
      expect([name, res.status]).toEqual([name, 400])
      expect(await res.text()).not.toContain('<img')
    }
    expect(
      (
        await f.call(owner, 'POST', '/owner/purchases/import', {
          body: csv('A,2026-01-01,,,EUR,1,'),
          type: 'text/plain',
        })
      ).status,
    ).toBe(415)
    expect(
      (await f.call(owner, 'POST', '/owner/purchases/import?preview=maybe', { json: [ORDER] }))
        .status,
    ).toBe(400)
    expect((await f.tv.vault.purchases.list()).items).toEqual([])
  })

  it('takes files larger than the app-wide body limit, up to its own', async () => {
    const { f, owner } = await signedIn()
    const note = 'n'.repeat(3000)
    const rows = Array.from({ length: 40 }, (_, i) => `Shop ${i},2026-01-01,,,EUR,1,${note}`)
    const text = csv(...rows)
    expect(text.length).toBeGreaterThan(64 * 1024)
    // The same size elsewhere is refused by the app-wide limit.
    const elsewhere = await f.call(owner, 'POST', '/owner/purchases', {
      body: JSON.stringify({ ...ORDER, notes: text }),
      type: 'application/json',
    })
    expect(elsewhere.status).toBe(413)
    const res = await importCsv(f, owner, text)
    expect(res.status).toBe(201)
    expect((await f.tv.vault.purchases.list({ limit: 100 })).items).toHaveLength(40)
    const huge = await importCsv(f, owner, 'x'.repeat(16 * 1024 * 1024 + 1))
    expect(huge.status).toBe(413)
  })
})
