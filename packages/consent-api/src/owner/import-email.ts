import PostalMime from 'postal-mime'
import { MESSAGE_MAX_BYTES, MessageTooLargeError, mailMessages } from './mail-messages.js'
import { ordersInHtml } from './order-markup.js'
import { IMPORT_MAX_ROWS, type ImportRow, checkRow, problem } from './purchase-import.js'

/**
 * Order-confirmation emails: `.eml` files and `.mbox` mailboxes (mail-messages.ts), each message
 * parsed with postal-mime and its HTML part read for schema.org order markup (order-markup.ts).
 * Each order the markup states becomes a row; a message without markup is listed as skipped
 * ("no order markup") — its visible text is never guessed at. An order without a date takes the
 * message's `Date:` (the confirmation is sent when the order is placed); nothing else is filled in.
 */
export const EMAIL_SOURCE = 'order confirmation email'

/** Most messages read from one mailbox. */
export const MAILBOX_MAX_MESSAGES = 100_000

export interface MailProgress {
  /** Messages read so far. */
  readonly messages: number
  /** Bytes of input read so far. */
  readonly bytes: number
}

async function* counted(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  seen: { bytes: number },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    seen.bytes += chunk.byteLength
    yield chunk
  }
}

/**
 * The orders of a mail file, in message order. Throws a 400 problem for a file that holds no
 * message, a message too large, or a mailbox in which no message has order markup.
 *
 * @example
 * await rowsFromMail(createReadStream('Orders.mbox'), (p) => process.stderr.write(`${p.messages}\r`))
 */
export async function rowsFromMail(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  onProgress?: (progress: MailProgress) => void,
): Promise<ImportRow[]> {
  const rows: ImportRow[] = []
  const seen = { bytes: 0 }
  let n = 0
  // Skipped messages past this many are counted, not listed: a large mailbox is mostly not orders.
  let unlisted = 0
  // Orders are counted apart from the listed skipped messages: a mailbox of 12,000 newsletters
  // and 1,300 confirmations holds far fewer than the limit's orders, wherever they fall in it.
  let orderRows = 0
  try {
    for await (const raw of mailMessages(counted(chunks, seen))) {
      n++
      if (n > MAILBOX_MAX_MESSAGES)
        throw problem(`The mailbox has more than ${MAILBOX_MAX_MESSAGES} messages: split it`)
      const where = `message ${n}`
      let email: Awaited<ReturnType<typeof PostalMime.parse>>
      try {
        email = await PostalMime.parse(raw, { maxNestingDepth: 50 })
      } catch {
        rows.push({ index: rows.length, where, skipped: 'not a readable email message' })
        continue
      }
      const orders = email.html ? ordersInHtml(email.html) : []
      if (orders.length === 0) {
        if (rows.length < IMPORT_MAX_ROWS)
          rows.push({ index: rows.length, where, skipped: 'no order markup' })
        else unlisted++
      }
      for (const o of orders) {
        if (o.from === 'ParcelDelivery' && o.total === undefined) {
          rows.push({
            index: rows.length,
            where,
            skipped: 'a delivery notice without a price (the order confirmation carries it)',
          })
          continue
        }
        const sent = email.date && !Number.isNaN(Date.parse(email.date)) ? email.date : undefined
        const orderDate = o.orderDate ?? (sent ? new Date(sent).toISOString() : undefined)
        const candidate = {
          ...(o.seller !== undefined ? { seller: o.seller.slice(0, 200) } : {}),
          ...(orderDate !== undefined ? { orderDate } : {}),
          ...(o.orderNumber !== undefined ? { orderNumber: o.orderNumber.slice(0, 100) } : {}),
          ...(o.currency !== undefined ? { currency: o.currency } : {}),
          ...(o.total !== undefined ? { total: o.total } : {}),
          items: o.items.slice(0, 500),
          notes: `Imported from an ${EMAIL_SOURCE}`,
        }
        if (++orderRows > IMPORT_MAX_ROWS)
          throw problem(`The mailbox holds more than ${IMPORT_MAX_ROWS} orders: split it`)
        rows.push({ ...checkRow(rows.length, candidate), where })
      }
      onProgress?.({ messages: n, bytes: seen.bytes })
    }
  } catch (err) {
    if (err instanceof MessageTooLargeError)
      throw problem(
        `Message ${err.messageNumber} is larger than ${MESSAGE_MAX_BYTES / 1024 / 1024} MB: this is not a mailbox of order confirmations`,
      )
    throw err
  }
  if (n === 0) throw problem('The file holds no email message')
  if (!rows.some((r) => r.order || r.issues))
    throw problem(
      n === 1
        ? 'The message has no schema.org order markup: there is nothing to import'
        : `None of the ${n} messages has schema.org order markup: there is nothing to import`,
    )
  if (unlisted > 0)
    rows.push({
      index: rows.length,
      where: 'further messages',
      skipped: `${unlisted} more messages without order markup`,
    })
  return rows
}
