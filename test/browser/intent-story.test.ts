/**
 * Issue 13, intents, in real Chromium against a real `custos serve`: the owner publishes an
 * intent on her Intents page; two vendors answer — Fjord Outdoor, the reference shop
 * (packages/consent-api/examples/vendor-shop), by its catalogue, and a scripted vendor through
 * `/v1/intents` — she compares the offers side by side, declines one and accepts the other (each
 * vendor is told: the shop by its pushed signal, the scripted vendor in its own view of the
 * intent), approves on her consent page the fields the intent said she would disclose, and finds
 * the thread her acceptance opened with the shop in Conversations, the shop's answer in it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Shop,
  createShopApp,
} from '../../packages/consent-api/examples/vendor-shop/shop-app.js'
import { type ServerProcess, initVault, startServer } from '../support/server-process.js'
import { launchChromium } from './support/chromium.js'
import { PageWatch } from './support/page-watch.js'
import { type TestVendor, startTestVendor } from './support/vendor-client.js'

const PASSPHRASE = 'correct horse battery staple vault'

let dir: string
let server: ServerProcess
let shopServer: Server
let shopUrl: string
let shop: Shop
let browser: Browser
let page: Page
let nordic: TestVendor
let nordicToken: string
const watch = new PageWatch()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-intent-story-'))
  const data = join(dir, 'data')
  mkdirSync(data)
  const { keyFile } = await initVault({ data }, PASSPHRASE)
  server = await startServer({ data, keyFile, kdf: 'interactive' })
  // The shop on its own loopback port: the vault pushes its signals there (http://127.0.0.1 only).
  let app: Shop['app'] | undefined
  shopServer = serve({
    fetch: (req) => (app ? app.fetch(req) : new Response('starting', { status: 503 })),
    hostname: '127.0.0.1',
    port: 0,
  }) as Server
  if (!shopServer.listening) await new Promise((r) => shopServer.once('listening', r))
  shopUrl = `http://127.0.0.1:${(shopServer.address() as AddressInfo).port}`
  shop = createShopApp({ baseUrl: shopUrl, defaultCustos: server.url })
  app = shop.app
  browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(20_000)
  page = await context.newPage()
  page.on('dialog', (d) => void d.accept())
  watch.watch(page)
}, 120_000)

afterAll(async () => {
  await nordic?.close()
  await browser?.close()
  await new Promise<void>((r) => {
    if (!shopServer) return r()
    shopServer.close(() => r())
    shopServer.closeAllConnections()
  })
  const code = await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
  if (server) expect(code).toBe(0)
}, 60_000)

async function clickAndLoad(
  target: ReturnType<Page['getByRole']>,
  url: Parameters<Page['waitForURL']>[0],
) {
  await Promise.all([page.waitForEvent('load'), target.click()])
  await page.waitForURL(url)
}

const main = async () => (await page.locator('main').textContent()) ?? ''

/** Reloads `url` until `text` is on the page: signals arrive by push, within a second or so. */
async function untilShown(url: string, text: string, ms = 10_000): Promise<string> {
  const end = Date.now() + ms
  for (;;) {
    await page.goto(url)
    const body = await main()
    if (body.includes(text)) return body
    if (Date.now() > end) throw new Error(`never shown on ${url}: ${text}; the page says ${body}`)
    await page.waitForTimeout(250)
  }
}

/** The scripted vendor's own view of the one intent it answered. */
async function nordicView(): Promise<{ id: string; offers: { id: string; state: string }[] }> {
  const read = await nordic.read(nordicToken, `/v1/intents/${nordicIntentId}`)
  expect(read.status).toBe(200)
  return read.body as { id: string; offers: { id: string; state: string }[] }
}
let nordicIntentId = ''

