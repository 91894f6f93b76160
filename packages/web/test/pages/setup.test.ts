import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { checkPassphrase } from '@custos/vault'
import {
  PASSPHRASE,
  type PagesFixture,
  signedInPages,
  textOf,
  uninitializedPages,
  unlabelledControls,
} from '../support/web-fixture.js'

const GOOD = 'maple river lantern quietly'

describe('set-up page (issue 4, web app 1)', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('sends every page to /setup until a vault exists, and the form is labelled under a strict CSP', async () => {
    f = await uninitializedPages()
    for (const path of ['/', '/profile', '/settings', '/unlock', '/signin']) {
      const res = await f.browser.get(path)
      expect([res.status, res.headers.get('location')]).toEqual([303, '/setup'])
    }
    const res = await f.browser.get('/setup')
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    const page = await res.text()
    expect(unlabelledControls(page)).toEqual([])
    expect(page).toContain('data-strength="strength"')
    expect(page).toMatch(/<button type="submit">Create my vault<\/button>/)
  })

  it('refuses a weak passphrase and a mismatched confirmation in place, creating nothing', async () => {
    f = await uninitializedPages()
    // Twenty times "a" is long enough for a length rule, and guessed at once (the vault's policy decides).
    const weak = await f.browser.post('/setup', {
      passphrase: 'a'.repeat(20),
      confirm: 'a'.repeat(20),
    })
    expect(weak.status).toBe(400)
    const weakPage = await weak.text()
    expect(textOf(weakPage)).toContain(
      'The passphrase is too easy to guess. Repeated characters are easy to guess.',
    )
    expect(weakPage).not.toContain('a'.repeat(20))
    expect(weakPage).toMatch(
      /id="passphrase"[^>]*aria-invalid="true" aria-describedby="passphrase-hint passphrase-error"/,
    )
    expect(weakPage).toContain('id="passphrase-error" role="alert"')

    const short = await f.browser.post('/setup', { passphrase: 'password1', confirm: 'password1' })
    expect(short.status).toBe(400)
    expect(textOf(await short.text())).toContain(
      'The passphrase is too short: use at least 14 characters.',
    )

    const mismatch = await f.browser.post('/setup', { passphrase: GOOD, confirm: `${GOOD}!` })
    expect(mismatch.status).toBe(400)
    expect(textOf(await mismatch.text())).toContain('The two passphrases are not the same')
    // The passphrase is never written back into the page.
    expect(
      await (await f.browser.post('/setup', { passphrase: GOOD, confirm: 'x' })).text(),
    ).not.toContain(GOOD)

    expect((await f.vault.status()).state).toBe('uninitialized')
    expect(f.browser.hasSession).toBe(false)
  })

  it('creates the vault, shows the recovery key once, signs in, and "I saved it" leads to the profile', async () => {
    f = await uninitializedPages()
    const res = await f.browser.post('/setup', { passphrase: GOOD, confirm: GOOD })
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const page = await res.text()
    const recoveryKey = /<p class="recovery" id="recovery-key">([^<]+)<\/p>/.exec(page)?.[1]
    expect(recoveryKey).toMatch(/^CUSTOS-/)
    expect(textOf(page)).toContain('shown only this once')
    expect(f.browser.hasSession).toBe(true)
    expect((await f.vault.status()).state).toBe('unsealed')

    // The key works (it is the vault's real recovery key) ...
    await expect(
      f.vault.verifyOwner({ recoveryKey: recoveryKey as string }),
    ).resolves.toBeUndefined()
    // ... and no later page shows it again.
    const again = await f.browser.get('/setup')
    expect([again.status, again.headers.get('location')]).toEqual([303, '/'])
    for (const path of ['/', '/profile', '/settings'])
      expect(await (await f.browser.get(path)).text()).not.toContain(recoveryKey)

    const token = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1] as string
    const unticked = await f.browser.post('/setup/done', { csrf_token: token })
    expect(unticked.status).toBe(400)
    const done = await f.browser.post('/setup/done', { csrf_token: token, saved: 'yes' })
    expect([done.status, done.headers.get('location')]).toEqual([303, '/profile?welcome=1'])
    expect((await f.browser.get('/profile?welcome=1')).status).toBe(200)
  })

  it('lets only one of two racing browsers create the vault; the other is told clearly', async () => {
    f = await uninitializedPages()
    const [a, b] = await Promise.all([
      f.browser.post('/setup', { passphrase: GOOD, confirm: GOOD }),
      f.other.post('/setup', { passphrase: `${GOOD} two`, confirm: `${GOOD} two` }),
    ])
    expect([a.status, b.status].sort()).toEqual([201, 409])
    const loser = a.status === 409 ? a : b
    expect(textOf(await loser.text())).toContain('A vault was already created here')
    // The winner's passphrase is the vault's.
    const winnerPassphrase = a.status === 201 ? GOOD : `${GOOD} two`
    await expect(f.vault.verifyOwner(winnerPassphrase)).resolves.toBeUndefined()
    // A later set-up attempt changes nothing either.
    const late = await f.other.post('/setup', {
      passphrase: 'another long passphrase here',
      confirm: 'another long passphrase here',
    })
    expect(late.status).toBe(409)
    await expect(f.vault.verifyOwner(winnerPassphrase)).resolves.toBeUndefined()
  })

  it('refuses a set-up form posted from another site (login CSRF)', async () => {
    f = await uninitializedPages()
    const res = await f.browser.post(
      '/setup',
      { passphrase: GOOD, confirm: GOOD },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    )
    expect(res.status).toBe(403)
    expect((await f.vault.status()).state).toBe('uninitialized')
  })

  it('restores a backup on a new machine instead of creating an empty vault', async () => {
    const old = await signedInPages()
    try {
      await old.vault.fields.set('name.given', 'Ada')
      const backupRes = await old.browser.post('/settings/backup', {
        csrf_token: await old.browser.csrf(),
      })
      const backup = new Uint8Array(await backupRes.arrayBuffer())
      f = await uninitializedPages()
      const upload = (bytes: Uint8Array, passphrase: string) => {
        const form = new FormData()
        form.set('backup', new File([bytes], 'custos-backup.custos'))
        form.set('backup_passphrase', passphrase)
        return f.browser.post('/setup/restore', form)
      }
      const cut = await upload(backup.subarray(0, backup.length - 30), PASSPHRASE)
      expect(cut.status).toBe(400)
      expect(textOf(await cut.text())).toContain('not a complete, unaltered Custos backup')
      expect((await f.vault.status()).state).toBe('uninitialized')

      const res = await upload(backup, PASSPHRASE)
      expect([res.status, res.headers.get('location')]).toEqual([303, '/?restored=1'])
      expect(f.browser.hasSession).toBe(true)
      expect(await f.vault.fields.get('name.given')).toBe('Ada')
      expect((await f.browser.get('/')).status).toBe(200)
    } finally {
      await old.dispose()
    }
  })
})

describe('passphrase strength', () => {
  it('the browser meter (custos.js) approximates the server: "Good" or better exactly for what the vault accepts, on these samples', async () => {
    const script = readFileSync(new URL('../../assets/custos.js', import.meta.url), 'utf8')
    const source = /function strength\(p\) \{[\s\S]*?\n {2}\}/.exec(script)?.[0]
    expect(source).toBeDefined()
    const meter = new Function(`${source}; return strength`)() as (p: string) => number
    const samples = [
      '',
      'short',
      'password',
      'password12',
      'correcthorse',
      'a'.repeat(20),
      'passwordpassword',
      'iloveyouiloveyou',
      'abcdefghijklmnopqrst',
      '12345678901234567890',
      'qwertyuiopasdfgh',
      'fig yak quartz',
      'four short words here',
      'Tr0ub4dor&3xyz',
      'correct horse battery staple',
      'orbit velvet canyon sparrow',
      'Ünïcödé wörds ärë fïnë tôô',
    ]
    for (const p of samples) expect([p, meter(p) >= 3]).toEqual([p, (await checkPassphrase(p)).ok])
  })
})
