/**
 * Child process of the HTTP benchmark: serves either a bare hono hello-world (the baseline) or
 * the Custos consent API with a vault holding a 10-field grant, on a free loopback port, and
 * prints one JSON line `{ port, token? }`. Runs until killed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Kysely } from 'kysely'
import { createApp } from '@custos/consent-api'
import { createVault, openSqlite } from '@custos/vault'
import type { ApiTables } from '../../packages/consent-api/src/db/api-schema.js'
import { parseConfig } from '../../packages/consent-api/src/config.js'
import { TokenStore } from '../../packages/consent-api/src/store/token-store.js'
import { GRANTED_FIELDS, OTHER_FIELDS, PASSPHRASE } from './fixtures.js'

const mode = process.argv[2]
/** Group commits of the audit log and the entries they held, reported at exit when profiling. */
const commits = { count: 0, entries: 0 }
const ISSUER = 'http://127.0.0.1'

async function custos(): Promise<{
  fetch: (req: Request) => Response | Promise<Response>
  token: string
}> {
  const handle = openSqlite(join(mkdtempSync(join(tmpdir(), 'custos-http-bench-')), 'vault.db'))
  const vault = await createVault({
    database: handle,
    kdf: 'interactive',
    onEvent: (e) => {
      if (e.type !== 'audit.flushed') return
      commits.count += 1
      commits.entries += e.entries
    },
  })
  await vault.initialize(PASSPHRASE)
  await vault.fields.setMany({ ...GRANTED_FIELDS, ...OTHER_FIELDS })
  const app = await createApp({ vault, database: handle, config: { issuer: ISSUER } })
  const registered = await app.request('/oauth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Benchmark Shop',
      redirect_uris: ['https://shop.example/cb'],
    }),
  })
  const { client_id: clientId } = (await registered.json()) as { client_id: string }
  const grant = await vault.grants.create({
    vendorId: clientId,
    fields: Object.keys(GRANTED_FIELDS),
    actions: ['read'],
    purpose: 'Benchmark',
    durationSeconds: 86_400,
  })
  const tokens = new TokenStore({
    vault,
    db: handle.db as unknown as Kysely<ApiTables>,
    config: parseConfig({ issuer: ISSUER, accessTokenSeconds: 3600 }),
    now: () => new Date(),
  })
  const { accessToken } = await tokens.issue({ clientId, grantId: grant.id, dpopJkt: null })
  return { fetch: app.fetch, token: accessToken }
}

const target =
  mode === 'custos'
    ? await custos()
    : { fetch: new Hono().get('/', (c) => c.text('Hello Hono!')).fetch, token: undefined }
// For profiling the steady state only (`CUSTOS_BENCH_CPU_PROFILE=out.cpuprofile`): the profile
// starts after setup (key derivation, migrations, module loading) and is written at SIGTERM.
const profileFile = process.env.CUSTOS_BENCH_CPU_PROFILE
const profiler = profileFile ? new Session() : undefined
if (profiler) {
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}
const server = serve({ fetch: target.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port, token: target.token })}\n`)
})
process.on('SIGTERM', async () => {
  if (profiler && profileFile) {
    writeFileSync(profileFile, JSON.stringify((await profiler.post('Profiler.stop')).profile))
    process.stderr.write(`audit group commits: ${commits.count}, entries: ${commits.entries}\n`)
  }
  server.close(() => process.exit(0))
  // Keep-alive connections from the load generator may hold close() open.
  ;(server as Server).closeAllConnections()
})
