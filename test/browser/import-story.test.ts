/**
 * Issue 14 (P6), "Real data in", in real Chromium against a real `custos serve` process: a new
 * owner brings a year of purchase history in — her Amazon order history first, then her PayPal
 * activity download together with the Amazon file again and a folder of confirmation emails —
 * sees each preview (what will be added, what is wrong in words, duplicates marked and skipped
 * by default, each row with the file it comes from), confirms, and finds the purchases, each
 * saying which file it came from, in the Purchases list and the spending charts. The upload goes
 * by the page's script with a progress bar fed by the upload's progress events. The fixtures are
 * the project's own (packages/consent-api/test/fixtures/imports): no real personal data.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, initVault, startServer } from '../support/server-process.js'
import { launchChromium } from './support/chromium.js'
import { PageWatch, accessibilityProblems } from './support/page-watch.js'

const PASSPHRASE = 'correct horse battery staple vault'
const FIXTURES = join(
  import.meta.dirname,
  '..',
  '..',
  'packages',
  'consent-api',
  'test',
  'fixtures',
  'imports',
)

let dir: string
let server: ServerProcess
let browser: Browser
let page: Page
/** The upload requests the page sent, by how (`xhr` when the progress script sent them). */
const uploads: string[] = []
const watch = new PageWatch()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-import-story-'))
  const data = join(dir, 'data')
  mkdirSync(data)
  const { keyFile } = await initVault({ data }, PASSPHRASE)
  server = await startServer({ data, keyFile, kdf: 'interactive' })
  // Her downloads: the Amazon export (one order lacks its total), the PayPal download, and a
  // folder of confirmation emails — one forwarded to herself again, one a newsletter, and a
  // file that is no email at all.
  writeFileSync(
    join(dir, 'Retail.OrderHistory.1.csv'),
    readFileSync(join(FIXTURES, 'amazon-Retail.OrderHistory.1.csv')),
  )
  copyFileSync(join(FIXTURES, 'paypal-activity-en-GB.csv'), join(dir, 'Download.CSV'))
  const mail = join(dir, 'Order emails')
  mkdirSync(mail)
  copyFileSync(join(FIXTURES, 'order-jsonld.eml'), join(mail, 'Your order FJ-2026-0042.eml'))
  copyFileSync(join(FIXTURES, 'order-jsonld.eml'), join(mail, 'Fwd Your order FJ-2026-0042.eml'))
  copyFileSync(join(FIXTURES, 'order-microdata.eml'), join(mail, 'Order confirmation.eml'))
  copyFileSync(join(FIXTURES, 'invoice.eml'), join(mail, 'Invoice.eml'))
  copyFileSync(join(FIXTURES, 'parcel-delivery.eml'), join(mail, 'Your parcel is on its way.eml'))
  copyFileSync(join(FIXTURES, 'no-markup.eml'), join(mail, 'Newsletter.eml'))
  writeFileSync(join(mail, 'notes.txt'), 'not an email')

  browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(20_000)
  page = await context.newPage()
  watch.watch(page)
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/purchases/import')
      uploads.push(r.resourceType())
  })
}, 120_000)

