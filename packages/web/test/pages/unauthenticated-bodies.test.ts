import { afterEach, describe, expect, it } from 'vitest'
import {
  ORIGIN,
  type PagesFixture,
  signedInPages,
  uninitializedPages,
} from '../support/web-fixture.js'

/**
 * The restore forms take up to 128 MiB, so createApp's small default body limit skips their paths
 * (consent-api body-limits.ts). hono's bodyLimit buffers a body sent without Content-Length
 * (chunked) in full before the next handler runs: nobody without a session — or, on set-up, once
 * a vault exists or from another site — may make the server read such a body (SECURITY.md 22).
 */
const CHUNK = 64 * 1024
const TOTAL = 8 * 1024 * 1024

/** A chunked upload that counts how much of it the server pulled. */
function countingUpload(): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= TOTAL) return controller.close()
      sent += CHUNK
      controller.enqueue(new Uint8Array(CHUNK))
    },
  })
  return { body, pulled: () => sent }
}

async function postChunked(f: PagesFixture, path: string, headers: Record<string, string> = {}) {
  const upload = countingUpload()
  const res = await f.app.request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'multipart/form-data; boundary=x', ...headers },
    body: upload.body,
    duplex: 'half',
  } as RequestInit)
  return { status: res.status, location: res.headers.get('location'), pulled: upload.pulled() }
}

describe('large upload routes read nothing for strangers', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('settings restore and purchase import: no session, no body read', async () => {
    f = await signedInPages()
    const res = await postChunked(f, '/settings/restore')
    expect([res.status, res.location]).toEqual([303, '/signin?next=%2Fsettings%2Frestore'])
    expect(res.pulled).toBeLessThan(TOTAL / 4)
    const bogusCookie = await postChunked(f, '/purchases/import', {
      cookie: `custos_session=${'A'.repeat(43)}`,
    })
    expect([bogusCookie.status, bogusCookie.location]).toEqual([
      303,
      '/signin?next=%2Fpurchases%2Fimport',
    ])
    expect(bogusCookie.pulled).toBeLessThan(TOTAL / 4)
  })

  it('set-up restore: refused without reading the body once a vault exists, or from another site', async () => {
    f = await signedInPages()
    const exists = await postChunked(f, '/setup/restore')
    expect(exists.status).toBe(409)
    expect(exists.pulled).toBeLessThan(TOTAL / 4)
    await f.dispose()

    f = await uninitializedPages()
    const crossSite = await postChunked(f, '/setup/restore', { 'sec-fetch-site': 'cross-site' })
    expect(crossSite.status).toBe(403)
    expect(crossSite.pulled).toBeLessThan(TOTAL / 4)
  })
})

describe('large upload routes while the vault is sealed', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('send a signed-in browser to the unlock page, as every other page does', async () => {
    f = await signedInPages()
    await f.vault.lock()
    for (const path of ['/settings/restore', '/purchases/import']) {
      const res = await f.browser.post(path, { csrf_token: 'stale' })
      expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, '/unlock'])
    }
  })
})
