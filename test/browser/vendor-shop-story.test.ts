/**
 * Issue 12, part 6, in real Chromium: a customer meets Fjord Outdoor, the reference vendor
 * (packages/consent-api/examples/vendor-shop), with her own `custos serve`. She connects her Custos
 * from the shop, approves on the real consent page (the DPV purposes and the MyTerms agreement
 * shown), and the shop shows her record; she changes her email in the vault and the shop — told by
 * a pushed Security Event Token (RFC 8935) — shows the new one; she asks the shop to erase from
 * Connections and sees the shop's signed acknowledgement.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createShopApp } from '../../packages/consent-api/examples/vendor-shop/shop-app.js'
import { type ServerProcess, initVault, startServer } from '../support/server-process.js'
import { launchChromium } from './support/chromium.js'
import { PageWatch } from './support/page-watch.js'

const PASSPHRASE = 'correct horse battery staple vault'

let dir: string
let server: ServerProcess
let shopServer: Server
let shopUrl: string
let browser: Browser
let page: Page
const watch = new PageWatch()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-shop-story-'))
  const data = join(dir, 'data')
  mkdirSync(data)
  const { keyFile } = await initVault({ data }, PASSPHRASE)
  server = await startServer({ data, keyFile, kdf: 'interactive' })
  // The shop on its own loopback port: the vault pushes its signals there (http://127.0.0.1 only).
  let app: ReturnType<typeof createShopApp>['app'] | undefined
  shopServer = serve({
    fetch: (req) => (app ? app.fetch(req) : new Response('starting', { status: 503 })),
    hostname: '127.0.0.1',
    port: 0,
  }) as Server
  if (!shopServer.listening) await new Promise((r) => shopServer.once('listening', r))
  shopUrl = `http://127.0.0.1:${(shopServer.address() as AddressInfo).port}`
  app = createShopApp({ baseUrl: shopUrl, defaultCustos: server.url }).app
  browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(20_000)
  page = await context.newPage()
  page.on('dialog', (d) => void d.accept())
  watch.watch(page)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((r) => {
    if (!shopServer) return r()
    shopServer.close(() => r())
    shopServer.closeAllConnections()
  })
  const code = await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
  // A clean stop: the audit log flushed, exit 0.
  if (server) expect(code).toBe(0)
}, 60_000)

/** Clicks and waits for the document it leads to. */
async function clickAndLoad(
  target: ReturnType<Page['getByRole']>,
  url: Parameters<Page['waitForURL']>[0],
) {
  await Promise.all([page.waitForEvent('load'), target.click()])
  await page.waitForURL(url)
}

/** Reloads `url` until `text` is on the page: signals arrive by push, within a second or so. */
async function untilShown(url: string, text: string | RegExp, ms = 10_000): Promise<string> {
  const end = Date.now() + ms
  for (;;) {
    await page.goto(url)
    const body = (await page.locator('main').textContent()) ?? ''
    if (typeof text === 'string' ? body.includes(text) : text.test(body)) return body
    if (Date.now() > end) throw new Error(`never shown on ${url}: ${text}; the page says ${body}`)
    await page.waitForTimeout(250)
  }
}

async function saveSection(name: string) {
  await clickAndLoad(
    page
      .getByRole('form', { name, exact: true })
      .getByRole('button', { name: 'Save', exact: true }),
    /\/profile\?saved=1/,
  )
}

describe('a customer of Fjord Outdoor, in Chromium, with her own Custos', {
  timeout: 180_000,
}, () => {
  it('signs in to her vault, fills her name and email, and proffers her terms', async () => {
    await page.goto(`${server.url}/profile`)
    expect(new URL(page.url()).pathname).toBe('/signin')
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE)
    await clickAndLoad(page.getByRole('button', { name: 'Sign in', exact: true }), '**/profile')
    await page.getByLabel('Given name', { exact: true }).fill('Ada')
    await saveSection('Name')
    await page.getByLabel('Email', { exact: true }).fill('ada@example.org')
    await saveSection('Contact')

    await page.goto(`${server.url}/settings`)
    await page.locator('select[name="rank.SD-BASE"]').selectOption('1')
    await clickAndLoad(
      page.locator('form[action="/settings/terms"]').getByRole('button', { name: 'Save' }),
      /\/settings/,
    )
    expect(await page.locator('select[name="rank.SD-BASE"]').inputValue()).toBe('1')
  })

  it('connects her Custos from the shop, approves on the consent page, and the shop shows her record', async () => {
    await page.goto(shopUrl)
    await clickAndLoad(page.getByRole('button', { name: 'Connect my Custos' }), (url) =>
      url.href.startsWith(`${server.url}/oauth/authorize`),
    )
    const consent = (await page.locator('body').textContent()) ?? ''
    expect(consent).toContain('Fjord Outdoor')
    // The DPV purposes in words, and the agreement the shop accepted.
    expect(consent).toContain('to handle your orders')
    expect(consent).toContain('to deliver what you ordered')
    expect(consent).toContain('Service delivery only')
    await clickAndLoad(page.getByRole('button', { name: 'Approve' }), `${shopUrl}/account`)
    const record = (await page.locator('main').textContent()) ?? ''
    expect(record).toContain('Ada')
    expect(record).toContain('ada@example.org')
    expect(record).toContain('SD-BASE')
    expect(record).toContain('https://w3id.org/dpv#DeliveryOfGoods')
    expect(await page.locator('#fields tbody tr').count()).toBe(2)
  })

  it('changes her email in the vault, and the shop shows the new one', async () => {
    await page.goto(`${server.url}/profile`)
    await page.getByLabel('Email', { exact: true }).fill('ada@fjord-mail.example')
    await saveSection('Contact')
    const record = await untilShown(`${shopUrl}/account`, 'ada@fjord-mail.example')
    expect(record).not.toContain('ada@example.org')
  })

  it('asks the shop to erase from Connections, and sees it acknowledged; the shop holds nothing', async () => {
    await page.goto(`${server.url}/connections`)
    await clickAndLoad(
      page.getByRole('button', { name: 'Ask Fjord Outdoor to erase my data' }),
      /\/connections/,
    )
    await untilShown(`${server.url}/connections`, /acknowledged/)
    await untilShown(`${shopUrl}/account`, 'holds nothing about you')
  })

  it('no page logged a console error, threw, or broke its Content-Security-Policy', () => {
    expect(watch.problems).toEqual([])
  })
})
