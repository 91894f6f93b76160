/**
 * Test support for a vendor's own MyTerms document (terms/vendor-terms-document.ts): a real HTTP
 * server on the loopback address — the one place `myterms_uri` may be plain http — whose answer
 * the test sets, counting the requests it gets. Real sockets, so redirects, declared and streamed
 * sizes and timeouts are what the platform's fetch really sees.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Answer = (req: IncomingMessage, res: ServerResponse) => void

/** Serves `doc` as JSON. */
export const json =
  (doc: unknown): Answer =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(doc))
  }

/** A tinyMyTerms document accepting `ids`. */
export const termsDoc = (ids: readonly string[]) => ({
  effective_date: 'Tue, 01 Dec 2026 00:00:00 GMT',
  agreements: ids.map((id) => ({ id, url: `https://myterms.info/agreements/${id}` })),
  tos_url: 'https://fjord.example/terms',
})

export interface VendorTermsServer {
  /** `http://127.0.0.1:<port><path>`. */
  url(path?: string): string
  /** What the server answers from now on. */
  answer(answer: Answer): void
  /** Requests received, by path. */
  readonly hits: string[]
  close(): Promise<void>
}

let live: VendorTermsServer[] = []

export async function closeVendorTermsServers(): Promise<void> {
  const all = live
  live = []
  await Promise.all(all.map((s) => s.close()))
}

export async function vendorTermsServer(first: Answer): Promise<VendorTermsServer> {
  let current = first
  const hits: string[] = []
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '')
    current(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const handle: VendorTermsServer = {
    url: (path = '/.well-known/myterms') => `http://127.0.0.1:${port}${path}`,
    answer(answer) {
      current = answer
    },
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  live.push(handle)
  return handle
}
