/**
 * A minimal load balancer for the scale-out tests: one loopback port that hands each request to
 * the next backend in turn (round robin, no stickiness — the hardest case for shared state) and
 * tags the response with `x-backend: <index>` so a test can see who answered. Like any load
 * balancer in front of Custos, it is the public URL (the issuer) the processes are configured with.
 */
import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
  request,
} from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RoundRobin {
  readonly url: string
  /** How many requests each backend received. */
  readonly served: number[]
  close(): Promise<void>
}

/** Listens on `port` (0: any free port) and spreads requests over `backends` (base URLs). */
export async function roundRobin(backends: readonly string[], port = 0): Promise<RoundRobin> {
  const served = backends.map(() => 0)
  let next = 0
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const index = next++ % backends.length
    served[index] = (served[index] ?? 0) + 1
    const target = new URL(req.url ?? '/', backends[index])
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-backend': String(index) })
      answer.pipe(res)
    })
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end()
      else res.destroy()
    })
    req.pipe(upstream)
  }
  const server: Server = createServer(forward)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
