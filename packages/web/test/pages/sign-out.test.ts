import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE, type PagesFixture, signedInPages, textOf } from '../support/web-fixture.js'

/**
 * Sign out (SECURITY.md 24): on a shared computer the owner leaves without waiting 15 minutes and
 * without locking vendors out — this browser's session ends, nothing else does.
 */
describe('Sign out', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('ends this browser’s session only; the vault stays unlocked; it needs the CSRF token', async () => {
    f = await signedInPages()
    await f.other.post('/signin', { passphrase: PASSPHRASE })
    const token = await f.browser.csrf('/')
    expect((await f.browser.get('/')).status).toBe(200)
    expect(await (await f.browser.get('/')).text()).toMatch(
      /<form method="post" action="\/signout" class="inline"><input type="hidden" name="csrf_token" value="[^"]+"><button type="submit" class="secondary">Sign out<\/button><\/form>/,
    )

    expect((await f.browser.post('/signout', {})).status).toBe(403)
    const out = await f.browser.post('/signout', { csrf_token: token })
    expect([out.status, out.headers.get('location')]).toEqual([303, '/signin?signedout=1'])
    expect(f.browser.hasSession).toBe(false)
    expect(textOf(await (await f.browser.get('/signin?signedout=1')).text())).toContain(
      'You are signed out in this browser',
    )
    expect(f.vault.isUnsealed()).toBe(true)
    expect((await f.other.get('/settings')).status).toBe(200)
  })
})
