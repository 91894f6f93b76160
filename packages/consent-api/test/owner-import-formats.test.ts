/**
 * Issue 14 (P6): `POST /owner/purchases/import?format=amazon|paypal` — the shop and payment
 * exports end in the same preview as any CSV (skipped entries with their reason, duplicates of
 * the vault marked), and a real import writes the purchases as `import`, saying where they came from.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Owner,
  type OwnerFixture,
  disposeOwnerFixtures,
  ownerFixture,
} from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/imports/${name}`, import.meta.url), 'utf8')

async function signedIn(): Promise<{ f: OwnerFixture; owner: Owner }> {
  const f = await ownerFixture()
  return { f, owner: await f.signIn() }
}

const post = (f: OwnerFixture, owner: Owner, text: string, query: string) =>
  f.call(owner, 'POST', `/owner/purchases/import${query}`, {
    body: text,
    type: 'text/csv; charset=utf-8',
  })

interface Preview {
  rows: { index: number; skipped?: string; duplicate?: string; order?: { seller: string } }[]
  valid: number
  invalid: number
  skipped: number
  duplicates: number
}

describe('POST /owner/purchases/import?format=…', () => {
  it('Amazon: previews orders (items grouped), then imports them once; a second import finds them all', async () => {
    const { f, owner } = await signedIn()
    const text = fixture('amazon-Retail.OrderHistory.1.csv')
    const preview = await post(f, owner, text, '?format=amazon&preview=true')
    expect(preview.status).toBe(200)
    const body = (await preview.json()) as Preview
    expect([body.valid, body.invalid, body.skipped, body.duplicates]).toEqual([3, 1, 1, 0])
    expect((await f.tv.vault.purchases.list()).items).toEqual([])

    // The file has a row with issues: a real import refuses it whole.
    expect((await post(f, owner, text, '?format=amazon')).status).toBe(400)
    const fixed = text.replace('"twelve"', '"12.00"')
    const done = await post(
      f,
      owner,
      fixed,
      '?format=amazon&duplicates=skip&name=Retail.OrderHistory.1.csv',
    )
    expect(done.status).toBe(201)
    expect(await done.json()).toMatchObject({ imported: 4, skipped: 1, skippedDuplicates: 0 })
    const stored = (await f.tv.vault.purchases.list({ limit: 50 })).items
    expect(stored).toHaveLength(4)
    expect(new Set(stored.map((p) => p.provenance))).toEqual(new Set(['import']))
    // `name` records where each came from.
    expect(new Set(stored.map((p) => p.importSource))).toEqual(
      new Set(['amazon: Retail.OrderHistory.1.csv']),
    )
    expect(new Set(stored.map((p) => p.notes))).toEqual(
      new Set(['Imported from Amazon order history']),
    )

    const again = (await (
      await post(f, owner, fixed, '?format=amazon&preview=true')
    ).json()) as Preview
    expect(again.duplicates).toBe(4)
    const twice = await post(f, owner, fixed, '?format=amazon&duplicates=skip')
    expect(await twice.json()).toMatchObject({ imported: 0, skippedDuplicates: 4 })
  })

  it('PayPal: only completed payments made become purchases', async () => {
    const { f, owner } = await signedIn()
    const res = await post(f, owner, fixture('paypal-activity-en-GB.csv'), '?format=paypal')
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({ imported: 2, skipped: 4 })
    const sellers = (await f.tv.vault.purchases.list()).items.map((p) => p.seller).sort()
    expect(sellers).toEqual(['Fjord Outdoor Ltd', 'Moss & Fern Books'])
  })

  it('PayPal: the owner may say how dates are read', async () => {
    const { f, owner } = await signedIn()
    const text = [
      'Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,Transaction ID',
      '03/04/2026,10:00:00,PST,Shop A,Express Checkout Payment,Completed,USD,-10.00,0.00,-10.00,T1',
    ].join('\n')
    const read = async (q: string) =>
      (
        (await (await post(f, owner, text, `?format=paypal&preview=true${q}`)).json()) as {
          rows: { order: { orderDate: string } }[]
        }
      ).rows[0]?.order.orderDate
    expect(await read('')).toBe('2026-04-03')
    expect(await read('&dateOrder=mdy')).toBe('2026-03-04')
  })

  it('a file of the wrong format is refused in words; an unknown format is a 400', async () => {
    const { f, owner } = await signedIn()
    const wrong = await post(f, owner, fixture('paypal-activity-en-GB.csv'), '?format=amazon')
    expect(wrong.status).toBe(400)
    expect(((await wrong.json()) as { title: string }).title).toMatch(
      /not an Amazon order history file/,
    )
    expect((await post(f, owner, 'a,b\n1,2\n', '?format=ebay')).status).toBe(400)
    expect((await f.tv.vault.purchases.list()).items).toEqual([])
  })

  it('email: an mbox streams through the preview; only orders are written, once', async () => {
    const { f, owner } = await signedIn()
    const mbox = readFileSync(new URL('./fixtures/imports/orders.mbox', import.meta.url))
    const send = (query: string) =>
      f.call(owner, 'POST', `/owner/purchases/import${query}`, {
        body: mbox,
        type: 'application/mbox',
      })
    const preview = (await (await send('?preview=true')).json()) as Preview
    expect([preview.valid, preview.invalid, preview.skipped]).toEqual([3, 0, 2])
    const done = await send('?duplicates=skip')
    expect(done.status).toBe(201)
    expect(await done.json()).toMatchObject({ imported: 3, skipped: 2 })
    expect(await (await send('?duplicates=skip')).json()).toMatchObject({
      imported: 0,
      skippedDuplicates: 3,
    })
    const one = await f.call(owner, 'POST', '/owner/purchases/import?preview=true', {
      body: readFileSync(new URL('./fixtures/imports/no-markup.eml', import.meta.url)),
      type: 'message/rfc822',
    })
    expect(one.status).toBe(400)
    expect(((await one.json()) as { title: string }).title).toBe(
      'The message has no schema.org order markup: there is nothing to import',
    )
  })

  it('CSV: the mapping the owner confirmed is remembered for the next file of the same shape', async () => {
    const { f, owner } = await signedIn()
    const header = 'Buchungstag;Empfänger;Verwendungszweck;Soll'
    const march = `${header}\n03/04/2026;Fjord Outdoor;Jacke;129,90\n25/04/2026;Nordlys;Buch;12,00\n`
    const april = `${header}\n03/05/2026;Eckhaus;Brot;4,20\n`
    // Unknown columns: refused until mapped.
    expect((await post(f, owner, april, '?preview=true')).status).toBe(400)
    const mapped = await post(
      f,
      owner,
      march,
      '?columns=orderDate,seller,notes,total&currency=EUR&dateOrder=dmy',
    )
    expect(mapped.status).toBe(201)
    // A preview alone remembers nothing; the confirmed import did.
    const next = await post(f, owner, april, '?preview=true')
    expect(next.status).toBe(200)
    const body = (await next.json()) as Preview & {
      mappingRecalled?: boolean
      dateOrder?: string
      rows: { order?: { orderDate: string; total: number; currency: string } }[]
    }
    expect(body.mappingRecalled).toBe(true)
    expect(body.dateOrder).toBe('dmy')
    expect(body.rows[0]?.order).toMatchObject({
      orderDate: '2026-05-03',
      total: 4.2,
      currency: 'EUR',
    })
    // Another shape is not touched by it.
    expect(
      (await post(f, owner, 'Datum;Wer;Betrag\n03/05/2026;X;1,00\n', '?preview=true')).status,
    ).toBe(400)
  })

  it('CSV: day- or month-first detected from the dates, confirmable', async () => {
    const { f, owner } = await signedIn()
    const us = 'seller,date,total,currency\nA,03/04/2026,1.00,USD\nB,04/25/2026,2.00,USD\n'
    const body = (await (await post(f, owner, us, '?preview=true')).json()) as {
      dateOrder: string
      dateOrderCertain: boolean
      rows: { order: { orderDate: string } }[]
    }
    expect([body.dateOrder, body.dateOrderCertain]).toEqual(['mdy', true])
    expect(body.rows.map((r) => r.order.orderDate)).toEqual(['2026-03-04', '2026-04-25'])
    const unsure = 'seller,date,total,currency\nA,03/04/2026,1.00,USD\n'
    const guess = (await (await post(f, owner, unsure, '?preview=true')).json()) as {
      dateOrderCertain: boolean
    }
    expect(guess.dateOrderCertain).toBe(false)
    const told = (await (await post(f, owner, unsure, '?preview=true&dateOrder=mdy')).json()) as {
      rows: { order: { orderDate: string } }[]
    }
    expect(told.rows[0]?.order.orderDate).toBe('2026-03-04')
  })
})
