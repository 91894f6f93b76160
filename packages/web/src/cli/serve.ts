/**
 * `pnpm start`: serves the consent API for a vault in a local data folder — the first of the
 * README's two commands. The only place that reads the environment (STYLE.md); issue 4 grows it
 * into the full `custos` command and the owner's web app.
 *
 * Settings (environment): CUSTOS_DATA (default ./data), CUSTOS_HOST (127.0.0.1), CUSTOS_PORT
 * (7300), CUSTOS_PUBLIC_URL (default http://HOST:PORT), CUSTOS_PASSPHRASE (unseal at start; on
 * first start, create the vault with it). Without a passphrase on first start, one is generated
 * and kept in DATA/initial-passphrase (0600) so a newcomer can try it at once — change it
 * (`POST /owner/passphrase`) and delete that file.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { z } from 'zod'
import { createApp } from '@custos/consent-api'
import { createVault, openSqlite } from '@custos/vault'

const Settings = z.object({
  data: z.string().min(1).default('data'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(1).max(65535).default(7300),
  publicUrl: z.url().optional(),
  passphrase: z.string().min(1).optional(),
})

const parsed = Settings.safeParse({
  data: process.env.CUSTOS_DATA,
  host: process.env.CUSTOS_HOST,
  port: process.env.CUSTOS_PORT,
  publicUrl: process.env.CUSTOS_PUBLIC_URL,
  passphrase: process.env.CUSTOS_PASSPHRASE,
})
if (!parsed.success) {
  process.stderr.write(`custos: invalid setting ${parsed.error.issues.map((i) => `CUSTOS_${String(i.path[0]).replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}: ${i.message}`).join('; ')}\n`)
  process.exit(2)
}
const settings = parsed.data
const log = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`)

const dataDir = resolve(settings.data)
mkdirSync(dataDir, { recursive: true, mode: 0o700 })
const database = openSqlite(join(dataDir, 'custos.db'))
const vault = await createVault({ database, onEvent: (event) => log({ event: event.type }) })
const initialFile = join(dataDir, 'initial-passphrase')
let passphrase = settings.passphrase ?? (existsSync(initialFile) ? readFileSync(initialFile, 'utf8').trim() : undefined)

const status = await vault.status()
if (status.state === 'uninitialized') {
  if (!passphrase) {
    passphrase = randomBytes(18).toString('base64url')
    writeFileSync(initialFile, `${passphrase}\n`, { mode: 0o600 })
    log({ msg: `created a passphrase in ${initialFile}: change it and delete the file` })
  }
  const { recoveryKey, vaultId } = await vault.initialize(passphrase)
  process.stdout.write(`\nVault ${vaultId} created. Recovery key — shown once, write it down:\n  ${recoveryKey}\n\n`)
} else if (passphrase) {
  await vault.unlock(passphrase)
} else {
  log({ msg: 'vault sealed: POST /owner/unlock with the passphrase to unseal' })
}

const issuer = settings.publicUrl ?? `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}`
const app = await createApp({ vault, database, config: { issuer } })
const server = serve({ fetch: app.fetch, hostname: settings.host, port: settings.port }, (info) => {
  log({ msg: `Custos listening on ${issuer}`, port: info.port, docs: `${issuer}/docs` })
})

const shutdown = (signal: string) => {
  log({ msg: 'shutting down', signal })
  server.close(() => {
    void vault.close().then(() => process.exit(0))
  })
}
process.once('SIGINT', () => shutdown('SIGINT'))
process.once('SIGTERM', () => shutdown('SIGTERM'))
