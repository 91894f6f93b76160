/**
 * Issue 10 (what real use found): the amount parser the form and the import share, the CSV
 * dialects spreadsheets write, common and mapped header names, problems in words, and duplicates
 * through `POST /owner/purchases/import`.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { parseAmountText } from '../src/owner/amount-text.js'
import { parseCsv } from '../src/owner/csv.js'
import {
  type Owner,
  type OwnerFixture,
  disposeOwnerFixtures,
  ownerFixture,
} from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

describe('parseAmountText', () => {
  it.each([
    ['129.90', 129.9],
    ['129,90', 129.9],
    ['5,5', 5.5],
    ['12', 12],
    ['1,234.56', 1234.56],
    ['1.234,56', 1234.56],
    ['1,234,567', 1234567],
    ['1.234.567,8', 1234567.8],
    ['1 234,56', 1234.56],
    ['1\u202f234,56', 1234.56],
    [' 0,99 ', 0.99],
  ])('reads %s', (input, value) => {
    expect(parseAmountText(input)).toEqual({ ok: true, value })
  })

  it.each(['1,234', '1.234', '12,345'])('refuses the ambiguous %s', (input) => {
    expect(parseAmountText(input)).toEqual({ ok: false, reason: 'ambiguous' })
  })

  it.each(['', 'abc', '1e3', '-5', '12.5x', '1,2,3', '1.234.56', '€12', '1,23.45'])(
    'refuses %s as not an amount',
    (input) => {
      expect(parseAmountText(input)).toEqual({ ok: false, reason: 'format' })
    },
  )

  it('reads back any amount written with a point, or with a comma and up to two decimals (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 99 }),
        (units, cents) => {
          const point = `${units}.${String(cents).padStart(2, '0')}`
          expect(parseAmountText(point)).toEqual({ ok: true, value: Number(point) })
          expect(parseAmountText(point.replace('.', ','))).toEqual({
            ok: true,
            value: Number(point),
          })
        },
      ),
    )
  })
})

describe('parseCsv dialects', () => {
  it('detects semicolons and tabs, keeps quoted delimiters and skips the byte-order mark', () => {
    expect(parseCsv('\ufeffa;b\r\n"x;y";"1,5"\r\n')).toEqual([
      ['a', 'b'],
      ['x;y', '1,5'],
    ])
    expect(parseCsv('a\tb\nx, y\t2\n')).toEqual([
      ['a', 'b'],
      ['x, y', '2'],
    ])
    expect(parseCsv('a,b\n"x; y",2\n')).toEqual([
      ['a', 'b'],
      ['x; y', '2'],
    ])
  })
})

const importCsv = (f: OwnerFixture, owner: Owner, text: string, query = '') =>
  f.call(owner, 'POST', `/owner/purchases/import${query}`, {
    body: text,
    type: 'text/csv; charset=utf-8',
  })
type Preview = {
  rows: {
    index: number
    order?: Record<string, unknown>
    issues?: { path: string; message: string }[]
    duplicate?: string
  }[]
  valid: number
  invalid: number
  duplicates: number
}

describe('POST /owner/purchases/import (issue 10)', () => {
  it('understands spreadsheet headers and decimal commas, and words each problem without the cell', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    const text = [
      'Date;Merchant;Order No.;Total;Währung;Kategorie',
      '14.03.2026;Fjord Outdoor;A-1;129,90;eur;outdoor',
      'someday;Bad Shop;;1,234;EURO;',
      '2026-01-02;;;12;EUR;',
    ].join('\r\n')
    const res = await importCsv(f, owner, text, '?preview=true')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Preview
    expect(body.rows[0]?.order).toEqual({
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      orderNumber: 'A-1',
      category: 'outdoor',
      currency: 'EUR',
      total: 129.9,
      items: [],
    })
    const messages = (body.rows[1]?.issues ?? []).map((i) => i.message).sort()
    expect(messages).toEqual([
      'Row 2: the currency is not a three-letter code such as EUR',
      'Row 2: the date is not a date (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)',
      'Row 2: the total can be read two ways: write 1234.00 or 1.234,00 for over a thousand, 1.23 or 1,23 for a little over one',
    ])
    expect(body.rows[2]?.issues?.map((i) => i.message)).toEqual([
      'Row 3: the seller is missing or longer than 200 characters',
    ])
    expect(JSON.stringify(body)).not.toContain('someday')
    expect(JSON.stringify(body)).not.toContain('EURO')
  })

  it('refuses unknown headers until mapped, and takes one currency for every row', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    const text = 'Händler,Datum,Betrag,Beleg\nFjord Outdoor,2026-03-14,"129,90",K-17\n'
    const refused = await importCsv(f, owner, text, '?preview=true')
    expect(refused.status).toBe(400)
    const problem = (await refused.json()) as { issues: { path: string; message: string }[] }
    expect(problem.issues.map((i) => i.path)).toEqual(['header.3', 'header'])
    expect(JSON.stringify(problem)).not.toContain('Beleg')
    const ok = await importCsv(f, owner, text, '?columns=,,,orderNumber&currency=EUR')
    expect(ok.status).toBe(201)
    expect(
      (await f.tv.vault.purchases.list()).items.map((p) => [
        p.seller,
        p.total,
        p.currency,
        p.orderNumber,
      ]),
    ).toEqual([['Fjord Outdoor', 129.9, 'EUR', 'K-17']])
    expect((await importCsv(f, owner, text, '?columns=,,,<b>')).status).toBe(400)
  })

  it('marks duplicates of the vault and of earlier rows; duplicates=skip leaves them out', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    const text = [
      'seller,orderDate,orderNumber,currency,total',
      'Fjord Outdoor,2026-03-14,A-1,EUR,129.90',
      'Fjord Outdoor,2026-03-14,A-1,EUR,129.9',
      'Fjord Outdoor,2026-03-14,A-2,EUR,129.9',
    ].join('\n')
    const first = (await (await importCsv(f, owner, text, '?preview=true')).json()) as Preview
    expect(first.rows.map((r) => r.duplicate)).toEqual([undefined, 'file', undefined])
    expect(first.duplicates).toBe(1)
    const written = (await (await importCsv(f, owner, text, '?duplicates=skip')).json()) as {
      imported: number
    }
    expect(written.imported).toBe(2)
    const again = (await (await importCsv(f, owner, text, '?preview=true')).json()) as Preview
    expect(again.rows.map((r) => r.duplicate)).toEqual(['vault', 'vault', 'vault'])
    expect(
      ((await (await importCsv(f, owner, text, '?duplicates=skip')).json()) as { imported: number })
        .imported,
    ).toBe(0)
    expect((await f.tv.vault.purchases.list()).items).toHaveLength(2)
  })
})

describe('GET /owner/purchases?sellerContains (issue 10)', () => {
  it('finds sellers by part of the name; seller= keeps meaning the whole name', async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    await f.tv.vault.purchases.addMany([
      { seller: 'Amazon.co.uk', orderDate: '2026-01-01', currency: 'GBP', total: 1 },
      { seller: 'Book Nook', orderDate: '2026-01-02', currency: 'EUR', total: 2 },
    ])
    const sellers = async (query: string) =>
      (
        await f.json<{ items: { seller: string }[] }>(owner, 'GET', `/owner/purchases?${query}`)
      ).items.map((p) => p.seller)
    expect(await sellers('sellerContains=amazon')).toEqual(['Amazon.co.uk'])
    expect(await sellers('seller=amazon')).toEqual([])
  })
})
