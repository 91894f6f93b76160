/**
 * Issue 4, page 8: the access log — a timeline of vendor reads and grant changes, filtered by
 * vendor, kind and dates, paged, with the hash chain's status (tampering via SQL shows as broken).
 */
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '@custos/consent-api'
import { AuditAction } from '@custos/vault'
import { KINDS, accessLogPages } from '../../src/pages/access-log.js'
import {
  ISSUER,
  PASSPHRASE,
  disposePageClients,
  linkHref,
  pageClient,
  text,
} from '../support/page-client.js'

afterEach(disposePageClients)

/** The timeline's entries as [seq, action, text]. */
function timeline(html: string): [number, string, string][] {
  return [
    ...html.matchAll(
      /<li class="entry[^"]*" data-seq="(\d+)" data-action="([^"]+)">([\s\S]*?)<\/li>/g,
    ),
  ].map((m) => [Number(m[1]), m[2] as string, text(m[3] as string)])
}

async function withActivity() {
  const p = await pageClient()
  await p.vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
  const fjord = await p.vault.vendors.register({ name: 'Fjord Outdoor' })
  const nook = await p.vault.vendors.register({ name: 'Book Nook' })
  const g1 = await p.vault.grants.create({
    vendorId: fjord.id,
    fields: ['email', 'prefs.sizes.*'],
    actions: ['read'],
    purpose: 'Sizing',
    durationSeconds: 86_400,
  })
  const g2 = await p.vault.grants.create({
    vendorId: nook.id,
    fields: ['email'],
    actions: ['read'],
    purpose: 'Newsletter',
    durationSeconds: 86_400,
  })
  await p.vault.readThroughGrant(g1.id)
  await p.vault.readThroughGrant(g2.id)
  await p.vault.grants.narrow(g1.id, { fields: ['prefs.sizes.*'] })
  await p.vault.readThroughGrant(g1.id)
  await p.vault.grants.revoke(g2.id)
  await p.vault.readThroughGrant(g2.id).catch(() => undefined)
  return { p, fjord, nook, g1, g2 }
}

describe('/log', () => {
  it('offers every audit action the vault records under exactly one filter kind', () => {
    const offered = Object.values(KINDS).flatMap((k) => [...k.actions])
    expect([...offered].sort()).toEqual([...AuditAction.options].sort())
  })

  it('shows every read and grant change, newest first, in words, with the chain verified', async () => {
    const { p } = await withActivity()
    const page = await p.get('/log')
    expect(page.status).toBe(200)
    expect(text(page.html)).toMatch(/Log verified: all \d+ entries are intact/)
    const entries = timeline(page.html)
    const seqs = entries.map((e) => e[0])
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a))
    const vendorSide = entries
      .filter(([, action]) => action.startsWith('grant.'))
      .map(([, action, words]) => [
        action,
        words.replace(/^\S+ \S+ UTC /, '').replace(/ #\d+$/, ''),
      ])
    expect(vendorSide).toEqual([
      ['grant.refused', 'Book Nook was refused: the grant was revoked'],
      ['grant.revoked', 'You revoked a grant of Book Nook'],
      ['grant.read', 'Fjord Outdoor read Shoe size'],
      [
        'grant.narrowed',
        'You narrowed Fjord Outdoor&#39;s grant to Shoe size, Top size, Bottom size and 2 more, to provide the service you use',
      ],
      ['grant.read', 'Book Nook read Email'],
      ['grant.read', 'Fjord Outdoor read Email, Shoe size'],
      ['grant.created', 'You granted Book Nook access to Email, to provide the service you use'],
      [
        'grant.created',
        'You granted Fjord Outdoor access to Email, Shoe size, Top size, Bottom size and 2 more, to provide the service you use',
      ],
    ])
  })

  it('filters by vendor, by kind and by dates', async () => {
    const { p, fjord } = await withActivity()
    const reads = timeline((await p.get(`/log?vendor=${fjord.id}&kind=reads`)).html)
    expect(
      reads.map(([, a, w]) => [a, w.replace(/^\S+ \S+ UTC /, '').replace(/ #\d+$/, '')]),
    ).toEqual([
      ['grant.read', 'Fjord Outdoor read Shoe size'],
      ['grant.read', 'Fjord Outdoor read Email, Shoe size'],
    ])
    const changes = timeline((await p.get('/log?kind=grants')).html).map(([, a]) => a)
    expect(changes).toEqual(['grant.revoked', 'grant.narrowed', 'grant.created', 'grant.created'])
    const today = new Date().toISOString().slice(0, 10)
    expect(timeline((await p.get(`/log?kind=reads&from=${today}&to=${today}`)).html)).toHaveLength(
      3,
    )
    expect(timeline((await p.get('/log?kind=reads&to=2000-01-01')).html)).toHaveLength(0)
    const selected = await p.get(`/log?vendor=${fjord.id}`)
    expect(selected.html).toContain(`<option value="${fjord.id}" selected>Fjord Outdoor</option>`)
    const bad = await p.get('/log?from=yesterday')
    expect(bad.status).toBe(200)
    expect(bad.html).toContain('Some filters were not understood')
  })

  it('pages through older entries, keeping the filters', async () => {
    const { p, g1 } = await withActivity()
    for (let i = 0; i < 55; i++) await p.vault.readThroughGrant(g1.id)
    const first = await p.get('/log?kind=reads')
    const page1 = timeline(first.html)
    expect(page1).toHaveLength(50)
    const older = linkHref(first.html, 'Older entries') as string
    expect(older).toBe(`/log?kind=reads&before=${page1[49]?.[0]}`)
    const page2 = timeline((await p.get(older)).html)
    expect(page2).toHaveLength(58 - 50)
    expect(Math.max(...page2.map((e) => e[0]))).toBeLessThan(Math.min(...page1.map((e) => e[0])))
    expect(linkHref((await p.get(older)).html, 'Older entries')).toBeUndefined()
  })

  it('shows a broken chain, and where it breaks, after an entry is altered in the database', async () => {
    const { p } = await withActivity()
    const victim = (await p.vault.audit.list({ action: 'grant.read', limit: 1 }))[0]
    if (!victim) throw new Error('no read')
    const row = await p.tv.handle.db
      .selectFrom('audit')
      .select(['entry'])
      .where('seq', '=', victim.seq)
      .executeTakeFirstOrThrow()
    // Someone with the database file hides what a vendor read.
    await p.tv.handle.db
      .updateTable('audit')
      .set({ entry: row.entry.replace('"prefs.sizes.shoe"', '"name.given"') })
      .where('seq', '=', victim.seq)
      .execute()
    const page = await p.get('/log')
    expect(page.html).not.toContain('Log verified')
    expect(page.html).toContain('role="alert"')
    expect(text(page.html)).toContain(
      `Log damaged: the chain breaks at entry #${victim.seq} (an entry was altered)`,
    )
  })

  it('a damaged log stops vendor reads and shows a banner on every page until the owner acknowledges it here; the acknowledgement is in the log', async () => {
    const { p, g1 } = await withActivity()
    const victim = (await p.vault.audit.list({ action: 'grant.read', limit: 1 }))[0]
    if (!victim) throw new Error('no read')
    const row = await p.tv.handle.db
      .selectFrom('audit')
      .select(['entry'])
      .where('seq', '=', victim.seq)
      .executeTakeFirstOrThrow()
    await p.tv.handle.db
      .updateTable('audit')
      .set({ entry: row.entry.replace('"prefs.sizes.shoe"', '"name.given"') })
      .where('seq', '=', victim.seq)
      .execute()
    // Found by the page's verification: from now on, fail closed.
    const log = await p.get('/log')
    expect(text(log.html)).toContain('Acknowledge the damage')
    await expect(p.vault.readThroughGrant(g1.id)).rejects.toMatchObject({
      code: 'ERR_AUDIT_BROKEN',
    })
    const home = await p.get('/')
    expect(text(home.html)).toContain('Your access log has been tampered with.')
    expect(home.html).toContain('href="/log"')
    // Without the CSRF token nothing is acknowledged.
    expect((await p.post('/log/acknowledge', {}, { csrf: null })).status).toBe(403)
    await expect(p.vault.readThroughGrant(g1.id)).rejects.toMatchObject({
      code: 'ERR_AUDIT_BROKEN',
    })
    const after = await p.submit('/log/acknowledge')
    expect(text(after.html)).toContain('The damage is recorded in the log. Vendors can read again.')
    expect(text(after.html)).toContain(
      `You acknowledged earlier damage (an entry was altered, from entry #${victim.seq})`,
    )
    expect(timeline(after.html)[0]).toMatchObject([
      expect.any(Number),
      'audit.break_acknowledged',
      expect.stringContaining(
        `You acknowledged that the log was damaged (an entry was altered, from entry #${victim.seq})`,
      ),
    ])
    expect(text((await p.get('/')).html)).not.toContain('tampered with')
    await expect(p.vault.readThroughGrant(g1.id)).resolves.toBeDefined()
  })

  it('on a long log, verifies only when asked', async () => {
    const p = await pageClient()
    const app = await createApp({
      vault: p.vault,
      database: p.tv.handle,
      config: { issuer: ISSUER },
      pages: (kit) => new Hono().route('/log', accessLogPages(kit, { autoVerifyMax: 1 })),
    })
    const view = async (path: string) =>
      (await app.request(path, { headers: { cookie: p.cookie } })).text()
    const size = (await p.vault.audit.list({ limit: 1 }))[0]?.seq as number
    expect(size).toBeGreaterThan(1)
    const skipped = await view('/log?kind=vault')
    expect(text(skipped)).toContain(`The log has ${size} entries`)
    expect(skipped).not.toContain('Log verified')
    expect(linkHref(skipped, 'Verify now')).toBe('/log?kind=vault&verify=1')
    expect(text(await view('/log?kind=vault&verify=1'))).toMatch(
      /Log verified: all \d+ entries are intact/,
    )
  })

  it('says in plain words who was refused, why and how often, what vendors looked at, and where locks, unlocks and sign-ins came from', async () => {
    const { p, fjord, nook, g1, g2 } = await withActivity()
    // Nook's grant is revoked: a burst of refused reads is one entry now and one with the count.
    for (let i = 0; i < 4; i++)
      await p.vault.readThroughGrant(g2.id, { vendorId: nook.id }).catch(() => undefined)
    // Fjord's token pointed at Nook's grant; a token that matches nothing.
    await p.vault.readThroughGrant(g2.id, { vendorId: fjord.id }).catch(() => undefined)
    await p.vault.access.refuseUnknownCredential()
    await p.vault.access.authorize(g1.id, { vendorId: fjord.id, record: 'grant.viewed' })
    await p.vault.access.authorize(g1.id, { vendorId: fjord.id, record: 'token.issued' })
    await p.vault.access.authorize(g1.id, { vendorId: fjord.id, record: 'token.refreshed' })
    await p.vault.access
      .authorize(g1.id, { vendorId: fjord.id, credential: 'ERR_TOKEN_USED' })
      .catch(() => undefined)
    await p.vault.lock({ origin: 'cli' })
    await p.vault.unlock(PASSPHRASE, { origin: 'browser' })
    await p.vault.verifyOwner(PASSPHRASE, { origin: 'api' })
    const words = timeline((await p.get('/log')).html).map(([, action, w]) => [
      action,
      w.replace(/^\S+ \S+ UTC /, '').replace(/ #\d+$/, ''),
    ])
    expect(words.slice(0, 11)).toEqual([
      ['owner.authenticated', 'You signed in through the API'],
      ['vault.unlocked', 'The vault was unlocked (passphrase) in the browser'],
      ['vault.locked', 'The vault was locked from the command line'],
      // Written at the lock: the rest of the burst the first refusal (the oldest line) opened.
      ['grant.refused', 'Book Nook was refused 4 more times: the grant was revoked'],
      [
        'grant.refused',
        'Fjord Outdoor was refused: it presented a refresh token or code that was already used',
      ],
      ['token.refreshed', 'Fjord Outdoor renewed its access (refresh token)'],
      ['token.issued', 'Fjord Outdoor received its access tokens'],
      ['grant.viewed', 'Fjord Outdoor looked at what its grant allows'],
      ['grant.refused', 'A request with an access token that matches none issued was refused'],
      [
        'grant.refused',
        'Fjord Outdoor was refused: it used a token for a grant that is not its own',
      ],
      ['grant.refused', 'Book Nook was refused: the grant was revoked'],
    ])
    // The refusals filter holds them all; the vendor filter finds Fjord's refusal on Nook's grant.
    expect(
      timeline((await p.get(`/log?vendor=${fjord.id}&kind=refused`)).html).map(([, a]) => a),
    ).toEqual(['grant.refused', 'grant.refused'])
    expect(timeline((await p.get('/log?kind=tokens')).html).map(([, a]) => a)).toEqual([
      'token.refreshed',
      'token.issued',
    ])
  })

  it('needs a session', async () => {
    const { p } = await withActivity()
    const res = await p.get('/log', { anonymous: true })
    expect(res.status).toBe(303)
    expect(res.html).not.toContain('Fjord')
  })
})
