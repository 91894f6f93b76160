/**
 * Issue 13, Conversations, in real Chromium against a real `custos serve`: a vendor — an ordinary
 * OAuth client library — asks to converse and the consent page says so in plain words; the owner
 * starts a thread from her Conversations page; the vendor reads it and replies through
 * `/v1/conversations`; the owner sees the reply unread, who sent it and that its signature
 * verifies; she downloads the thread and `custos verify-thread` verifies the file offline — and
 * refuses it once a word is changed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, initVault, runCustos, startServer } from '../support/server-process.js'
import { launchChromium } from './support/chromium.js'
import { PageWatch } from './support/page-watch.js'
import { type TestVendor, startTestVendor } from './support/vendor-client.js'

const PASSPHRASE = 'correct horse battery staple vault'

let dir: string
let server: ServerProcess
let browser: Browser
let page: Page
let vendor: TestVendor
let accessToken: string
let threadId: string
const watch = new PageWatch()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-conversation-story-'))
  const data = join(dir, 'data')
  mkdirSync(data)
  const { keyFile } = await initVault({ data }, PASSPHRASE)
  server = await startServer({ data, keyFile, kdf: 'interactive' })
  browser = await launchChromium()
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  })
  context.setDefaultTimeout(20_000)
  page = await context.newPage()
  page.on('dialog', (d) => void d.accept())
  watch.watch(page)
}, 120_000)

afterAll(async () => {
  await vendor?.close()
  await browser?.close()
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

describe('a conversation kept in the owner’s vault, in Chromium', { timeout: 180_000 }, () => {
  it('the vendor asks to converse; the consent page says so in plain words; she approves', async () => {
    await page.goto(`${server.url}/profile`)
    expect(new URL(page.url()).pathname).toBe('/signin')
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE)
    await clickAndLoad(page.getByRole('button', { name: 'Sign in', exact: true }), '**/profile')

    vendor = await startTestVendor(server.url, 'Fjord Outdoor')
    const pending = await vendor.startAuthorization({
      scope: 'converse',
      purpose: 'Answer your questions about orders',
      durationSeconds: 86_400,
      actions: ['converse'],
    })
    const callback = vendor.nextCallback()
    await page.goto(pending.url.href)
    expect(await page.locator('body').textContent()).toContain('May write to you in Custos')
    await Promise.all([callback, page.getByRole('button', { name: 'Approve' }).click()])
    const tokens = await vendor.exchange(pending, await callback)
    accessToken = tokens.access_token
    expect(tokens.scope).toBe('converse')
  })

  it('she starts a thread from Conversations; it waits for the vendor', async () => {
    await page.goto(`${server.url}/conversations`)
    expect(await main()).toContain('No conversations yet.')
    await page.locator('summary', { hasText: 'Start a conversation' }).click()
    await page.getByLabel('About').selectOption('return')
    await page.getByLabel('Subject').fill('Boots too small')
    await page.getByLabel('Order number (optional)').fill('FO-1042')
    await page.getByLabel('Message').fill('May I return them for a refund?')
    await clickAndLoad(
      page.getByRole('button', { name: 'Send', exact: true }),
      /\/conversations\/thr_/,
    )
    threadId = new URL(page.url()).pathname.split('/')[2] as string
    const text = await main()
    expect(text).toContain('Conversation started.')
    expect(text).toContain('Waiting for Fjord Outdoor since')
  })

  it('the vendor reads it and replies through /v1/conversations', async () => {
    const list = await vendor.read(accessToken, '/v1/conversations')
    expect(list.status).toBe(200)
    expect(list.body).toMatchObject({
      items: [{ id: threadId, unread: 1, subject: 'Boots too small' }],
    })
    const reply = await vendor.write(accessToken, `/v1/conversations/${threadId}/messages`, {
      text: 'Of course: the return label is in your inbox.',
    })
    expect(reply.status).toBe(201)
    expect(reply.body).toMatchObject({ author: 'vendor', client_id: vendor.clientId })
  })

  it('she sees the reply unread, who sent it, and that its signature verifies', async () => {
    await page.goto(`${server.url}/conversations`)
    const list = await main()
    expect(list).toContain('1 new')
    expect(list).toContain('Waiting for you since')
    await clickAndLoad(page.getByRole('link', { name: 'Boots too small' }), /\/conversations\/thr_/)
    const thread = await main()
    expect(thread).toContain('Of course: the return label is in your inbox.')
    expect(thread).toContain(`sent by client ${vendor.clientId}`)
    expect(thread).toContain('signature verifies')
    expect(thread).not.toContain('does not verify')
  })

  it('she downloads the thread, and custos verify-thread verifies it offline', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download this conversation' }).click(),
    ])
    const file = join(dir, 'thread.json')
    await download.saveAs(file)
    const ok = await runCustos(['verify-thread', file])
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain(`Thread ${threadId} verifies: 2 messages`)

    const bundle = JSON.parse(readFileSync(file, 'utf8')) as { messages: { entry: string }[] }
    const second = bundle.messages[1] as { entry: string }
    second.entry = second.entry.replace('inbox', 'mailbox')
    writeFileSync(file, JSON.stringify(bundle))
    const bad = await runCustos(['verify-thread', file])
    expect(bad.code).toBe(4)
    expect(bad.stderr).toContain('message 2')
  })

  it('no page logged a console error, threw, or broke its Content-Security-Policy', () => {
    expect(watch.problems).toEqual([])
  })
})
