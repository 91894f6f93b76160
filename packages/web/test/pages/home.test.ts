import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE, type PagesFixture, signedInPages, textOf } from '../support/web-fixture.js'

describe('home page (issue 4, web app)', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('sends a browser without a session to sign-in, and back home afterwards', async () => {
    f = await signedInPages()
    const res = await f.other.get('/')
    expect([res.status, res.headers.get('location')]).toEqual([303, '/signin?next=%2F'])
    const signin = await f.other.post('/signin', { passphrase: PASSPHRASE, next: '/' })
    expect([signin.status, signin.headers.get('location')]).toEqual([303, '/'])
    expect((await f.other.get('/')).status).toBe(200)
  })

  it('counts fields, purchases, connections and inbox receipts, and lists the latest vendor reads', async () => {
    f = await signedInPages()
    const { vault } = f
    await vault.fields.setMany({
      'name.given': 'Ada',
      email: 'ada@example.org',
      'prefs.sizes.shoe': 'EU 39',
    })
    await vault.purchases.add({
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14T10:00:00Z',
      currency: 'EUR',
      total: 59,
    })
    const shop = await vault.vendors.register({ name: 'Fjord <Outdoor>' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['prefs.sizes.*'],
      actions: ['read', 'append'],
      purpose: 'Sizing',
      durationSeconds: 86400,
    })
    await vault.readThroughGrant(grant.id)
    await vault.inbox.append(grant.id, {
      seller: 'Fjord Outdoor',
      orderDate: '2026-04-01T10:00:00Z',
      currency: 'EUR',
      total: 12,
    })

    const res = await f.browser.get('/')
    expect(res.status).toBe(200)
    const page = await res.text()
    const text = textOf(page)
    expect(text).toContain('3 profile fields')
    expect(text).toContain('1 purchase ')
    expect(text).toContain('1 connected vendor')
    expect(text).toContain('1 waiting in the inbox')
    expect(text).toContain('Fjord <Outdoor>')
    expect(page).toContain('Fjord &lt;Outdoor&gt;')
    expect(text).toContain('Shoe size')
    expect(text).not.toContain('prefs.sizes.shoe')
    expect(page).toContain('href="/log"')
    // Signed-in chrome: the navigation and the Lock button.
    expect(page).toMatch(/<button type="submit" class="secondary">Lock<\/button>/)
    expect(page).toContain('data-signed-in="true"')
  })

  it('renders an unhandled vault error as an HTML page in the layout, never JSON or a stack, and reports it to the operator', async () => {
    const reported: unknown[] = []
    f = await signedInPages({ onUnexpectedError: (err) => reported.push(err) })
    await f.vault.fields.set('name.given', 'Ada')
    // Damage a stored ciphertext: reading it fails its integrity check.
    const db = f.testVault?.handle.db
    const row = await db
      ?.selectFrom('fields')
      .select('value')
      .where('path', '=', 'name.given')
      .executeTakeFirstOrThrow()
    const damaged = new Uint8Array(row?.value as Uint8Array)
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1
    await db
      ?.updateTable('fields')
      .set({ value: damaged })
      .where('path', '=', 'name.given')
      .execute()

    const res = await f.browser.get('/profile')
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const page = await res.text()
    expect(textOf(page)).toContain('Something went wrong')
    expect(page).not.toMatch(/at .*\.ts:\d+|ERR_INTEGRITY|Stored data failed/)
    expect(reported).toEqual([expect.objectContaining({ code: 'ERR_INTEGRITY' })])
    expect(page).toContain('<link rel="stylesheet" href="/assets/custos.css">')
  })
})
