/**
 * Issue 14 (P6): order-confirmation emails. `.eml` messages and an `.mbox` mailbox the project
 * wrote itself; orders come only from schema.org markup (JSON-LD or microdata), messages without
 * it are skipped in words, and a mailbox is read message by message.
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { rowsFromMail } from '../src/owner/import-email.js'
import { mailMessages } from '../src/owner/mail-messages.js'
import { ordersInHtml } from '../src/owner/order-markup.js'
import { RequestProblem } from '../src/owner/owner-errors.js'

const bytes = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/imports/${name}`, import.meta.url)))

/** The file in chunks of `size` bytes, as a stream would deliver it. */
function* chunked(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}

describe('schema.org order markup', () => {
  it('reads a JSON-LD Order: merchant, number, date, total, items', async () => {
    const [row] = await rowsFromMail([bytes('order-jsonld.eml')])
    expect(row?.order).toEqual({
      seller: 'Fjord Outdoor',
      orderNumber: 'FJ-2026-0042',
      orderDate: '2026-03-14T10:22:31+01:00',
      currency: 'EUR',
      total: 149.8,
      items: [
        { name: 'Rain jacket, women’s M', sku: 'RJ-42-M', quantity: 1, price: 129.9 },
        { name: 'Wool socks', quantity: 2, price: 9.95 },
      ],
      notes: 'Imported from an order confirmation email',
    })
  })

  it('reads microdata', async () => {
    const [row] = await rowsFromMail([bytes('order-microdata.eml')])
    expect(row?.order).toMatchObject({
      seller: 'Moss & Fern Books',
      orderNumber: 'MF-7781',
      orderDate: '2026-04-02',
      currency: 'GBP',
      total: 24.5,
    })
  })

  it('reads an Invoice: provider, total due, confirmation number; the date from the message', async () => {
    const [row] = await rowsFromMail([bytes('invoice.eml')])
    expect(row?.order).toMatchObject({
      seller: 'Nordlys Books',
      orderNumber: 'NB-INV-19',
      currency: 'NOK',
      total: 12,
      orderDate: '2026-05-05T10:00:00.000Z',
    })
  })

  it('passes over a script that is not JSON, and finds nothing in plain HTML', () => {
    expect(
      ordersInHtml('<script type="application/ld+json">{not json</script><p>Total 12 EUR</p>'),
    ).toEqual([])
  })

  it('refuses a message without markup: nothing to import, never guessed', async () => {
    await expect(rowsFromMail([bytes('no-markup.eml')])).rejects.toThrow(
      /no schema.org order markup/,
    )
    await expect(rowsFromMail([bytes('no-markup.eml')])).rejects.toBeInstanceOf(RequestProblem)
  })
})

describe('mailboxes', () => {
  it('splits an mbox on From_ lines and undoes >From quoting, the same whatever the chunk size', async () => {
    const mbox = bytes('orders.mbox')
    for (const size of [7, 64, 4096, mbox.length]) {
      const messages: string[] = []
      for await (const m of mailMessages(chunked(mbox, size)))
        messages.push(Buffer.from(m).toString('latin1'))
      expect(messages).toHaveLength(5)
      expect(messages[0]).toMatch(/^From: Fjord Outdoor/)
      expect(messages[0]).toContain('\nFrom the shop: thank you.')
      expect(messages[0]).not.toContain('>From the shop')
    }
  })

  it('gives back exactly the messages an mbox was written from, whatever the chunking (property)', async () => {
    // Lines of printable bytes and high bytes; a body line may begin with "From " (quoted on writing).
    const line = fc.oneof(
      fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' ')),
      fc.constant('From the shop'),
      fc.constant('\u00e9\u0080\u00ff'),
    )
    const message = fc
      .array(line, { minLength: 1, maxLength: 6 })
      .map((lines) => `Subject: x\n\n${lines.join('\n')}\n`)
      .filter((m) => m.trim() !== '')
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 50 }),
        async (messages, size) => {
          const mbox = messages
            .map(
              (m) =>
                `From sender@example.test Sat Mar 14 09:23:02 2026\n${m.replace(/^(>*From )/gm, '>$1')}`,
            )
            .join('')
          const out: string[] = []
          for await (const m of mailMessages(
            chunked(new Uint8Array(Buffer.from(mbox, 'latin1')), size),
          ))
            out.push(Buffer.from(m).toString('latin1'))
          expect(out).toEqual(messages)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('lists every message: orders, and the others skipped with their reason', async () => {
    const progress: number[] = []
    const rows = await rowsFromMail(chunked(bytes('orders.mbox'), 512), (p) =>
      progress.push(p.messages),
    )
    expect(rows.map((r) => [r.where, r.skipped ?? r.order?.seller])).toEqual([
      ['message 1', 'Fjord Outdoor'],
      ['message 2', 'no order markup'],
      ['message 3', 'a delivery notice without a price (the order confirmation carries it)'],
      ['message 4', 'Moss & Fern Books'],
      ['message 5', 'Nordlys Books'],
    ])
    expect(progress).toEqual([1, 2, 3, 4, 5])
  })

  it('refuses an empty file and a mailbox with nothing importable', async () => {
    await expect(rowsFromMail([])).rejects.toThrow('The file holds no email message')
    const none = Buffer.concat([
      Buffer.from('From a@b Sat Mar 14 09:23:02 2026\n'),
      bytes('no-markup.eml'),
      Buffer.from('\nFrom a@b Sat Mar 14 09:23:03 2026\n'),
      bytes('no-markup.eml'),
    ])
    await expect(rowsFromMail([new Uint8Array(none)])).rejects.toThrow(
      'None of the 2 messages has schema.org order markup: there is nothing to import',
    )
  })

  it('reads a large mailbox with bounded memory', async () => {
    const one = Buffer.from(bytes('orders.mbox'))
    // About 50 MB of mail, generated as it is read: never held whole.
    const copies = Math.ceil((50 * 1024 * 1024) / one.length)
    function* big(): Generator<Uint8Array> {
      for (let i = 0; i < copies; i++) yield one
    }
    global.gc?.()
    const before = process.memoryUsage().heapUsed
    let count = 0
    let peak = 0
    for await (const _m of mailMessages(big())) {
      count++
      if (count % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before)
    }
    expect(count).toBe(copies * 5)
    expect(peak).toBeLessThan(40 * 1024 * 1024)
  }, 60_000)
})

describe('a large mailbox, mostly not orders', () => {
  it('imports an order that comes after more than 10,000 messages without markup (found by the 100 MB mailbox benchmark)', async () => {
    const order = new TextDecoder().decode(bytes('order-jsonld.eml'))
    const newsletter = (n: number) =>
      `From news@shop.example Sat Mar 14 10:00:00 2026\nFrom: Shop <news@shop.example>\nSubject: News ${n}\nContent-Type: text/html\n\n<p>News ${n}</p>\n\n`
    const parts = Array.from({ length: 10_050 }, (_, n) => newsletter(n))
    parts.push(`From orders@fjord.example Sat Mar 14 10:23:02 2026\n${order}\n`)
    const rows = await rowsFromMail([new TextEncoder().encode(parts.join(''))])
    const orders = rows.filter((r) => r.order)
    expect(orders.map((r) => [r.order?.orderNumber, r.where])).toEqual([
      ['FJ-2026-0042', 'message 10051'],
    ])
    // The messages without markup are listed up to the limit, the rest counted in one row.
    expect(rows.at(-1)).toMatchObject({
      skipped: expect.stringMatching(/^\d+ more messages without order markup$/),
    })
  }, 120_000)
})
