/**
 * A vendor's RFC 8935 push receiver on a loopback port, scripted by the signal crash test: it keeps
 * every SET that reaches it and answers as told — `refuse` (503, the vendor is down), `hold` (reads
 * the request and keeps the response open, so the sender can be killed before it hears back) or
 * `accept` (202, RFC 8935 §2.2's acknowledgement).
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export type ReceiverMode = 'refuse' | 'hold' | 'accept'

/** One POST as it arrived, and what the receiver answered (`held`: nothing, yet). */
export interface ReceivedCopy {
  readonly contentType: string | undefined
  readonly body: string
  readonly answer: 503 | 202 | 'held'
}

export interface EventsReceiver {
  readonly url: string
  mode: ReceiverMode
  readonly copies: readonly ReceivedCopy[]
  /**
   * Answers the held requests with a 202 — after their sender was killed, so the acknowledgement
   * reaches nobody: the vendor took the SET, the vault never learned it.
   */
  releaseHeld(): void
  close(): Promise<void>
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

export async function startEventsReceiver(mode: ReceiverMode): Promise<EventsReceiver> {
  const copies: ReceivedCopy[] = []
  const held: ServerResponse[] = []
  const receiver = {
    url: '',
    mode,
    copies,
    releaseHeld() {
      for (const res of held.splice(0)) {
        res.statusCode = 202
        res.end()
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server = createServer(async (req, res) => {
    // A write to a sender that was killed fails; that is the point, not an error of the test.
    res.on('error', () => undefined)
    const body = await readBody(req).catch(() => '')
    const contentType = req.headers['content-type']
    if (receiver.mode === 'hold') {
      copies.push({ contentType, body, answer: 'held' })
      held.push(res)
      return
    }
    const answer = receiver.mode === 'accept' ? 202 : 503
    copies.push({ contentType, body, answer })
    res.statusCode = answer
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`
  return receiver
}
