/**
 * The messages of a mail file, one at a time: a single message (`.eml`, RFC 5322) or a mailbox
 * (`.mbox`, RFC 4155 "application/mbox": each message starts on a line beginning `From `, and a
 * line of the body that would begin so is written `>From `, which is undone here — the mboxrd
 * convention). Read from chunks and yielded message by message, so a mailbox of any size is read
 * with memory bounded by its largest message ({@link MESSAGE_MAX_BYTES}), never held whole.
 *
 * Bytes are scanned as Latin-1 (one character per byte, every byte valid), so line boundaries are
 * found without decoding and each message's bytes come back exactly as they were.
 */
export const MESSAGE_MAX_BYTES = 25 * 1024 * 1024

/** Thrown for one message larger than {@link MESSAGE_MAX_BYTES}. */
export class MessageTooLargeError extends Error {
  readonly messageNumber: number
  constructor(n: number) {
    super(`Message ${n} is larger than ${MESSAGE_MAX_BYTES / 1024 / 1024} MB`)
    this.name = 'MessageTooLargeError'
    this.messageNumber = n
  }
}

// Node's `latin1` is ISO-8859-1, one character per byte both ways; the WHATWG decoder of that
// name is windows-1252, which maps 0x80–0x9F elsewhere and would not give the bytes back.
const latin1 = (chunk: Uint8Array) =>
  Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1')
const toBytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'))

/**
 * Splits chunks into messages. A file whose first line starts with `From ` is a mailbox; any
 * other is one message. Empty input yields nothing.
 *
 * @example
 * for await (const message of mailMessages(createReadStream('orders.mbox'))) …
 */
export async function* mailMessages(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let mbox: boolean | undefined
  let pending = ''
  let message: string[] = []
  let size = 0
  let count = 0
  const flush = function* (): Generator<Uint8Array> {
    const text = message.join('')
    message = []
    size = 0
    if (text.trim() === '') return
    count++
    yield toBytes(text)
  }
  const take = function* (line: string): Generator<Uint8Array> {
    if (mbox === undefined) mbox = line.startsWith('From ')
    if (mbox && line.startsWith('From ')) {
      yield* flush()
      return
    }
    const body = mbox && /^>+From /.test(line) ? line.slice(1) : line
    size += body.length
    if (size > MESSAGE_MAX_BYTES) throw new MessageTooLargeError(count + 1)
    message.push(body)
  }
  for await (const chunk of chunks) {
    pending += latin1(chunk)
    let at = pending.indexOf('\n')
    let start = 0
    while (at >= 0) {
      yield* take(pending.slice(start, at + 1))
      start = at + 1
      at = pending.indexOf('\n', start)
    }
    pending = pending.slice(start)
    if (pending.length > MESSAGE_MAX_BYTES) throw new MessageTooLargeError(count + 1)
  }
  if (pending !== '') yield* take(pending)
  yield* flush()
}
