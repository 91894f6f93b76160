/**
 * Reliability campaign, abuse (issue 5; SECURITY.md 8 and 22): against real `custos serve`
 * processes —
 * - unlock brute force: wrong passphrases sent alternately to two processes on one SQLite file
 *   are throttled from the fifth failure at both (one counter in the database, counted before
 *   Argon2 runs), and then even the right passphrase waits (the scale-out test does the same
 *   over PostgreSQL with owner sign-ins);
 * - oversized bodies (with and without Content-Length) get 413 before they are buffered, a header
 *   flood gets 431, and the server keeps serving with bounded memory;
 * - slow clients trickling headers do not starve anyone else, and every socket they held is given
 *   back once they go. A trickling client is cut off by the server on its own within about
 *   20 s (`custos serve` sets headersTimeout to 15 s).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { type Socket, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type ServerProcess, initVault, startServer } from '../support/server-process.js'

const PASSPHRASE = 'nobody guesses this in five tries'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function served(options: { unsealed: boolean; second?: boolean }): Promise<ServerProcess[]> {
  const data = mkdtempSync(join(tmpdir(), 'custos-abuse-'))
  cleanups.push(() => rmSync(data, { recursive: true, force: true }))
  const { keyFile } = await initVault({ data }, PASSPHRASE)
  const count = options.second ? 2 : 1
  // One after the other: two first starts at the same instant race on SQLite's migrations.
  const servers: ServerProcess[] = []
  for (let i = 0; i < count; i++) {
    const s = await startServer({ data, ...(options.unsealed ? { keyFile } : {}) })
    cleanups.push(async () => void (await s.kill()))
    servers.push(s)
  }
  return servers
}

const unlock = (base: string, passphrase: string) =>
  fetch(`${base}/owner/unlock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ passphrase }),
  })

/**
 * Starts a POST that claims (Content-Length) or streams (chunked) a body of `size` bytes, but
 * sends only its first `sent` bytes and then waits for the answer: a server that buffers before
 * deciding would wait forever; one that enforces the limit answers now.
 */
function post(
  url: string,
  path: string,
  size: number,
  headers: Record<string, string>,
  chunked: boolean,
): Promise<{ status: number; type: string; body: string }> {
  const sent = chunked ? 256 * 1024 : 1024
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      {
        method: 'POST',
        headers: {
          ...headers,
          ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(size) }),
        },
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            body: text,
          })
          req.destroy()
        })
      },
    )
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err),
    )
    req.on('close', () => resolve({ status: 0, type: '', body: 'closed without an answer' }))
    for (let i = 0; i < sent; i += 16 * 1024)
      req.write(Buffer.alloc(Math.min(16 * 1024, sent - i), 'a'))
  })
}

describe('abuse', () => {
  it('unlock brute force across two processes on one database is throttled at both', async () => {
    const [a, b] = (await served({ unsealed: false, second: true })) as [
      ServerProcess,
      ServerProcess,
    ]
    expect(await (await fetch(`${a.url}/owner/status`)).json()).toMatchObject({ state: 'sealed' })
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const res = await unlock(i % 2 === 0 ? a.url : b.url, `guess number ${i}`)
      statuses.push(res.status)
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      await res.body?.cancel()
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429])
    // The right passphrase waits too, at either process: the counter is the database's, not a process's.
    for (const s of [a, b]) expect((await unlock(s.url, PASSPHRASE)).status).toBe(429)
    expect(await (await fetch(`${b.url}/owner/status`)).json()).toMatchObject({ state: 'sealed' })
  })

  it('oversized bodies get 413 before being buffered, a header flood 431, and the server keeps serving', async () => {
    const [server] = (await served({ unsealed: true })) as [ServerProcess]
    const rssBefore = server.rss()
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const json = { 'content-type': 'application/json', authorization: 'Bearer not-a-token' }
    for (const chunked of [false, true]) {
      for (const [path, headers] of [
        ['/oauth/token', form],
        ['/oauth/register', { 'content-type': 'application/json' }],
        ['/v1/purchases', json],
        ['/owner/session', { 'content-type': 'application/json' }],
      ] as const) {
        const res = await post(server.url, path, 1024 * 1024, headers, chunked)
        expect(res.status, `${path} chunked=${chunked} ${res.body.slice(0, 100)}`).toBe(413)
        expect(res.type).toBe('application/problem+json')
      }
    }
    // The owner's import and restore allow more (16 / 512 MiB), and only with a session: without
    // one, a huge upload is refused before its body is read.
    for (const path of ['/owner/import', '/owner/restore']) {
      const big = await post(
        server.url,
        path,
        600 * 1024 * 1024,
        { 'content-type': 'application/octet-stream' },
        false,
      )
      expect([401, 403, 413], `${path} ${big.body.slice(0, 100)}`).toContain(big.status)
    }
    // 64 KiB of headers: Node refuses at the parser (431), before any Custos code runs.
    const flood = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL('/healthz', server.url),
        { headers: { 'x-flood': 'f'.repeat(64 * 1024) } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(flood).toBe(431)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    // Nothing above was buffered: RSS stayed within a few MiB of where it was.
    expect(server.rss() - rssBefore).toBeLessThan(32 * 1024 * 1024)
  })

  it('200 clients trickling headers starve nobody, and their sockets are given back', async () => {
    const [server] = (await served({ unsealed: true })) as [ServerProcess]
    const fdsBefore = server.fdCount()
    const tricklers: Socket[] = []
    cleanups.push(() => {
      for (const s of tricklers) s.destroy()
    })
    await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<void>((resolve, reject) => {
            const s = connect(server.port, '127.0.0.1', () => {
              s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
              resolve()
            })
            s.on('error', () => undefined)
            s.once('error', reject)
            // Read what the server sends (its 408), or a socket it closed would never report 'close'.
            s.resume()
            tricklers.push(s)
          }),
      ),
    )
    const drip = setInterval(() => {
      for (const s of tricklers) if (s.writable) s.write('x')
    }, 250)
    cleanups.push(() => clearInterval(drip))
    // Meanwhile honest clients are served: every one of 100 requests answers.
    const honest = await Promise.all(
      Array.from({ length: 100 }, () => fetch(`${server.url}/readyz`).then((r) => r.status)),
    )
    expect(honest).toEqual(Array(100).fill(200))
    expect(server.fdCount()).toBeGreaterThanOrEqual(fdsBefore + 200)

    // Left alone, the server cuts every trickler off by itself (`custos serve` sets headersTimeout
    // to 15 s, checked every 5 s): all 200 sockets close without the clients doing anything.
    await Promise.all(
      tricklers.map((s) =>
        s.closed ? undefined : new Promise((resolve) => s.once('close', resolve)),
      ),
    )
    clearInterval(drip)
    for (const s of tricklers) s.destroy()
    // Every socket they held is given back.
    let fds = server.fdCount()
    for (let i = 0; i < 40 && fds > fdsBefore + 2; i++) {
      await new Promise((r) => setTimeout(r, 250))
      fds = server.fdCount()
    }
    expect(fds).toBeLessThanOrEqual(fdsBefore + 2)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
  }, 90_000)
})
