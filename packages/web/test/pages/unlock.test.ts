import { afterEach, describe, expect, it } from 'vitest'
import { localNext } from '../../src/pages/local-next.js'
import {
  PASSPHRASE,
  type PagesFixture,
  signedInPages,
  textOf,
  unlabelledControls,
} from '../support/web-fixture.js'

/** Locks the vault through the page's Lock button, as the owner would. */
async function lock(f: PagesFixture): Promise<void> {
  const res = await f.browser.post('/lock', { csrf_token: await f.browser.csrf('/') })
  expect([res.status, res.headers.get('location')]).toEqual([303, '/unlock?locked=1'])
}

describe('lock, unlock and sign-in pages (issue 4, web app 2)', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('Lock needs the CSRF token; with it, it seals the vault and ends every session', async () => {
    f = await signedInPages()
    await f.other.post('/signin', { passphrase: PASSPHRASE })
    const forged = await f.browser.post('/lock', {})
    expect(forged.status).toBe(403)
    expect(f.vault.isUnsealed()).toBe(true)

    await lock(f)
    expect(f.vault.isUnsealed()).toBe(false)
    expect(f.browser.hasSession).toBe(false)
    const unlockPage = await f.browser.get('/unlock?locked=1')
    expect(unlockPage.status).toBe(200)
    const html = await unlockPage.text()
    expect(unlabelledControls(html)).toEqual([])
    expect(html).toMatch(/<button type="submit">Unlock<\/button>/)
    // Every page now leads to /unlock — the other browser's session is gone too.
    for (const path of ['/', '/settings', '/signin'])
      expect((await f.other.get(path)).headers.get('location')).toBe('/unlock')
  })

  it('says plainly when a secret is wrong, and unlocks with the passphrase into the page asked for', async () => {
    f = await signedInPages()
    await lock(f)
    const wrong = await f.browser.post('/unlock', { passphrase: 'not the passphrase at all' })
    expect(wrong.status).toBe(401)
    const page = await wrong.text()
    expect(textOf(page)).toContain('That was not accepted')
    expect(page).toMatch(
      /id="passphrase"[^>]*aria-describedby="passphrase-error" aria-invalid="true"/,
    )
    expect(f.vault.isUnsealed()).toBe(false)

    const ok = await f.browser.post('/unlock', { passphrase: PASSPHRASE, next: '/settings' })
    expect([ok.status, ok.headers.get('location')]).toEqual([303, '/settings'])
    expect(f.vault.isUnsealed()).toBe(true)
    expect((await f.browser.get('/settings')).status).toBe(200)
  })

  it('unlocks with the recovery key, and tells a mistyped key apart', async () => {
    f = await signedInPages()
    await lock(f)
    const typo = await f.browser.post('/unlock', { recovery_key: 'CUSTOS-NOT-A-KEY' })
    expect(typo.status).toBe(400)
    expect(textOf(await typo.text())).toContain('does not look like a recovery key')
    const ok = await f.browser.post('/unlock', { recovery_key: f.testVault?.recoveryKey as string })
    // Issue 10: a recovery key means a forgotten passphrase, so the browser goes on to choose a new one.
    expect([ok.status, ok.headers.get('location')]).toEqual([303, '/settings#passphrase-h'])
    expect(f.vault.isUnsealed()).toBe(true)
    expect((await f.browser.get('/')).status).toBe(200)
  })

  it('shows throttling honestly: how long to wait, on the refused attempt and on the page', async () => {
    const now = new Date('2026-05-01T10:00:00Z')
    f = await signedInPages({ now: () => now })
    await lock(f)
    for (let i = 0; i < 5; i++)
      expect(
        (await f.browser.post('/unlock', { passphrase: `wrong guess number ${i}` })).status,
      ).toBe(401)
    const blocked = await f.browser.post('/unlock', { passphrase: PASSPHRASE })
    expect(blocked.status).toBe(429)
    expect(textOf(await blocked.text())).toContain(
      'Too many wrong attempts. Try again in 30 seconds (at 10:00 UTC).',
    )
    expect(f.vault.isUnsealed()).toBe(false)
    expect(textOf(await (await f.browser.get('/unlock')).text())).toContain(
      'Try again in 30 seconds',
    )
  })

  it('sign-in returns only to local pages: an open redirect through next is refused', async () => {
    f = await signedInPages()
    f.browser.forgetCookies()
    const gated = await f.browser.get('/settings')
    expect(gated.headers.get('location')).toBe('/signin?next=%2Fsettings')
    for (const evil of [
      '//evil.example',
      'https://evil.example/',
      '/\\evil.example',
      '/%2F%2Fevil.example',
      '/profile/../../x',
      'javascript:alert(1)',
    ]) {
      f.browser.forgetCookies()
      const res = await f.browser.post('/signin', { passphrase: PASSPHRASE, next: evil })
      expect([evil, res.status, res.headers.get('location')]).toEqual([evil, 303, '/'])
    }
    f.browser.forgetCookies()
    const page = await (await f.browser.get('/signin?next=//evil.example')).text()
    expect(page).not.toContain('evil.example')
    const ok = await f.browser.post('/signin', { passphrase: PASSPHRASE, next: '/settings' })
    expect(ok.headers.get('location')).toBe('/settings')
    expect(localNext('/purchases/new')).toBe('/purchases/new')
    expect(localNext('/elsewhere')).toBeUndefined()
  })

  it('a wrong sign-in passphrase is refused; the idle sign-out says why and that vendors still read', async () => {
    f = await signedInPages()
    const wrong = await f.other.post('/signin', { passphrase: 'certainly not it, no' })
    expect(wrong.status).toBe(401)
    expect(f.other.hasSession).toBe(false)
    const idle = await (await f.other.get('/signin?idle=1')).text()
    expect(textOf(idle)).toContain('Signed out after 15 minutes without activity')
    expect(textOf(idle)).toContain('still unlocked for the vendors')
    expect(unlabelledControls(idle)).toEqual([])
  })

  it('ends the session after 15 idle minutes (the vault stays unsealed); activity keeps it alive', async () => {
    let now = new Date('2026-05-01T10:00:00Z')
    f = await signedInPages({ now: () => now })
    now = new Date(now.getTime() + 14 * 60_000)
    expect((await f.browser.get('/settings')).status).toBe(200)
    now = new Date(now.getTime() + 14 * 60_000)
    expect((await f.browser.get('/settings')).status).toBe(200)
    now = new Date(now.getTime() + 15 * 60_000 + 1000)
    const res = await f.browser.get('/settings')
    expect([res.status, res.headers.get('location')]).toEqual([303, '/signin?next=%2Fsettings'])
    expect(f.vault.isUnsealed()).toBe(true)
  })

  it('lock, unlock and sign-in from these pages are in the access log as coming from the browser (issue "P1 — Trust")', async () => {
    f = await signedInPages()
    await lock(f)
    expect(
      (await f.browser.post('/unlock', { passphrase: 'not the passphrase at all' })).status,
    ).toBe(401)
    expect((await f.browser.post('/unlock', { passphrase: PASSPHRASE })).status).toBe(303)
    expect((await f.other.post('/signin', { passphrase: PASSPHRASE })).status).toBe(303)
    const entries = await f.vault.audit.list({
      action: ['owner.authenticated', 'vault.locked', 'vault.unlock_failed', 'vault.unlocked'],
    })
    expect(entries.reverse().map((e) => [e.action, e.origin])).toEqual([
      ['owner.authenticated', 'browser'],
      ['vault.locked', 'browser'],
      ['vault.unlock_failed', 'browser'],
      ['vault.unlocked', 'browser'],
      ['owner.authenticated', 'browser'],
    ])
  })
})
