/**
 * A generated mailbox for the mailbox-import benchmark: mostly newsletters (an HTML body padded
 * to a few kilobytes) and, one message in ten, an order confirmation with schema.org `Order`
 * JSON-LD, as shops send them. Written as it is made, so making 100 MB holds no 100 MB.
 * Sellers, numbers and addresses are invented (`.example`).
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'

const PADDING = `<p>${'Seasonal picks, new arrivals and the things you looked at. '.repeat(120)}</p>`

function message(n: number): string {
  const date = new Date(Date.UTC(2026, 0, 1) + (n % 360) * 86_400_000)
  const head = `From shop${n % 7}@shop.example ${date.toUTCString().replace(',', '')}\nFrom: Shop ${n % 7} <news@shop${n % 7}.example>\nTo: owner@example.test\nSubject: Message ${n}\nDate: ${date.toUTCString()}\nMessage-ID: <${n}@shop.example>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n`
  if (n % 10 !== 0) return `${head}<html><body>${PADDING}</body></html>\n\n`
  const order = {
    '@context': 'https://schema.org',
    '@type': 'Order',
    merchant: { '@type': 'Organization', name: `Shop ${n % 7}` },
    orderNumber: `B-${n}`,
    orderDate: date.toISOString(),
    priceCurrency: 'EUR',
    price: ((n % 97) + 3.5).toFixed(2),
  }
  return `${head}<html><head><script type="application/ld+json">${JSON.stringify(order)}</script></head><body>${PADDING}</body></html>\n\n`
}

/** Writes an mbox of at least `bytes` to `file`; resolves to its message and order counts. */
export async function writeMailbox(
  file: string,
  bytes: number,
): Promise<{ readonly messages: number; readonly orders: number; readonly bytes: number }> {
  const out = createWriteStream(file)
  let written = 0
  let n = 0
  while (written < bytes) {
    const text = message(n++)
    written += Buffer.byteLength(text)
    if (!out.write(text)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return { messages: n, orders: Math.ceil(n / 10), bytes: written }
}
