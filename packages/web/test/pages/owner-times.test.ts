/**
 * Issue 10, "Connections and the log contradict themselves": a blocked vendor's grant showed a
 * green "Active", a revoked grant its future end date, a read of purchases was told as "read
 * nothing", and every time was UTC only. Times are now shown in the owner's time zone (Settings;
 * UTC until chosen) with the exact UTC time on hover.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from '@custos/vault'
import { describe as describeEntry, readText } from '../../src/pages/access-log.js'
import { editRow } from '@custos/consent-api/testing'
import { connectedVendor, disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

/** The text of one grant's card. */
function grantCard(html: string, grantId: string): string {
  return text(
    html.match(
      new RegExp(`<article class="grant card" id="grant-${grantId}"[\\s\\S]*?</article>`),
    )?.[0] ?? '',
  )
}

const START = Date.parse('2026-07-01T22:30:15.000Z')

describe('connections and the log tell one story (issue 10)', () => {
  it('shows a blocked vendor’s grant as blocked, and a revoked grant with when it was revoked', async () => {
    let now = START
    const p = await pageClient({ now: () => new Date(now) })
    const vendor = await connectedVendor(p)
    expect(grantCard((await p.get('/connections')).html, vendor.grant.id)).toContain('Active')

    await p.vault.vendors.setBlocked(vendor.grant.vendorId, true)
    const blocked = grantCard((await p.get('/connections')).html, vendor.grant.id)
    expect(blocked).toContain('Blocked')
    expect(blocked).not.toContain('Active')
    await p.vault.vendors.setBlocked(vendor.grant.vendorId, false)

    now += 5 * 60_000
    const revoked = grantCard(
      (await p.submit(`/connections/grants/${vendor.grant.id}/revoke`)).html,
      vendor.grant.id,
    )
    expect(revoked).toContain('Revoked 2026-07-01 22:35 UTC')
    expect(revoked).not.toContain('Ends')
    expect(revoked).not.toContain(vendor.grant.expiresAt.slice(0, 10))
  })

  it('tells a read of purchases as what it read, and "nothing" only when it read nothing', async () => {
    const p = await pageClient()
    await p.vault.fields.set('email', 'ada@example.org')
    const fjord = await p.vault.vendors.register({ name: 'Fjord Outdoor' })
    const bought = { seller: 'Fjord Outdoor', orderDate: '2026-03-14', currency: 'EUR', total: 12 }
    await p.vault.purchases.add(bought)
    await p.vault.purchases.add({ ...bought, orderDate: '2026-03-15' })
    const all = await p.vault.grants.create({
      vendorId: fjord.id,
      fields: ['email'],
      purchases: { madeWithVendor: false },
      actions: ['read'],
      purpose: 'History',
      durationSeconds: 86_400,
    })
    const books = await p.vault.grants.create({
      vendorId: fjord.id,
      fields: [],
      purchases: { madeWithVendor: false, categories: ['Books'] },
      actions: ['read'],
      purpose: 'Own',
      durationSeconds: 86_400,
    })
    const sizes = await p.vault.grants.create({
      vendorId: fjord.id,
      fields: ['prefs.sizes.*'],
      actions: ['read'],
      purpose: 'Sizes',
      durationSeconds: 86_400,
    })
    await p.vault.readThroughGrant(all.id, { include: ['purchases'] })
    await p.vault.readThroughGrant(all.id)
    await p.vault.readThroughGrant(books.id, { include: ['purchases'] })
    await p.vault.readThroughGrant(sizes.id)
    const reads = (await p.vault.audit.list({ action: 'grant.read' })).reverse()
    const name = () => 'Fjord Outdoor'
    expect(reads.map((e) => describeEntry(e, name))).toEqual([
      'Fjord Outdoor read 2 purchases',
      'Fjord Outdoor read Email and 2 purchases',
      'Fjord Outdoor read no purchases (none match its grant)',
      'Fjord Outdoor read nothing (no granted field has a value)',
    ])
    const log = text((await p.get('/log?kind=reads')).html)
    expect(log).toContain('Fjord Outdoor read 2 purchases')
    // The connections page says the same for each grant's last read.
    const connections = (await p.get('/connections')).html
    expect(grantCard(connections, all.id)).toMatch(
      /Last read \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC : Email and 2 purchases/,
    )
    expect(grantCard(connections, books.id)).toMatch(
      /Last read .* UTC : no purchases \(none match its grant\)/,
    )
    expect(readText({ paths: [], purchaseIds: ['a'] } as unknown as AuditEntry)).toBe('1 purchase')
  })
})

