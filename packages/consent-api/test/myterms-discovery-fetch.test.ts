/**
 * Issue 12, part 1 (IEEE 7012: the vendor publishes which agreements it accepts): fetching a
 * vendor's own MyTerms document at its `myterms_uri` is bounded like every call to a stranger —
 * one timeout, no redirect followed, a size limit, strict JSON and shape — and fails with a
 * stable code whose words never repeat what the server sent. Unknown roster ids are ignored.
 */
import { type Socket, createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  MAX_DOCUMENT_BYTES,
  VendorTermsError,
  type VendorTermsErrorCode,
  acceptedIn,
  fetchVendorTermsDocument,
} from '../src/terms/vendor-terms-document.js'
import {
  closeVendorTermsServers,
  json,
  termsDoc,
  vendorTermsServer,
} from './support/vendor-terms-server.js'

afterEach(closeVendorTermsServers)

async function failsWith(promise: Promise<unknown>, code: VendorTermsErrorCode): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(VendorTermsError)
  expect((err as VendorTermsError).code).toBe(code)
  return (err as VendorTermsError).message
}

describe('a vendor’s MyTerms document', () => {
  it('reads the tinyMyTerms shape; unknown members and unknown roster ids are ignored', async () => {
    const server = await vendorTermsServer(
      json({
        ...termsDoc(['SD-BASE-ATP', 'PDC-GOOD', 'SD-BASE', 'PDC-GOOD']),
        tos: '<h1>Our terms</h1>',
      }),
    )
    const doc = await fetchVendorTermsDocument(server.url())
    expect(doc.effective_date).toBe('Tue, 01 Dec 2026 00:00:00 GMT')
    expect(acceptedIn(doc)).toEqual(['PDC-GOOD', 'SD-BASE'])
    expect(server.hits).toEqual(['/.well-known/myterms'])
  })

  it('accepts a document naming no agreement this vault knows: it accepts none of them', async () => {
    const server = await vendorTermsServer(json(termsDoc(['XX-FUTURE-1'])))
    expect(acceptedIn(await fetchVendorTermsDocument(server.url()))).toEqual([])
  })

  it('refuses a redirect without following it', async () => {
    const target = await vendorTermsServer(json(termsDoc(['SD-BASE'])))
    const server = await vendorTermsServer((_req, res) => {
      res.writeHead(302, { location: target.url() })
      res.end()
    })
    await failsWith(fetchVendorTermsDocument(server.url()), 'ERR_MYTERMS_REDIRECT')
    expect(target.hits).toEqual([])
  })

  it('refuses a status other than 200, and a server that is not there', async () => {
    const server = await vendorTermsServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify(termsDoc(['SD-BASE'])))
    })
    await failsWith(fetchVendorTermsDocument(server.url()), 'ERR_MYTERMS_UNREACHABLE')
    const url = server.url()
    await server.close()
    await failsWith(fetchVendorTermsDocument(url), 'ERR_MYTERMS_UNREACHABLE')
  })

  it('gives up on a server that does not answer, or stalls in the body, at the timeout', async () => {
    const silent = await vendorTermsServer(() => {
      // Never answers.
    })
    await failsWith(
      fetchVendorTermsDocument(silent.url(), { timeoutMs: 150 }),
      'ERR_MYTERMS_UNREACHABLE',
    )
    const stalls = await vendorTermsServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"agreements": [')
    })
    await failsWith(
      fetchVendorTermsDocument(stalls.url(), { timeoutMs: 150 }),
      'ERR_MYTERMS_UNREACHABLE',
    )
  })

  it('refuses a body over the limit, by its declared length or as it streams', async () => {
    const big = JSON.stringify({ ...termsDoc(['SD-BASE']), tos: 'x'.repeat(MAX_DOCUMENT_BYTES) })
    const declared = await vendorTermsServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': big.length })
      res.end(big)
    })
    await failsWith(fetchVendorTermsDocument(declared.url()), 'ERR_MYTERMS_TOO_LARGE')
    const streamed = await vendorTermsServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }) // chunked: no length declared
      for (let at = 0; at < big.length; at += 16 * 1024) res.write(big.slice(at, at + 16 * 1024))
      res.end()
    })
    await failsWith(fetchVendorTermsDocument(streamed.url()), 'ERR_MYTERMS_TOO_LARGE')
    // Just under the limit is read.
    const fits = JSON.stringify({ ...termsDoc(['SD-BASE']), tos: 'x'.repeat(200 * 1024) })
    const ok = await vendorTermsServer((_req, res) => res.end(fits))
    expect(acceptedIn(await fetchVendorTermsDocument(ok.url()))).toEqual(['SD-BASE'])
  })

  it('refuses invalid JSON, invalid UTF-8 and the wrong shape, never repeating what was sent', async () => {
    const bodies: (string | Uint8Array)[] = [
      '{"agreements": [{"id": "SD-BASE"',
      'SECRET-CANARY not json',
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      JSON.stringify({ agreements: 'SD-BASE' }),
      JSON.stringify({ agreements: [{ url: 'https://myterms.info/agreements/SD-BASE' }] }),
      JSON.stringify({ effective_date: 'SECRET-CANARY' }),
      JSON.stringify(['SD-BASE']),
      '',
    ]
    for (const body of bodies) {
      const server = await vendorTermsServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(body)
      })
      const message = await failsWith(
        fetchVendorTermsDocument(server.url()),
        'ERR_MYTERMS_MALFORMED',
      )
      expect(message).not.toContain('SECRET-CANARY')
    }
  })

  it('treats a socket that hangs up mid-body as unreachable', async () => {
    const sockets: Socket[] = []
    const server = createServer((socket) => {
      sockets.push(socket)
      socket.end(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"agree',
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    try {
      await failsWith(
        fetchVendorTermsDocument(`http://127.0.0.1:${port}/myterms.json`),
        'ERR_MYTERMS_UNREACHABLE',
      )
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
