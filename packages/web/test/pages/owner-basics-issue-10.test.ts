/**
 * Issue 10, "the owner": a forgotten passphrase was a dead end in the browser (sign in with the
 * recovery key, then Settings asked for the old passphrase), and the basics a password-manager
 * user expects — the plaintext export asks for the passphrase again, the recovery key can be
 * copied, downloaded and printed, Settings lists the signed-in browsers with "sign out", and a
 * passphrase change shows that it is working.
 */
import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import {
  PASSPHRASE,
  type PagesFixture,
  signedInPages,
  textOf,
  uninitializedPages,
  unlabelledControls,
} from '../support/web-fixture.js'

const NEXT = 'tangerine glacier whistle parade'
let f: PagesFixture | undefined
afterEach(async () => {
  await f?.dispose()
  f = undefined
})

function clock() {
  let now = new Date('2026-12-04T10:00:00Z')
  return {
    now: () => now,
    advance: (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000)),
  }
}

describe('issue 10: a forgotten passphrase, completed in the browser', () => {
  it('after a sign-in with the recovery key, Settings offers a new passphrase without the old one, once', async () => {
    f = await signedInPages()
    const recoveryKey = f.testVault?.recoveryKey as string
    const signin = await f.other.post('/signin', { recovery_key: recoveryKey })
    expect([signin.status, signin.headers.get('location')]).toEqual([303, '/settings#passphrase-h'])
    const page = await (await f.other.get('/settings')).text()
    expect(page).not.toContain('name="current_passphrase"')
    expect(textOf(page)).toContain('Choose a new passphrase')
    expect(textOf(page)).toContain('The old one is not needed')
    expect(unlabelledControls(page)).toEqual([])

    // The browser that signed in with the passphrase still has to give it.
    const passphraseSession = await (await f.browser.get('/settings')).text()
    expect(passphraseSession).toContain('name="current_passphrase"')
    const refused = await f.browser.post('/settings/passphrase', {
      csrf_token: await f.browser.csrf(),
      new_passphrase: NEXT,
      confirm_passphrase: NEXT,
    })
    expect(refused.status).toBe(400)
    await expect(f.vault.verifyOwner(PASSPHRASE)).resolves.toBeUndefined()

    // The recovery policy still applies: a weak one is refused in place.
    const token = await f.other.csrf()
    const weak = await f.other.post('/settings/passphrase', {
      csrf_token: token,
      new_passphrase: 'passwordpassword',
      confirm_passphrase: 'passwordpassword',
    })
    expect(weak.status).toBe(400)
    expect(textOf(await weak.text())).toContain('too easy to guess')

    const ok = await f.other.post('/settings/passphrase', {
      csrf_token: token,
      new_passphrase: NEXT,
      confirm_passphrase: NEXT,
    })
    expect([ok.status, ok.headers.get('location')]).toEqual([303, '/settings?done=passphrase'])
    await expect(f.vault.verifyOwner(NEXT)).resolves.toBeUndefined()
    await expect(f.vault.verifyOwner(PASSPHRASE)).rejects.toMatchObject({
      code: 'ERR_UNLOCK_FAILED',
    })
    // The window is spent: the fresh session asks for the (new) current passphrase again.
    expect(await (await f.other.get('/settings?done=passphrase')).text()).toContain(
      'name="current_passphrase"',
    )
    // Every other browser was signed out.
    expect((await f.browser.get('/settings')).status).toBe(303)
  })

  it('an unlock with the recovery key opens the same path', async () => {
    f = await signedInPages()
    await f.vault.lock()
    const unlock = await f.other.post('/unlock', {
      recovery_key: f.testVault?.recoveryKey as string,
    })
    expect([unlock.status, unlock.headers.get('location')]).toEqual([303, '/settings#passphrase-h'])
    const ok = await f.other.post('/settings/passphrase', {
      csrf_token: await f.other.csrf(),
      new_passphrase: NEXT,
      confirm_passphrase: NEXT,
    })
    expect(ok.status).toBe(303)
    await expect(f.vault.verifyOwner(NEXT)).resolves.toBeUndefined()
  })

  it('the window closes after 15 minutes, even in an active session', async () => {
    const c = clock()
    f = await signedInPages({ now: c.now })
    await f.other.post('/signin', { recovery_key: f.testVault?.recoveryKey as string })
    c.advance(10)
    expect(await (await f.other.get('/settings')).text()).not.toContain('name="current_passphrase"')
    c.advance(6)
    const page = await (await f.other.get('/settings')).text()
    expect(page).toContain('name="current_passphrase"')
    const refused = await f.other.post('/settings/passphrase', {
      csrf_token: await f.other.csrf(),
      new_passphrase: NEXT,
      confirm_passphrase: NEXT,
    })
    expect(refused.status).toBe(400)
    await expect(f.vault.verifyOwner(PASSPHRASE)).resolves.toBeUndefined()
  })

  it('the window is in the authenticated session row: opening it by editing the database signs the session out', async () => {
    f = await signedInPages()
    await sql`update owner_sessions set recovery_until = ${'2099-01-01T00:00:00.000Z'}`.execute(
      f.testVault!.handle.db,
    )
    const res = await f.browser.get('/settings')
    expect([res.status, res.headers.get('location')]).toEqual([303, '/signin?next=%2Fsettings'])
  })
})