describe('times in the owner’s time zone (issue 10)', () => {
  it('shows UTC until a zone is chosen in Settings, then that zone, always with the exact UTC time on hover', async () => {
    const p = await pageClient({ now: () => new Date(START) })
    const vendor = await p.vault.vendors.register({ name: 'Fjord Outdoor' })
    await p.vault.fields.set('email', 'ada@example.org')
    const grant = await p.vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read', 'append'],
      purpose: 'Receipts',
      durationSeconds: 86_400,
    })
    await p.vault.readThroughGrant(grant.id)
    await p.vault.inbox.append(grant.id, {
      seller: 'Fjord Outdoor',
      orderDate: '2026-06-30',
      currency: 'EUR',
      total: 9.5,
    })
    const typed = await p.vault.purchases.add({
      seller: 'Book Nook',
      orderDate: '2026-06-30',
      currency: 'EUR',
      total: 12,
    })
    const at = '<time datetime="2026-07-01T22:30:15.000Z" title="2026-07-01 22:30:15 UTC">'

    expect((await p.get('/log')).html).toContain(`${at}2026-07-01 22:30:15 UTC</time>`)
    const settings = await p.get('/settings')
    expect(settings.html).toContain('<option value="UTC" selected>UTC</option>')
    expect(settings.html).toContain('<option value="Europe/Berlin">Europe/Berlin</option>')

    // Only a zone from the list, only with the form's CSRF token.
    expect(
      (await p.post('/settings/time-zone', { time_zone: 'Europe/Berlin' }, { csrf: null })).status,
    ).toBe(403)
    const refused = await p.post('/settings/time-zone', { time_zone: 'Mars/Olympus_Mons' })
    expect(refused.status).toBe(400)
    expect(refused.html).toContain('Choose a time zone from the list')
    expect(refused.html).not.toContain('Mars')
    const saved = await p.submit('/settings/time-zone', { time_zone: 'Europe/Berlin' })
    expect(saved.html).toContain('Your time zone is saved')
    expect(saved.html).toContain('<option value="Europe/Berlin" selected>Europe/Berlin</option>')

    const berlin = `${at}2026-07-02 00:30`
    expect((await p.get('/log')).html).toContain(`${berlin}:15 CEST</time>`)
    const home = await p.get('/')
    expect(home.html).toContain(`${berlin} CEST</time>`)
    expect(home.html).not.toContain('(UTC)')
    expect(grantCard((await p.get('/connections')).html, grant.id)).toContain(
      'Granted 2026-07-02 00:30 CEST',
    )
    expect((await p.get('/connections')).html).toContain(
      `<dt>Ends</dt><dd><time datetime="2026-07-02T22:30:15.000Z" title="2026-07-02 22:30:15 UTC">2026-07-03 00:30 CEST</time>`,
    )
    expect(text((await p.get('/inbox')).html)).toContain(
      'Sent by Fjord Outdoor on 2026-07-02 00:30 CEST',
    )
    expect((await p.get(`/purchases/${typed.id}/edit`)).html).toContain(
      `Added ${berlin} CEST</time>`,
    )

    // The setting is a row the vault's key vouches for: edited in the database without the key, it is not believed.
    await editRow(p.tv, 'api_settings', 'owner_time_zone', { value: 'Asia/Tokyo' })
    expect((await p.get('/log')).html).toContain(`${at}2026-07-01 22:30:15 UTC</time>`)
  })
})