afterAll(async () => {
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

/** Presses "Preview import" and waits for the preview the script writes into the page. */
async function preview(): Promise<string> {
  const before = uploads.length
  // The upload is held until the bar has been seen: on loopback it would finish before a look.
  let release = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  await page.route('**/purchases/import', async (route) => {
    if (route.request().resourceType() === 'xhr') await held
    await route.continue()
  })
  await page.getByRole('button', { name: 'Preview import' }).click()
  await page.locator('progress.upload-progress').waitFor({ state: 'visible' })
  expect(await page.getByRole('button', { name: 'Preview import' }).isDisabled()).toBe(true)
  release()
  const status = page.getByRole('status').filter({ hasText: 'Nothing has been imported yet' })
  await status.waitFor()
  // The held request has gone on and been answered: its route is done with.
  await page.unroute('**/purchases/import')
  // Sent by the script, whose upload events feed the progress bar.
  expect(uploads.slice(before)).toEqual(['xhr'])
  expect(await accessibilityProblems(page)).toEqual([])
  return (await status.textContent()) ?? ''
}

const previewRows = async () =>
  (await page.locator('table.import-preview tbody tr').allInnerTexts()).map((r) =>
    r.replace(/\s+/g, ' ').trim(),
  )

describe('a new owner brings a year of purchases in, in Chromium', { timeout: 180_000 }, () => {
  it('signs in and finds Purchases → Import, which takes several files or a folder', async () => {
    await page.goto(`${server.url}/purchases`)
    expect(new URL(page.url()).pathname).toBe('/signin')
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE)
    await clickAndLoad(page.getByRole('button', { name: 'Sign in', exact: true }), '**/purchases')
    expect(await page.locator('main').textContent()).toContain('No purchases yet')
    await clickAndLoad(
      page.getByRole('link', { name: 'Import from a file' }),
      '**/purchases/import',
    )
    expect(await page.locator('#import-file').getAttribute('multiple')).not.toBeNull()
    expect(await page.locator('#import-folder').getAttribute('webkitdirectory')).not.toBeNull()
    // The bar waits hidden until an upload starts (and stays so without the script).
    expect(await page.locator('progress.upload-progress').isHidden()).toBe(true)
  })

  it('previews the Amazon export: orders grouped, a cancelled one left out, a broken one said in words; imports the rest', async () => {
    await page.getByLabel(/^Files/).setInputFiles(join(dir, 'Retail.OrderHistory.1.csv'))
    const summary = await preview()
    expect(summary).toMatch(/Amazon order history file with 5 orders: 3 valid/)
    expect(summary).toMatch(/1 not purchases/)
    expect(summary).toMatch(/1 with issues/)
    const rows = await previewRows()
    expect(rows.find((r) => r.includes('Left out'))).toContain('a cancelled order')
    expect(await page.locator('tr.row-invalid').textContent()).toMatch(/Will be skipped/)
    await clickAndLoad(
      page.getByRole('button', { name: 'Import 3 purchases' }),
      /\/purchases\?imported=3/,
    )
    const list = (await page.locator('main table').first().textContent()) ?? ''
    expect(list).toContain('Imported from amazon: Retail.OrderHistory.1.csv')
  })

  it('previews PayPal, the Amazon file again and a folder of emails as one list: duplicates marked and skipped, each row with its file', async () => {
    await clickAndLoad(
      page.getByRole('link', { name: 'Import from a file' }),
      '**/purchases/import',
    )
    await page
      .getByLabel(/^Files/)
      .setInputFiles([join(dir, 'Download.CSV'), join(dir, 'Retail.OrderHistory.1.csv')])
    await page.getByLabel(/^Or a folder/).setInputFiles(join(dir, 'Order emails'))
    const summary = await preview()
    // Two files and the folder's six emails (notes.txt is not an import file).
    expect(summary).toMatch(/^8 files with \d+ rows: /)
    // The three Amazon orders already imported, and the forwarded copy of an email.
    expect(summary).toContain('4 already in your purchases or repeated in the files')
    const files = await page.locator('ul.import-files li').allTextContents()
    expect(files).toContain('Download.CSV — PayPal activity')
    expect(files.some((f) => f.endsWith('Newsletter.eml — Email'))).toBe(true)
    expect(files.some((f) => f.includes('notes.txt'))).toBe(false)

    const rows = await previewRows()
    const amazon = rows.filter((r) => r.startsWith('amazon: Retail.OrderHistory.1.csv'))
    expect(amazon.filter((r) => r.includes('Already in your purchases'))).toHaveLength(3)
    // The same confirmation twice (forwarded to herself): one of the two is the repeat.
    const confirmations = rows.filter((r) => /^email: (Fwd )?Your order FJ-2026-0042\.eml/.test(r))
    expect(confirmations).toHaveLength(2)
    expect(confirmations.filter((r) => r.includes('Repeats an earlier row'))).toHaveLength(1)
    expect(rows.some((r) => r.startsWith('paypal: Download.CSV') && r.includes('a refund'))).toBe(
      true,
    )
    expect(rows).toContain(
      'email: Newsletter.eml the whole file Left out: The message has no schema.org order markup: there is nothing to import',
    )
    // Duplicates are skipped unless she ticks the box.
    const anyway = page.getByRole('checkbox', { name: /Import the 4 duplicates anyway/ })
    expect(await anyway.isChecked()).toBe(false)

    const button = page.getByRole('button', { name: /^Import \d+ purchases$/ })
    const fresh = Number(/Import (\d+)/.exec((await button.textContent()) ?? '')?.[1])
    expect(fresh).toBeGreaterThan(2)
    await clickAndLoad(button, new RegExp(`/purchases\\?imported=${fresh}`))
    const list = (await page.locator('main table').first().textContent()) ?? ''
    expect(list).toContain('Imported from paypal: Download.CSV')
    expect(list.match(/Imported from email: (Fwd )?Your order FJ-2026-0042\.eml/g)).toHaveLength(1)
    expect(list.split('Imported from amazon: Retail.OrderHistory.1.csv')).toHaveLength(4)
  })

  it('sees the year in the spending charts', async () => {
    await clickAndLoad(page.getByRole('link', { name: 'Spending charts' }), '**/purchases/spending')
    const figures = await page.locator('figure.spending figcaption').allTextContents()
    for (const currency of ['EUR', 'GBP']) {
      expect(figures).toContain(`Spending by month (${currency})`)
      expect(figures).toContain(`Spending by seller (${currency})`)
    }
    const sellers = await page
      .locator('svg.chart rect.bar')
      .evaluateAll((bars) => bars.map((b) => b.getAttribute('data-label')))
    for (const seller of ['Amazon.de', 'Fjord Outdoor', 'Moss & Fern Books'])
      expect(sellers).toContain(seller)
    expect(watch.problems).toEqual([])
  })
})