describe('an intent with two offers, in Chromium', { timeout: 180_000 }, () => {
  it('she fills her profile; two vendors ask to see her intents and she approves both', async () => {
    await page.goto(`${server.url}/profile`)
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE)
    await clickAndLoad(page.getByRole('button', { name: 'Sign in', exact: true }), '**/profile')
    await page.getByLabel('Given name', { exact: true }).fill('Ada')
    await clickAndLoad(
      page.getByRole('form', { name: 'Name', exact: true }).getByRole('button', { name: 'Save' }),
      /\/profile\?saved=1/,
    )
    await page.getByLabel('Email', { exact: true }).fill('ada@example.org')
    await page.getByLabel('Telephone', { exact: true }).fill('+47 55 12 34 56')
    await clickAndLoad(
      page
        .getByRole('form', { name: 'Contact', exact: true })
        .getByRole('button', { name: 'Save' }),
      /\/profile\?saved=1/,
    )

    await page.goto(shopUrl)
    await clickAndLoad(page.getByRole('button', { name: 'Connect my Custos' }), (url) =>
      url.href.startsWith(`${server.url}/oauth/authorize`),
    )
    expect(await page.locator('body').textContent()).toContain(
      'May see requests you publish and send you offers',
    )
    await clickAndLoad(page.getByRole('button', { name: 'Approve' }), `${shopUrl}/account`)

    nordic = await startTestVendor(server.url, 'Nordic Trails')
    const pending = await nordic.startAuthorization({
      scope: 'intents',
      purpose: 'Answer your requests with offers',
      durationSeconds: 86_400,
      actions: ['intents'],
    })
    const callback = nordic.nextCallback()
    await page.goto(pending.url.href)
    expect(await page.locator('body').textContent()).toContain('May see requests you publish')
    await Promise.all([callback, page.getByRole('button', { name: 'Approve' }).click()])
    nordicToken = (await nordic.exchange(pending, await callback)).access_token
  })

  it('she publishes an intent on the Intents page', async () => {
    await page.goto(`${server.url}/intents`)
    expect(await main()).toContain('You have no intents yet.')
    await page.getByLabel('What kind of thing').fill('Outdoor')
    await page.getByLabel('What you want, in your words').fill('A rain jacket for hiking')
    await page.getByLabel('Size').fill('M')
    await page.getByLabel('Budget').fill('200')
    await page.locator('input[name="disclose"][value="email"]').check()
    await page.locator('input[name="disclose"][value="telephone"]').check()
    await clickAndLoad(page.getByRole('button', { name: 'Publish' }), /\/intents/)
    expect(await main()).toContain('Intent published.')
  })

  it('the shop offers by its catalogue, the scripted vendor through /v1/intents; she compares them side by side', async () => {
    const made = await shop.shop.answerAllIntents()
    expect(made.map((o) => o.category)).toEqual(['Outdoor'])
    const [seen] = (
      (await nordic.read(nordicToken, '/v1/intents')).body as {
        items: { id: string; text: string; disclose: string[] }[]
      }
    ).items
    expect(seen?.text).toBe('A rain jacket for hiking')
    expect(seen?.disclose).toEqual(['email', 'telephone'])
    nordicIntentId = seen?.id ?? ''
    const offered = await nordic.write(nordicToken, `/v1/intents/${nordicIntentId}/offers`, {
      price: { amount: 165, currency: 'EUR' },
      included: 'Nordic shell jacket, pickup in store',
      validUntil: '2099-01-01T00:00:00Z',
    })
    expect(offered.status).toBe(201)

    await page.goto(`${server.url}/intents`)
    const compared = await main()
    expect(compared).toContain('Offers side by side, cheapest first')
    expect(compared.indexOf('Nordic shell jacket')).toBeGreaterThan(-1)
    expect(compared.indexOf('Nordic shell jacket')).toBeLessThan(
      compared.indexOf('Fjord rain jacket'),
    )
  })

  it('she declines one and accepts the other; each vendor is told', async () => {
    await clickAndLoad(
      page.getByRole('button', { name: 'Decline the offer of Nordic Trails' }),
      /\/intents\?done=declined/,
    )
    expect(await main()).toContain('Offer declined; the vendor was told.')
    expect((await nordicView()).offers.map((o) => o.state)).toEqual(['declined'])

    await clickAndLoad(
      page.getByRole('button', { name: 'Accept the offer of Fjord Outdoor' }),
      /\/intents\?done=accepted/,
    )
    expect(await main()).toContain('A conversation with the vendor about the order is open')
    // The shop hears of it by its pushed signal and asks for the field it lacks.
    const account = await untilShown(`${shopUrl}/account`, 'Approve them in my Custos')
    expect(account).toContain('(accepted)')
    expect(account).toContain('we need: telephone')
  })

  it('she approves the disclosed fields on her consent page; the shop holds them', async () => {
    await clickAndLoad(page.getByRole('button', { name: 'Approve them in my Custos' }), (url) =>
      url.href.startsWith(`${server.url}/oauth/authorize`),
    )
    expect(await page.locator('body').textContent()).toContain('Telephone')
    await clickAndLoad(page.getByRole('button', { name: 'Approve' }), `${shopUrl}/account`)
    const account = await main()
    expect(account).toContain('+47 55 12 34 56')
    expect(account).not.toContain('Approve them in my Custos')
  })

  it('she finds the thread with the shop in Conversations, its answer in it', async () => {
    await page.goto(`${server.url}/conversations`)
    await clickAndLoad(
      page.getByRole('link', { name: 'Your offer on Outdoor' }),
      /\/conversations\/thr_/,
    )
    const thread = await main()
    expect(thread).toContain('I accepted your offer (179 EUR)')
    expect(thread).toContain('Thank you for choosing Fjord Outdoor')
    expect(thread).toContain('signature verifies')
    expect(thread).not.toContain('does not verify')
  })

  it('no page logged a console error, threw, or broke its Content-Security-Policy', () => {
    expect(watch.problems).toEqual([])
  })
})
