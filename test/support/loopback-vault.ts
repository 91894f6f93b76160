/**
 * Test support for vendor examples: a vault on a SQLite file with a profile, the consent API
 * served on a free loopback port (its issuer the real `http://127.0.0.1:PORT`), and the owner in
 * a browser who signs in and approves whatever the consent page offers — the real pages, as in
 * test/oauth-story.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import { createApp } from '@custos/consent-api'
import { type Vault, createVault, openSqlite } from '@custos/vault'
import { OwnerBrowser, parseForms, submitters } from './owner-browser.js'

export const LOOPBACK_PASSPHRASE = 'a vault of my own, thank you'

export interface LoopbackVault {
  readonly vault: Vault
  readonly issuer: string
  /** The owner opens `url`, signs in and approves everything offered; resolves to the vendor's callback URL. */
  approve(url: URL): Promise<URL>
  close(): Promise<void>
}

export async function startLoopbackVault(fields: Record<string, string>): Promise<LoopbackVault> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-loopback-'))
  const database = openSqlite(join(dir, 'vault.db'))
  const vault = await createVault({ database, kdf: 'interactive' })
  await vault.initialize(LOOPBACK_PASSPHRASE)
  await vault.fields.setMany(fields)
  // Listen first (port 0: no race for a port), then build the app with the real base URL as issuer.
  let app: Hono | undefined
  const server = serve({
    fetch: (req, env) => (app ? app.fetch(req, env) : new Response('starting', { status: 503 })),
    hostname: '127.0.0.1',
    port: 0,
  }) as Server
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  app = await createApp({ vault, database, config: { issuer } })
  const browser = new OwnerBrowser(issuer)

  async function approve(url: URL): Promise<URL> {
    let step = await browser.navigate(url)
    for (let pages = 0; pages < 4; pages++) {
      if (step.kind === 'left') return step.location
      if (step.status !== 200) throw new Error(`the owner's browser got ${step.status}`)
      const forms = parseForms(step.html)
      const login = forms.find((f) => f.controls.some((c) => c.type === 'password'))
      const consent = forms.find((f) => f.controls.some((c) => c.type === 'checkbox'))
      const form = login ?? consent
      if (!form) throw new Error('neither a sign-in nor a consent form on the page')
      for (const c of form.controls) if (c.type === 'password') c.value = LOOPBACK_PASSPHRASE
      const button = login
        ? submitters(form)[0]
        : submitters(form).find((b) => /approve/i.test(`${b.name} ${b.value} ${b.label}`))
      step = await browser.submit(step.url, form, button)
    }
    if (step.kind === 'left') return step.location
    throw new Error('the consent page never sent the owner back to the vendor')
  }

  return {
    vault,
    issuer,
    approve,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await vault.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
