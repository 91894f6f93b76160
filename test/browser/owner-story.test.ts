/**
 * The owner's whole story (PRODUCT.md steps 1–6; issue 4 "How we will know it works") in real
 * Chromium against a real `custos serve` process: set up the vault with the keyboard alone, fill
 * the profile (a mistake first, shown in place, then fixed), import purchases from a CSV file
 * with a preview, let a vendor — an ordinary OAuth client library — ask for access, untick one
 * field and approve, and check the vendor reads exactly what was approved; then see that read in
 * the access log and on the connection, accept the receipt the vendor wrote into the inbox,
 * revoke in one click, and see the vendor's next call refused. Along the way: a screenshot of
 * every page (test-artifacts/screenshots), a phone-width pass with no sideways scrolling, and no
 * console error or CSP violation on any page.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from './support/chromium.js'
import { type ServerProcess, startServer } from '../support/server-process.js'
import {
  PageWatch,
  Screenshots,
  accessibilityProblems,
  focused,
  horizontalOverflow,
} from './support/page-watch.js'
import { type TestVendor, startTestVendor } from './support/vendor-client.js'

const root = join(import.meta.dirname, '..', '..')
const PASSPHRASE = 'correct horse battery staple vault'
const PROFILE = {
  'Given name': 'Ada',
  'Family name': 'Lovelace',
  Email: 'ada@example.org',
  Telephone: '+44 20 7946 0000',
  'Shoe size': 'EU 39',
  'Top size': 'M',
} as const
const CSV = [
  'seller,orderDate,orderNumber,category,currency,total,notes',
  'Fjord Outdoor,2026-03-14,F-1001,outdoor,EUR,129.90,Rain jacket',
  'Fjord Outdoor,2026-04-02,F-1002,outdoor,EUR,24.50,Wool socks',
  'Bakery Lund,2026-04-05,,food,EUR,8.20,',
  'Broken Shop,not-a-date,,misc,EUR,10.00,',
  'Nordic Books,2026-05-11,NB-77,books,EUR,31.00,Atlas',
].join('\n')
const PURPOSE = 'Recommend the right size for your next order'
/** What the vendor asks for: three field selectors, and writing receipts into the inbox. */
const SCOPE = 'read:email read:name.given read:prefs.sizes.* append:purchases'
const PHONE = { width: 390, height: 844 }

let dir: string
let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
let vendor: TestVendor
let accessToken: string
const watch = new PageWatch()
const shots = new Screenshots(join(root, 'test-artifacts', 'screenshots'))
/** Accessibility gaps found on the pages visited, by screenshot name (asserted empty at the end). */
const inaccessible: Record<string, string[]> = {}

/** A full-page screenshot of where the browser is, and the page's basic accessibility checked. */
async function snapshot(on: Page, name: string): Promise<void> {
  await shots.take(on, name)
  const problems = await accessibilityProblems(on)
  if (problems.length > 0) inaccessible[`${name} ${new URL(on.url()).pathname}`] = problems
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-browser-story-'))
  // A fresh data folder: the browser meets the set-up page. The interactive Argon2id preset keeps
  // the 2-core test machine responsive; the passphrase checks are the same code at any cost.
  server = await startServer({ data: join(dir, 'data'), kdf: 'interactive', logLevel: 'info' })
  browser = await launchChromium()
  desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  desktop.setDefaultTimeout(20_000)
  desktop.setDefaultNavigationTimeout(30_000)
  page = await desktop.newPage()
  // Destructive buttons ask "are you sure?" (custos.js): the owner says yes.
  page.on('dialog', (d) => void d.accept())
  watch.watch(page)
}, 120_000)

afterAll(async () => {
  await vendor?.close()
  await browser?.close()
  const code = await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
  // A clean stop after the whole story: the audit log flushed, exit 0.
  expect(code).toBe(0)
}, 60_000)

