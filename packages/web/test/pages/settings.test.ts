import { sql } from 'kysely'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { VaultExport } from '@custos/vault'
import {
  PASSPHRASE,
  type PagesFixture,
  signedInPages,
  textOf,
  unlabelledControls,
} from '../support/web-fixture.js'

const NEW_PASSPHRASE = 'tangerine glacier whistle parade'

async function downloadBackup(f: PagesFixture): Promise<Uint8Array> {
  const res = await f.browser.post('/settings/backup', { csrf_token: await f.browser.csrf() })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-disposition')).toMatch(
    /^attachment; filename="custos-backup-\d{4}-\d{2}-\d{2}\.custos"$/,
  )
  return new Uint8Array(await res.arrayBuffer())
}

function restoreForm(token: string, backup: Uint8Array, secret: Record<string, string>): FormData {
  const form = new FormData()
  form.set('csrf_token', token)
  form.set(
    'backup',
    new File([backup], 'custos-backup.custos', { type: 'application/octet-stream' }),
  )
  for (const [k, v] of Object.entries(secret)) form.set(k, v)
  return form
}

describe('settings page (issue 4, web app 9)', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('has a labelled form for each setting and the stable button texts', async () => {
    f = await signedInPages()
    const res = await f.browser.get('/settings')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline')
    const page = await res.text()
    expect(unlabelledControls(page)).toEqual([])
    for (const button of [
      'Change passphrase',
      'Rotate keys',
      'Download export',
      'Download backup',
      'Restore',
      'Delete my vault',
      'Lock',
    ]) {
      expect(page).toMatch(new RegExp(`<button type="submit"[^>]*>${button}</button>`))
    }
    expect(page).toContain('enctype="multipart/form-data"')
  })

  it('changes the passphrase after checking the current one, and signs other browsers out', async () => {
    f = await signedInPages()
    await f.other.post('/signin', { passphrase: PASSPHRASE })
    const token = await f.browser.csrf()
    const wrong = await f.browser.post('/settings/passphrase', {
      csrf_token: token,
      current_passphrase: 'not my passphrase',
      new_passphrase: NEW_PASSPHRASE,
      confirm_passphrase: NEW_PASSPHRASE,
    })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toMatch(
      /id="current-error" role="alert">That is not your current passphrase.</,
    )
    const short = await f.browser.post('/settings/passphrase', {
      csrf_token: token,
      current_passphrase: PASSPHRASE,
      new_passphrase: 'short1234',
      confirm_passphrase: 'short1234',
    })
    expect(short.status).toBe(400)
    expect(textOf(await short.text())).toContain('too short: use at least 14 characters')
    const weak = await f.browser.post('/settings/passphrase', {
      csrf_token: token,
      current_passphrase: PASSPHRASE,
      new_passphrase: 'passwordpassword',
      confirm_passphrase: 'passwordpassword',
    })
    expect(weak.status).toBe(400)
    expect(textOf(await weak.text())).toContain('too easy to guess')
    await expect(f.vault.verifyOwner(PASSPHRASE)).resolves.toBeUndefined()

    const ok = await f.browser.post('/settings/passphrase', {
      csrf_token: token,
      current_passphrase: PASSPHRASE,
      new_passphrase: NEW_PASSPHRASE,
      confirm_passphrase: NEW_PASSPHRASE,
    })
    expect([ok.status, ok.headers.get('location')]).toEqual([303, '/settings?done=passphrase'])
    await expect(f.vault.verifyOwner(NEW_PASSPHRASE)).resolves.toBeUndefined()
    await expect(f.vault.verifyOwner(PASSPHRASE)).rejects.toMatchObject({
      code: 'ERR_UNLOCK_FAILED',
    })
    // This browser holds a fresh session (the old CSRF token is dead); the other one is signed out.
    const page = await f.browser.get('/settings?done=passphrase')
    expect(page.status).toBe(200)
    expect(textOf(await page.text())).toContain('Your passphrase is changed')
    expect((await f.browser.post('/settings/rotate', { csrf_token: token })).status).toBe(403)
    expect((await f.other.get('/settings')).headers.get('location')).toBe(
      '/signin?next=%2Fsettings',
    )
  })

  it('rotates keys in the background, showing progress until done', async () => {
    f = await signedInPages()
    await f.vault.fields.setMany({ 'name.given': 'Ada', email: 'ada@example.org' })
    const before = await f.vault.status()
    const res = await f.browser.post('/settings/rotate', { csrf_token: await f.browser.csrf() })
    expect(res.status).toBe(303)
    const first = await (await f.browser.get('/settings')).text()
    // Either still running (a progress bar that reloads itself) or already finished.
    expect(first).toMatch(
      /<progress aria-labelledby="rotation-label" data-poll-reload="1500"|Keys rotated/,
    )
    await vi.waitFor(
      async () =>
        expect(textOf(await (await f.browser.get('/settings')).text())).toContain(
          'Keys rotated: everything is now encrypted under key',
        ),
      { timeout: 30_000, interval: 100 },
    )
    const after = await f.vault.status()
    expect(after.state === 'unsealed' && before.state === 'unsealed' && after.currentTerm).toBe(
      before.state === 'unsealed' ? before.currentTerm + 1 : -1,
    )
    expect(await f.vault.fields.get('email')).toBe('ada@example.org')
  })

  it('downloads the export as JSON that parses as a custos-export', async () => {
    f = await signedInPages()
    await f.vault.fields.set('name.given', 'Ada')
    const csrfMissing = await f.browser.post('/settings/export', {})
    expect(csrfMissing.status).toBe(403)
    // Issue 10: a plaintext export asks for the passphrase again.
    const res = await f.browser.post('/settings/export', {
      csrf_token: await f.browser.csrf(),
      passphrase: PASSPHRASE,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="custos-export-\d{4}-\d{2}-\d{2}\.json"$/,
    )
    const doc = VaultExport.parse(await res.json())
    expect(JSON.stringify(doc)).toContain('"Ada"')
  })

  it('restores a downloaded backup: contents come back and every session ends', async () => {
    f = await signedInPages()
    await f.vault.fields.set('name.given', 'Ada')
    // Larger than the app's default 64 KiB body limit: the restore form has its own.
    const filler = Object.fromEntries(
      Array.from({ length: 24 }, (_, i) => [`custom.filler${i}`, `${i}`.padEnd(4000, 'x')]),
    )
    await f.vault.fields.setMany(filler)
    const backup = await downloadBackup(f)
    expect(backup.length).toBeGreaterThan(64 * 1024)
    await f.vault.fields.set('name.given', 'Changed after the backup')
    await f.vault.fields.set('email', 'later@example.org')

    const token = await f.browser.csrf()
    const wrong = await f.browser.post(
      '/settings/restore',
      restoreForm(token, backup, { backup_passphrase: 'not the passphrase' }),
    )
    expect(wrong.status).toBe(401)
    expect(textOf(await wrong.text())).toContain('does not open this backup')
    expect(await f.vault.fields.get('email')).toBe('later@example.org')

    const res = await f.browser.post(
      '/settings/restore',
      restoreForm(token, backup, { backup_recovery_key: f.testVault?.recoveryKey as string }),
    )
    expect([res.status, res.headers.get('location')]).toEqual([303, '/signin?restored=1'])
    expect(f.browser.hasSession).toBe(false)
    expect(await f.vault.fields.get('name.given')).toBe('Ada')
    expect(await f.vault.fields.get('email')).toBeUndefined()
    expect(await f.vault.fields.get('custom.filler23')).toBe(filler['custom.filler23'])
    expect(textOf(await (await f.browser.get('/signin?restored=1')).text())).toContain(
      'The backup was restored',
    )
    expect((await f.browser.post('/signin', { passphrase: PASSPHRASE })).status).toBe(303)
  })

  it('refuses a truncated or altered backup with a clear message, losing nothing', async () => {
    f = await signedInPages()
    await f.vault.fields.set('name.given', 'Ada')
    const backup = await downloadBackup(f)
    await f.vault.fields.set('email', 'kept@example.org')
    const token = await f.browser.csrf()
    const altered = new Uint8Array(backup)
    altered[altered.length - 20] = (altered[altered.length - 20] ?? 0) ^ 1
    for (const bad of [
      backup.subarray(0, backup.length - 40),
      altered,
      new TextEncoder().encode('hello, not a backup'),
    ]) {
      const res = await f.browser.post(
        '/settings/restore',
        restoreForm(token, bad, { backup_passphrase: PASSPHRASE }),
      )
      expect(res.status).toBe(400)
      const page = await res.text()
      expect(textOf(page)).toContain('not a complete, unaltered Custos backup')
      expect(page).toMatch(/id="backup"[^>]*aria-describedby="backup-error" aria-invalid="true"/)
    }
    expect(f.browser.hasSession).toBe(true)
    expect(await f.vault.fields.get('name.given')).toBe('Ada')
    expect(await f.vault.fields.get('email')).toBe('kept@example.org')
    const missingFile = await f.browser.post('/settings/restore', {
      csrf_token: token,
      backup_passphrase: PASSPHRASE,
    })
    expect(missingFile.status).toBe(400)
  })

  it('deletes the vault only when the owner types the confirmation', async () => {
    f = await signedInPages()
    await f.vault.fields.set('name.given', 'Ada')
    const token = await f.browser.csrf()
    const wrong = await f.browser.post('/settings/delete', { csrf_token: token, confirm: 'delete' })
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toMatch(/id="delete-error" role="alert">Nothing was deleted/)
    expect(await f.vault.fields.get('name.given')).toBe('Ada')
    expect((await f.browser.post('/settings/delete', { confirm: 'delete my vault' })).status).toBe(
      403,
    )
    expect((await f.vault.status()).state).toBe('unsealed')

    const registered = await f.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Fjord Outdoor',
        redirect_uris: ['http://127.0.0.1:9/cb'],
      }),
    })
    expect(registered.status).toBe(201)
    const { client_id } = (await registered.json()) as { client_id: string }
    const res = await f.browser.post('/settings/delete', {
      csrf_token: token,
      confirm: ' Delete my vault ',
    })
    expect([res.status, res.headers.get('location')]).toEqual([303, '/setup?deleted=1'])
    expect((await f.vault.status()).state).toBe('uninitialized')
    expect(f.browser.hasSession).toBe(false)
    expect(textOf(await (await f.browser.get('/setup?deleted=1')).text())).toContain(
      'Your vault was deleted',
    )
    // The deleted vault's vendors do not come back with the next vault: their registrations are gone.
    const handle = f.testVault?.handle
    if (!handle) throw new Error('fixture without a database handle')
    const clients = await sql<{
      n: number
    }>`select count(*) as n from oauth_clients where client_id = ${client_id}`.execute(handle.db)
    expect(Number(clients.rows[0]?.n)).toBe(0)
  })
})