describe('issue 10: the basics of a password manager', () => {
  it('the plaintext export asks for the passphrase again (checked by the vault, audited)', async () => {
    f = await signedInPages()
    const page = await (await f.browser.get('/settings')).text()
    expect(page).toMatch(
      /<form method="post" action="\/settings\/export">[\s\S]*?name="passphrase"[\s\S]*?<\/form>/,
    )
    const token = await f.browser.csrf()
    const missing = await f.browser.post('/settings/export', { csrf_token: token })
    expect(missing.status).toBe(400)
    expect(missing.headers.get('content-disposition')).toBeNull()
    const wrong = await f.browser.post('/settings/export', {
      csrf_token: token,
      passphrase: 'not my passphrase',
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('content-disposition')).toBeNull()
    expect(textOf(await wrong.text())).toContain('Nothing was exported')
    const proofs = async () =>
      (await f!.vault.audit.list()).filter((e) => e.action === 'owner.authenticated').length
    const before = await proofs()
    const ok = await f.browser.post('/settings/export', {
      csrf_token: token,
      passphrase: PASSPHRASE,
    })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-disposition')).toMatch(/^attachment; filename="custos-export-/)
    expect(await proofs()).toBe(before + 1)
    expect((await f.vault.audit.list()).filter((e) => e.action === 'vault.exported')).toHaveLength(
      1,
    )
  })

  it('the recovery key page has a download that needs no script, and copy and print buttons for custos.js', async () => {
    f = await uninitializedPages()
    const page = await (
      await f.browser.post('/setup', {
        passphrase: 'correct horse battery staple',
        confirm: 'correct horse battery staple',
      })
    ).text()
    const key = /<p class="recovery" id="recovery-key">([^<]+)<\/p>/.exec(page)?.[1] as string
    const link =
      /<a class="button secondary" href="(data:text\/plain;charset=utf-8,[^"]+)" download="custos-recovery-key.txt">/.exec(
        page,
      )?.[1]
    expect(link).toBeDefined()
    expect(
      decodeURIComponent(
        (link as string).replace('data:text/plain;charset=utf-8,', '').replace(/&amp;/g, '&'),
      ),
    ).toContain(key)
    expect(page).toMatch(
      /<button type="button" class="secondary" data-copy="recovery-key"[^>]* hidden>Copy<\/button>/,
    )
    expect(page).toMatch(
      /<button type="button" class="secondary" data-print hidden>Print<\/button>/,
    )
    const script = readFileSync(new URL('../../assets/custos.js', import.meta.url), 'utf8')
    for (const hook of ['button[data-copy]', 'button[data-print]', 'form[data-busy]'])
      expect(script).toContain(hook)
  })

  it('Settings lists the signed-in browsers, and signs out one or all others', async () => {
    f = await signedInPages()
    await f.other.post('/signin', { passphrase: PASSPHRASE })
    const page = await (await f.browser.get('/settings')).text()
    const text = textOf(page)
    expect(text).toContain('Signed-in browsers')
    expect(text).toContain('This browser')
    expect(text).toContain('Another browser')
    expect(unlabelledControls(page)).toEqual([])
    const handle = /name="session" value="([0-9a-f]{32})"/.exec(page)?.[1] as string
    expect(handle).toBeDefined()
    const token = await f.browser.csrf()
    const out = await f.browser.post('/settings/sessions/signout', {
      csrf_token: token,
      session: handle,
    })
    expect([out.status, out.headers.get('location')]).toEqual([
      303,
      '/settings?done=session-ended#sessions-h',
    ])
    expect((await f.other.get('/settings')).status).toBe(303)
    expect((await f.browser.get('/settings')).status).toBe(200)
    const again = await f.browser.post('/settings/sessions/signout', {
      csrf_token: token,
      session: handle,
    })
    expect(again.status).toBe(404)

    const third = f.other
    third.forgetCookies()
    await third.post('/signin', { passphrase: PASSPHRASE })
    expect(textOf(await (await f.browser.get('/settings')).text())).toContain('Another browser')
    const all = await f.browser.post('/settings/sessions/signout-others', { csrf_token: token })
    expect(all.status).toBe(303)
    expect((await third.get('/settings')).status).toBe(303)
    const alone = textOf(await (await f.browser.get('/settings')).text())
    expect(alone).toContain('No other browser is signed in.')
  })

  it('the passphrase form says it takes seconds and carries the progress hook', async () => {
    f = await signedInPages()
    const page = await (await f.browser.get('/settings')).text()
    expect(page).toMatch(
      /<form method="post" action="\/settings\/passphrase" data-busy="passphrase-busy">/,
    )
    expect(page).toMatch(
      /<p class="busy" id="passphrase-busy" role="status" hidden><progress aria-label="Changing the passphrase"><\/progress>/,
    )
    expect(textOf(page)).toContain('Changing the passphrase takes a few seconds')
  })
})
