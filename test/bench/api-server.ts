/**
 * Child process of the server benchmarks (token endpoint, consent page, memory and soak): serves
 * either a bare hono hello-world (the baseline) or the Custos consent API over a vault at the
 * DEFAULT KDF preset — as a real server runs — on a free loopback port, and prints one JSON line
 * `{ port }`. It runs alone in its process so that its resident set size can be read from outside.
 * Started with `--expose-gc` and an IPC channel, it answers the message `'gc'` with its memory
 * after two full collections ({@link HeapReport}): what is really retained, apart from heap V8
 * has grown and not yet handed back. Runs until SIGTERM.
 *
 * Usage: node --expose-gc --import tsx api-server.ts hello | custos <data dir>
 */
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createApp } from '@custos/consent-api'
import { createVault, openSqlite } from '@custos/vault'
import { BENCH_ISSUER, GRANTED_FIELDS, OTHER_FIELDS, PASSPHRASE } from './fixtures.js'
import { LOAD_TEST_LIMITS } from '../support/load-test-limits.js'

export interface HeapReport {
  readonly heapUsedBytes: number
  readonly rssBytes: number
}

async function custos(
  dir: string,
): Promise<{ fetch: (req: Request) => Response | Promise<Response>; close: () => Promise<void> }> {
  const database = openSqlite(join(dir, 'server.db'))
  const vault = await createVault({ database })
  await vault.initialize(PASSPHRASE)
  await vault.fields.setMany({ ...GRANTED_FIELDS, ...OTHER_FIELDS })
  const app = await createApp({
    vault,
    database,
    config: { issuer: BENCH_ISSUER, accessTokenSeconds: 3600, limits: LOAD_TEST_LIMITS },
  })
  return { fetch: app.fetch, close: () => vault.close() }
}

async function main(): Promise<void> {
  const [mode, dir] = process.argv.slice(2)
  if (mode !== 'hello' && !(mode === 'custos' && dir))
    throw new TypeError('usage: api-server.ts hello | custos <data dir>')
  const target =
    mode === 'custos'
      ? await custos(dir as string)
      : { fetch: new Hono().get('/', (c) => c.text('Hello Hono!')).fetch, close: async () => {} }
  const server = serve({ fetch: target.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
    process.stdout.write(`${JSON.stringify({ port: info.port })}\n`)
  })
  process.on('message', (message) => {
    if (message !== 'gc' || typeof gc !== 'function' || !process.send) return
    gc()
    gc()
    const { heapUsed, rss } = process.memoryUsage()
    process.send({ heapUsedBytes: heapUsed, rssBytes: rss } satisfies HeapReport)
  })
  process.once('SIGTERM', () => server.close(() => void target.close().then(() => process.exit(0))))
}

await main()