/** Presses Tab until the element with this id (or form name) has focus, following the page's own tab order. */
async function tabTo(target: { id: string } | { name: string }, maxPresses = 20): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab')
    const now = await focused(page)
    if ('id' in target ? now.id === target.id : now.name === target.name) return
  }
  throw new Error(
    `Tab never reached ${JSON.stringify(target)} (focus is on ${JSON.stringify(await focused(page))})`,
  )
}

type UrlMatch = string | RegExp | ((url: URL) => boolean)

/**
 * Does something that navigates (a click, Enter in a form), waits for the new document to load —
 * the next `load` event, so a form posting back to its own URL counts too — and checks where the
 * browser ended up.
 */
async function navigation(on: Page, action: () => Promise<void>, url: UrlMatch): Promise<void> {
  await Promise.all([on.waitForEvent('load'), action()])
  await on.waitForURL(url)
}

/** Clicks a button or link of the main page and waits for the page it leads to. */
function submitAndWait(target: ReturnType<Page['getByRole']>, url: UrlMatch): Promise<void> {
  return navigation(page, () => target.click(), url)
}

// Generous: a real browser and server on a 2-core machine shared with the rest of the suite.
describe('the owner, in Chromium, from set-up to revoking a vendor', { timeout: 180_000 }, () => {
  it('a fresh data folder sends the browser to set-up, which works with the keyboard alone', async () => {
    const response = await page.goto(server.url)
    expect(new URL(page.url()).pathname).toBe('/setup')
    expect(response?.status()).toBe(200)
    const csp = response?.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(
      /create your vault/i,
    )
    await snapshot(page, 'setup')

    // The two boxes disagree: refused, the reason beside the box it belongs to.
    await tabTo({ id: 'passphrase' })
    await page.keyboard.type(PASSPHRASE)
    // The strength meter (custos.js) follows the typing: the script runs under the CSP.
    await page.getByText(/Strength: (Good|Strong)/).waitFor()
    await tabTo({ id: 'confirm' })
    await page.keyboard.type(`${PASSPHRASE}!`)
    watch.expectRefusal('/setup', 400)
    await navigation(page, () => page.keyboard.press('Enter'), '**/setup')
    const alert = page.locator('#confirm-error[role="alert"]')
    await alert.waitFor()
    expect(await page.locator('#confirm').getAttribute('aria-invalid')).toBe('true')
    await snapshot(page, 'setup-mismatch')

    // Again, properly: Tab, type, Tab, type, Enter.
    await tabTo({ id: 'passphrase' })
    await page.keyboard.type(PASSPHRASE)
    await tabTo({ id: 'confirm' })
    await page.keyboard.type(PASSPHRASE)
    await navigation(page, () => page.keyboard.press('Enter'), '**/setup')
    const key = page.locator('#recovery-key')
    await key.waitFor()
    expect((await key.textContent())?.trim()).toMatch(/^CUSTOS(-[0-9A-Z]{5}){5,}$/)
    await snapshot(page, 'recovery-key')

    // "I saved it": tick with Space, submit with Enter.
    const saved = page.getByRole('checkbox', { name: /saved my recovery key/i })
    await tabTo({ name: 'saved' })
    await page.keyboard.press('Space')
    expect(await saved.isChecked()).toBe(true)
    await page.keyboard.press('Tab')
    expect((await focused(page)).text).toBe('I saved it')
    await navigation(page, () => page.keyboard.press('Enter'), '**/profile?welcome=1')
    await page.getByRole('status').filter({ hasText: 'Welcome' }).waitFor()
  })

  it('fills the profile section by section: a wrong email is listed at the top, where focus goes, with the rest kept; then fixed and saved', async () => {
    // Issue 10: each group is its own form with its own Save, which saves that group only.
    const save = (section: string) =>
      page
        .getByRole('form', { name: section, exact: true })
        .getByRole('button', { name: 'Save', exact: true })
    const sections = [
      ['Name', 'identity', ['Given name', 'Family name']],
      ['Contact', 'contact', ['Email', 'Telephone']],
      ['Sizes', 'sizes', ['Shoe size', 'Top size']],
    ] as const
    for (const [title, key, labels] of sections) {
      for (const label of labels)
        await page
          .getByLabel(label, { exact: true })
          .fill(label === 'Email' ? 'ada.example.org' : PROFILE[label])
      if (key === 'contact') {
        watch.expectRefusal('/profile', 400)
        await submitAndWait(save(title), '**/profile#problems')
        // The summary at the top says so, has focus, and links to the box.
        expect((await focused(page)).id).toBe('problems')
        expect(await page.getByRole('alert').first().textContent()).toMatch(/nothing was saved/i)
        const email = page.getByLabel('Email', { exact: true })
        expect(await email.getAttribute('aria-invalid')).toBe('true')
        const described = (await email.getAttribute('aria-describedby')) ?? ''
        const error = page.locator(
          `[id="${described.split(' ').find((id) => id.endsWith('-error'))}"]`,
        )
        expect(await error.textContent()).toMatch(/email address/i)
        expect(await page.locator('#problems a[href="#f-email"]').textContent()).toMatch(
          /^Email: .*email address/i,
        )
        // What the owner typed is still there, and so is the section saved before.
        expect(await page.getByLabel('Given name', { exact: true }).inputValue()).toBe(
          PROFILE['Given name'],
        )
        expect(await email.inputValue()).toBe('ada.example.org')
        await snapshot(page, 'profile-invalid')
        await email.fill(PROFILE.Email)
      }
      await submitAndWait(
        save(title),
        new RegExp(`/profile\\?saved=1&section=${key}#section-${key}$`),
      )
      await page.getByRole('status').filter({ hasText: 'is saved' }).waitFor()
    }
    for (const [label, value] of Object.entries(PROFILE))
      expect(await page.getByLabel(label, { exact: true }).inputValue()).toBe(value)

    // A field of the owner's own, named in words (issue 10: the page's own example was refused).
    await page.getByLabel('Field name').fill('favourite colour')
    await page.getByLabel('Value', { exact: true }).fill('teal')
    await submitAndWait(page.getByRole('button', { name: 'Add field' }), /\/profile\?added=1/)
    expect(await page.locator('#custom ~ .table-wrap table').textContent()).toMatch(
      /favourite colour\s*teal/,
    )
    await snapshot(page, 'profile')
  })

  it('imports purchases from a CSV file: a preview that writes nothing, then the valid rows', async () => {
    await submitAndWait(page.getByRole('link', { name: 'Purchases' }), '**/purchases')
    await snapshot(page, 'purchases-empty')
    await submitAndWait(page.getByRole('link', { name: /import/i }), '**/purchases/import')
    await page
      .getByLabel(/^File/)
      .setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) })
    // The page's script sends the file by XMLHttpRequest for its progress bar and writes the
    // answer into the page (custos.js): no navigation, so wait for the preview itself.
    await page.getByRole('button', { name: 'Preview import' }).click()
    await page.getByRole('status').filter({ hasText: 'Nothing has been imported yet' }).waitFor()
    const summary = await page.getByRole('status').textContent()
    expect(summary).toMatch(/5 rows/)
    expect(summary).toMatch(/4 valid/)
    expect(summary).toMatch(/1 with issues/)
    expect(await page.locator('table.import-preview tbody tr').count()).toBe(5)
    expect(await page.locator('tr.row-invalid').textContent()).toMatch(/skipped/i)
    await snapshot(page, 'import-preview')
    // The preview wrote nothing: another tab still sees no purchases.
    const other = await desktop.newPage()
    watch.watch(other)
    await other.goto(`${server.url}/purchases`)
    expect(await other.locator('main').textContent()).toContain('No purchases yet')
    await other.close()

    await submitAndWait(
      page.getByRole('button', { name: 'Import 4 purchases' }),
      /\/purchases\?imported=4/,
    )
    const table = await page.locator('main table').first().textContent()
    for (const seller of ['Fjord Outdoor', 'Bakery Lund', 'Nordic Books'])
      expect(table).toContain(seller)
    expect(table).not.toContain('Broken Shop')
    await snapshot(page, 'purchases')
  })

  it('adds a purchase by hand, filters by seller, and charts the spending', async () => {
    await submitAndWait(page.getByRole('link', { name: 'Add purchase' }), '**/purchases/new')
    await page.getByLabel('Seller', { exact: true }).fill('Corner Café')
    await page.getByLabel('Order date', { exact: true }).fill('2026-06-10')
    await page.getByLabel('Total paid', { exact: true }).fill('4.50')
    await page.getByLabel('Currency', { exact: true }).fill('EUR')
    await page.getByLabel('Item 1 name', { exact: true }).fill('Flat white')
    await snapshot(page, 'purchase-new')
    await submitAndWait(
      page.getByRole('button', { name: 'Add purchase' }),
      /\/purchases\?done=added/,
    )
    expect(await page.locator('main table').first().textContent()).toContain('Corner Café')

    // The seller filter matches all or part of a name, any case (issue 10: decrypted seller list, then each match's blind index).
    await page.getByLabel('Seller', { exact: true }).fill('fjord outdoor')
    await submitAndWait(page.getByRole('button', { name: 'Filter' }), /\/purchases\?.*seller=fjord/)
    const rows = page.locator('main table.purchases tbody tr')
    expect(await rows.count()).toBe(2)
    for (const row of await rows.allTextContents()) expect(row).toContain('Fjord Outdoor')

    await submitAndWait(
      page.getByRole('link', { name: 'Spending charts' }),
      /\/purchases\/spending/,
    )
    await page.getByRole('link', { name: 'Clear filters' }).click()
    await page.waitForURL('**/purchases/spending')
    // Server-rendered SVG: by month and by seller, each with a title for screen readers.
    expect(await page.locator('svg.chart[role="img"]').count()).toBe(2)
    expect(await page.locator('svg.chart title').first().textContent()).toMatch(/by month/i)
    await snapshot(page, 'spending')
  })

  it('a vendor asks; the owner unticks one field and approves; the vendor reads exactly the rest', async () => {
    vendor = await startTestVendor(server.url, 'Fjord Outdoor')
    const pending = await vendor.startAuthorization({
      scope: SCOPE,
      purpose: PURPOSE,
      durationSeconds: 30 * 86400,
      actions: ['read', 'append'],
    })
    const callback = vendor.nextCallback()
    await page.goto(pending.url.href)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Fjord Outdoor')
    const consent = (await page.locator('body').textContent()) ?? ''
    expect(consent).toContain(PURPOSE)
    // The current values are previewed, so the owner sees what would be shared.
    for (const value of [PROFILE.Email, PROFILE['Given name'], PROFILE['Shoe size']])
      expect(consent).toContain(value)
    await snapshot(page, 'consent')

    const emailBox = page.locator('input[type="checkbox"][name="field"][value="email"]')
    expect(await emailBox.isChecked()).toBe(true)
    await emailBox.uncheck()
    await submitAndWait(page.getByRole('button', { name: 'Approve' }), `${vendor.redirectUri}?**`)
    const returned = await callback
    expect(returned.searchParams.get('code')).toBeTruthy()
    expect(returned.searchParams.get('state')).toBe(pending.state)

    const tokens = await vendor.exchange(pending, returned)
    accessToken = tokens.access_token
    const profile = await vendor.read(accessToken, '/v1/profile')
    expect(profile.status).toBe(200)
    expect((profile.body as { fields: unknown }).fields).toEqual({
      'name.given': PROFILE['Given name'],
      'prefs.sizes.shoe': PROFILE['Shoe size'],
      'prefs.sizes.top': PROFILE['Top size'],
    })

    // It also writes a receipt of the order it just took into the owner's inbox.
    const receipt = await vendor.write(accessToken, '/v1/purchases', {
      seller: 'Fjord Outdoor',
      orderDate: '2026-06-01',
      orderNumber: 'F-2001',
      currency: 'EUR',
      total: 89,
      items: [{ name: 'Trail shoes EU 39' }],
    })
    expect(receipt.status).toBe(202)
  })

  it('the owner sees the read in the access log and on the connection', async () => {
    await page.goto(`${server.url}/log`)
    await page.getByRole('heading', { level: 1 }).waitFor()
    // One entry for the read, naming exactly what was read; the hash chain checked on the page.
    const reads = page.locator('ol.timeline li[data-action="grant.read"]')
    expect(await reads.count()).toBe(1)
    const read = (await reads.textContent()) ?? ''
    expect(read).toContain('Fjord Outdoor')
    for (const label of ['Given name', 'Shoe size', 'Top size']) expect(read).toContain(label)
    expect(read).not.toContain('Email')
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /verified/i })
        .textContent(),
    ).toMatch(/intact/)
    await snapshot(page, 'access-log')

    await submitAndWait(page.getByRole('link', { name: 'Connections' }), '**/connections')
    const grant = page.locator('article.grant').filter({ hasText: PURPOSE })
    expect(await grant.count()).toBe(1)
    const facts = (await grant.locator('dl').textContent()) ?? ''
    expect(facts).toContain('Given name')
    expect(facts).not.toMatch(/\bEmail\b/)
    const lastRead = (await grant.locator('.last-read').textContent()) ?? ''
    expect(lastRead).not.toMatch(/never/i)
    expect(lastRead).toContain('Given name')
    expect(lastRead).toContain('Shoe size')
    await snapshot(page, 'connections')
  })

  it('accepts the receipt the vendor wrote into the inbox', async () => {
    await submitAndWait(page.getByRole('link', { name: 'Inbox' }), '**/inbox')
    expect(await page.locator('main').textContent()).toContain('F-2001')
    await snapshot(page, 'inbox')
    await submitAndWait(page.getByRole('button', { name: 'Accept' }).first(), /\/inbox/)
    await submitAndWait(page.getByRole('link', { name: 'Purchases' }), '**/purchases')
    expect(await page.locator('main table').first().textContent()).toContain('F-2001')
  })

  it('narrows the grant: the vendor’s next read shows less', async () => {
    await submitAndWait(page.getByRole('link', { name: 'Connections' }), '**/connections')
    const grant = page.locator('article.grant').filter({ hasText: PURPOSE })
    await grant.getByText('Narrow this grant').click()
    await grant.locator('input[type="checkbox"][name="field"][value="prefs.sizes.*"]').uncheck()
    await submitAndWait(
      grant.getByRole('button', { name: 'Narrow' }),
      /\/connections\?done=narrowed/,
    )
    await page.getByRole('status').filter({ hasText: 'narrowed' }).waitFor()
    const read = await vendor.read(accessToken, '/v1/profile')
    expect(read.status).toBe(200)
    expect((read.body as { fields: unknown }).fields).toEqual({
      'name.given': PROFILE['Given name'],
    })
  })

  it('revokes in one click, and the vendor’s next call is refused with 401', async () => {
    await page.goto(`${server.url}/connections`)
    const grant = page.locator('article.grant').filter({ hasText: PURPOSE })
    await submitAndWait(
      grant.getByRole('button', { name: 'Revoke' }),
      /\/connections\?done=revoked/,
    )
    await page.getByRole('status').filter({ hasText: 'revoked' }).waitFor()
    await snapshot(page, 'connections-revoked')

    const refused = await vendor.read(accessToken, '/v1/profile')
    expect(refused.status).toBe(401)
    // RFC 6750 §3.1: the token stands for nothing any more.
    expect(refused.wwwAuthenticate).toMatch(/^Bearer\b.*error="invalid_token"/)
    expect(JSON.stringify(refused.body)).not.toContain(PROFILE['Given name'])

    await page.goto(`${server.url}/log`)
    expect(await page.locator('main').textContent()).toMatch(/revok/i)
  })

  it('settings, locking and unlocking', async () => {
    await submitAndWait(page.getByRole('link', { name: 'Settings' }), '**/settings')
    for (const button of [
      'Change passphrase',
      'Rotate keys',
      'Download export',
      'Download backup',
      'Restore',
      'Delete my vault',
    ]) {
      expect(
        await page.getByRole('button', { name: button }).count(),
        button,
      ).toBeGreaterThanOrEqual(1)
    }
    await snapshot(page, 'settings')

    await submitAndWait(page.getByRole('button', { name: 'Lock' }), /\/unlock/)
    await snapshot(page, 'unlock')
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE)
    await submitAndWait(
      page.getByRole('button', { name: 'Unlock', exact: true }),
      (url) => url.pathname === '/',
    )
    // Home: the vault at a glance — 6 purchases (4 imported, 1 by hand, 1 accepted receipt), the revoked grant gone from "connected".
    const home = (await page.locator('main').textContent()) ?? ''
    expect(home).toMatch(/6\s+purchases/)
    expect(home).toMatch(/0\s+connected vendors/)
    expect(home).toContain('Fjord Outdoor')
    await snapshot(page, 'home')
  })

  it('at a phone’s width (390×844) the pages fit: nothing scrolls sideways', async () => {
    const phone = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    })
    try {
      const mobile = await phone.newPage()
      watch.watch(mobile)
      /** Screenshot, accessibility, and the phone test proper: the page is no wider than the screen. */
      const fitsPhone = async (name: string) => {
        await snapshot(mobile, name)
        const o = await horizontalOverflow(mobile)
        expect(
          o.scrollWidth,
          `${new URL(mobile.url()).pathname} is wider than the phone: ${o.widest}`,
        ).toBeLessThanOrEqual(o.innerWidth)
      }
      // A second browser: signed out, so sign-in comes first (the vault stays unlocked).
      await mobile.goto(`${server.url}/profile`)
      expect(new URL(mobile.url()).pathname).toBe('/signin')
      await fitsPhone('phone-signin')
      await mobile.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE)
      await navigation(
        mobile,
        () => mobile.getByRole('button', { name: 'Sign in', exact: true }).click(),
        '**/profile',
      )
      for (const path of [
        '/',
        '/profile',
        '/purchases',
        '/purchases/spending',
        '/connections',
        '/inbox',
        '/log',
        '/settings',
      ]) {
        await mobile.goto(`${server.url}${path}`)
        expect(new URL(mobile.url()).pathname).toBe(path)
        await fitsPhone(`phone-${path.slice(1).replace('/', '-') || 'home'}`)
      }

      // The vendor asks again; on the phone the consent page fits too, and this time the owner says no.
      const pending = await vendor.startAuthorization({
        scope: SCOPE,
        purpose: PURPOSE,
        durationSeconds: 7 * 86400,
        actions: ['read'],
      })
      const callback = vendor.nextCallback()
      await mobile.goto(pending.url.href)
      await mobile.getByRole('button', { name: 'Deny' }).waitFor()
      await fitsPhone('phone-consent')
      await navigation(
        mobile,
        () => mobile.getByRole('button', { name: 'Deny' }).click(),
        `${vendor.redirectUri}?**`,
      )
      const denied = await callback
      // RFC 6749 §4.1.2.1: the vendor learns only that the owner said no.
      expect(denied.searchParams.get('error')).toBe('access_denied')
      expect(denied.searchParams.get('state')).toBe(pending.state)
      expect(denied.searchParams.has('code')).toBe(false)
    } finally {
      await phone.close()
    }
  })

  it('no page logged a console error, threw, or broke its Content-Security-Policy', () => {
    expect(watch.problems).toEqual([])
  })

  it('every page visited has a language, a title, a heading, and a name for each control', () => {
    expect(inaccessible).toEqual({})
  })
})
