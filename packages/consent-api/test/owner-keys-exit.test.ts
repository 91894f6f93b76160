/**
 * Keys and leaving: passphrase change, background key rotation with progress (one at a time),
 * the portable export and import, and an encrypted backup → restore round trip over HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Vault } from '@custos/vault'
import {
  ORDER,
  type Owner,
  type OwnerFixture,
  PASSPHRASE,
  disposeOwnerFixtures,
  ownerFixture,
} from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

async function signedIn(
  options?: Parameters<typeof ownerFixture>[0],
): Promise<{ f: OwnerFixture; owner: Owner }> {
  const f = await ownerFixture(options)
  return { f, owner: await f.signIn() }
}

const NEW_PASSPHRASE = 'a brand new long passphrase'

describe('passphrase', () => {
  it('changes the passphrase after checking the current one; the old one stops working', async () => {
    const { f, owner } = await signedIn()
    const wrong = await f.call(owner, 'POST', '/owner/passphrase', {
      json: { current: 'not it', next: NEW_PASSPHRASE },
    })
    expect([wrong.status, ((await wrong.json()) as { code: string }).code]).toEqual([
      401,
      'ERR_UNLOCK_FAILED',
    ])
    const short = await f.call(owner, 'POST', '/owner/passphrase', {
      json: { current: PASSPHRASE, next: 'short' },
    })
    expect([short.status, ((await short.json()) as { code: string }).code]).toEqual([
      400,
      'ERR_WEAK_PASSPHRASE',
    ])
    // Long enough for a length rule, guessed at once: refused by the vault's policy, the reason in the problem's title.
    for (const next of ['a'.repeat(20), 'passwordpassword']) {
      const weak = await f.call(owner, 'POST', '/owner/passphrase', {
        json: { current: PASSPHRASE, next },
      })
      expect([next, weak.status, weak.headers.get('content-type')]).toEqual([
        next,
        400,
        'application/problem+json',
      ])
      const problem = (await weak.json()) as { code: string; title: string }
      expect(problem).toMatchObject({
        code: 'ERR_WEAK_PASSPHRASE',
        title: expect.stringMatching(/^The passphrase is too easy to guess\. \S/),
      })
      expect(JSON.stringify(problem)).not.toContain(next)
    }
    expect(
      (
        await f.call(owner, 'POST', '/owner/passphrase', {
          json: { current: PASSPHRASE, next: NEW_PASSPHRASE },
        })
      ).status,
    ).toBe(204)
    // The session goes on; a new sign-in needs the new passphrase.
    expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(200)
    await expect(f.signIn(PASSPHRASE)).rejects.toThrow(/401/)
    await f.signIn(NEW_PASSPHRASE)
  })
})

describe('key rotation', () => {
  it('runs in the background with progress, one at a time (409 while running)', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    // Holds the rotation until the test lets it go, so "running" is observed deterministically.
    const gated = (v: Vault): Vault => ({
      ...v,
      rotateKeys: async (o) => {
        await gate
        return v.rotateKeys(o)
      },
    })
    const { f, owner } = await signedIn({ vault: gated })
    await f.tv.vault.fields.setMany({
      email: 'ada@example.org',
      'name.given': 'Ada',
      'custom.a': 'x',
      'custom.b': 'y',
    })
    await f.tv.vault.purchases.addMany([ORDER, ORDER, ORDER])

    expect(await f.json(owner, 'GET', '/owner/keys/rotation')).toEqual({
      running: false,
      term: null,
      done: 0,
      total: 0,
      pending: false,
    })
    const started = await f.json<{ id: string; running: boolean }>(
      owner,
      'POST',
      '/owner/keys/rotate',
      {},
      202,
    )
    expect(started).toMatchObject({ running: true, id: expect.stringMatching(/^rot_/) })
    const busy = await f.call(owner, 'POST', '/owner/keys/rotate')
    expect([busy.status, ((await busy.json()) as { code: string }).code]).toEqual([
      409,
      'ERR_KEYS_BUSY',
    ])
    expect(await f.json(owner, 'GET', '/owner/keys/rotation')).toMatchObject({
      id: started.id,
      running: true,
    })
    // A restore would wipe the keys the rotation is using: refused until it is done.
    const backup = new Uint8Array(await (await f.call(owner, 'GET', '/owner/backup')).arrayBuffer())
    const restore = await f.call(owner, 'POST', '/owner/restore', {
      body: backup,
      type: 'application/octet-stream',
      headers: { 'x-backup-passphrase': encodeURIComponent(PASSPHRASE) },
    })
    expect([restore.status, ((await restore.json()) as { code: string }).code]).toEqual([
      409,
      'ERR_KEYS_BUSY',
    ])

    release()
    let progress:
      | {
          running: boolean
          term: number
          done: number
          total: number
          error?: string
          pending: boolean
        }
      | undefined
    for (let i = 0; i < 200; i++) {
      progress = await f.json(owner, 'GET', '/owner/keys/rotation')
      if (!progress?.running) break
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(progress).toMatchObject({ id: started.id, running: false, term: 2, pending: false })
    expect(progress?.error).toBeUndefined()
    expect(progress?.done).toBe(progress?.total)
    expect(progress?.total).toBeGreaterThanOrEqual(7)
    expect(await f.tv.vault.fields.get('email')).toBe('ada@example.org')
    // And another may start now.
    await f.json(owner, 'POST', '/owner/keys/rotate', {}, 202)
  })

  it('a rotation that fails reports its error code and can be started again', async () => {
    const failing = (v: Vault): Vault => ({
      ...v,
      rotateKeys: async () => Promise.reject(Object.assign(new Error('x'), { name: 'Boom' })),
    })
    const { f, owner } = await signedIn({ vault: failing })
    await f.json(owner, 'POST', '/owner/keys/rotate', {}, 202)
    await new Promise((r) => setTimeout(r, 10))
    expect(await f.json(owner, 'GET', '/owner/keys/rotation')).toMatchObject({
      running: false,
      error: 'ERR_INTERNAL',
    })
    await f.json(owner, 'POST', '/owner/keys/rotate', {}, 202)
  })
})

describe('export and import', () => {
  it('exports the portable JSON as a download and imports it back (replace and merge)', async () => {
    const { f, owner } = await signedIn()
    await f.tv.vault.fields.set('email', 'ada@example.org')
    await f.tv.vault.purchases.add(ORDER)
    const res = await f.call(owner, 'GET', '/owner/export')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="custos-export-\d{4}-\d{2}-\d{2}\.json"$/,
    )
    expect(res.headers.get('cache-control')).toBe('no-store')
    const doc = (await res.json()) as { fields: Record<string, unknown> }
    expect(doc.fields.email).toBe('ada@example.org')

    await f.tv.vault.fields.set('email', 'changed@example.org')
    await f.tv.vault.fields.set('telephone', '+47 22 00 00 00')
    expect(await f.json(owner, 'POST', '/owner/import?mode=replace', { json: doc })).toMatchObject({
      fields: 1,
      purchases: 1,
    })
    expect(await f.tv.vault.fields.get('email')).toBe('ada@example.org')
    expect(await f.tv.vault.fields.get('telephone')).toBeUndefined()

    await f.tv.vault.fields.set('telephone', '+47 22 00 00 00')
    await f.json(owner, 'POST', '/owner/import', { json: doc })
    expect(await f.tv.vault.fields.get('telephone')).toBe('+47 22 00 00 00')

    for (const [query, json] of [
      ['?mode=overwrite', doc],
      ['', { ...doc, format: 'other' }],
      ['', { ...doc, fields: { 'not a path': 1 } }],
    ] as const) {
      const bad = await f.call(owner, 'POST', `/owner/import${query}`, { json })
      expect(bad.status).toBe(400)
      expect(await bad.text()).not.toContain('not a path')
    }
  })
})

describe('backup and restore over HTTP', () => {
  const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer())

  it('a backup taken over HTTP restores over HTTP: the data comes back, sessions end, the owner signs in again', async () => {
    const { f, owner } = await signedIn()
    await f.tv.vault.fields.set('email', 'ada@example.org')
    // Enough data for a backup larger than the app-wide body limit.
    await f.tv.vault.purchases.addMany(
      Array.from({ length: 60 }, (_, i) => ({ ...ORDER, total: i, notes: 'n'.repeat(2000) })),
    )
    const res = await f.call(owner, 'GET', '/owner/backup')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="custos-backup-/)
    const backup = await bytesOf(res)
    expect(backup.length).toBeGreaterThan(64 * 1024)
    expect(Buffer.from(backup).includes(Buffer.from('ada@example.org'))).toBe(false)

    await f.tv.vault.fields.set('email', 'changed@example.org')
    await f.tv.vault.purchases.add({ ...ORDER, total: 999 })

    const restored = await f.call(owner, 'POST', '/owner/restore', {
      body: backup,
      type: 'application/octet-stream',
      headers: { 'x-backup-passphrase': encodeURIComponent(PASSPHRASE) },
    })
    expect(restored.status).toBe(200)
    expect(await restored.json()).toMatchObject({ state: 'unsealed' })
    expect(restored.headers.get('set-cookie')).toMatch(/custos_session=;/)
    expect(await f.tv.vault.fields.get('email')).toBe('ada@example.org')
    expect((await f.tv.vault.purchases.list({ limit: 500 })).items).toHaveLength(60)
    expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(401)
    const again = await f.signIn()
    expect((await f.call(again, 'GET', '/owner/audit?action=vault.restored')).status).toBe(200)

    // With the recovery key instead of the passphrase.
    await f.tv.vault.fields.set('email', 'changed@example.org')
    const byKey = await f.call(again, 'POST', '/owner/restore', {
      body: backup,
      type: 'application/octet-stream',
      headers: { 'x-backup-recovery-key': f.tv.recoveryKey },
    })
    expect(byKey.status).toBe(200)
    expect(await f.tv.vault.fields.get('email')).toBe('ada@example.org')
  })

  it('refuses a wrong passphrase, a damaged or truncated backup, missing or double credentials and other media types — changing nothing', async () => {
    const { f, owner } = await signedIn()
    await f.tv.vault.fields.set('email', 'ada@example.org')
    const backup = await bytesOf(await f.call(owner, 'GET', '/owner/backup'))
    await f.tv.vault.fields.set('email', 'kept@example.org')
    const flipped = backup.slice()
    flipped[backup.length - 40] = (flipped[backup.length - 40] as number) ^ 1
    const pass = { 'x-backup-passphrase': encodeURIComponent(PASSPHRASE) }
    const cases: [
      string,
      RequestInit['body'],
      Record<string, string>,
      string | undefined,
      number,
    ][] = [
      [
        'wrong passphrase',
        backup,
        { 'x-backup-passphrase': 'nope' },
        'application/octet-stream',
        401,
      ],
      ['damaged', flipped, pass, 'application/octet-stream', 400],
      ['truncated', backup.slice(0, backup.length - 100), pass, 'application/octet-stream', 400],
      ['not a backup', new TextEncoder().encode('hello'), pass, 'application/octet-stream', 400],
      ['no credentials', backup, {}, 'application/octet-stream', 400],
      [
        'both credentials',
        backup,
        { ...pass, 'x-backup-recovery-key': f.tv.recoveryKey },
        'application/octet-stream',
        400,
      ],
      [
        'bad percent-encoding',
        backup,
        { 'x-backup-passphrase': '%E0%A4%A' },
        'application/octet-stream',
        400,
      ],
      ['json', backup, pass, 'application/json', 415],
      ['no body', '', pass, 'application/octet-stream', 400],
    ]
    for (const [name, body, headers, type, status] of cases) {
      const res = await f.call(owner, 'POST', '/owner/restore', {
        body,
        headers,
        ...(type ? { type } : {}),
      })
      expect([name, res.status]).toEqual([name, status])
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    expect(await f.tv.vault.fields.get('email')).toBe('kept@example.org')
    expect((await f.call(owner, 'GET', '/owner/fields')).status).toBe(200)
  })

  it('a declared body over the restore limit is refused at once; an unauthenticated one is never read', async () => {
    const { f, owner } = await signedIn()
    const over = await f.call(owner, 'POST', '/owner/restore', {
      body: 'x',
      type: 'application/octet-stream',
      headers: { 'content-length': String(512 * 1024 * 1024 + 1), 'x-backup-passphrase': 'p' },
    })
    expect(over.status).toBe(413)
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(1024 * 1024))
      },
    })
    const anonymous = await f.app.request('/owner/restore', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: endless,
      duplex: 'half',
    } as RequestInit)
    expect(anonymous.status).toBe(401)
    expect(pulled).toBeLessThanOrEqual(2)
  })
})
