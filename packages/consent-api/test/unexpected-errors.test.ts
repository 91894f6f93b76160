/**
 * An error nothing handled becomes one opaque 500 for the client (SECURITY.md 23) — and reaches
 * the operator through `onUnexpectedError`, or a broken server would log nothing but "500".
 * Storage faults are 503s the operator already sees as such: they are not reported.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../src/index.js'
import { type TestVault, createTestVault } from '@custos/vault/testing'

let tv: TestVault | undefined
afterEach(async () => {
  vi.restoreAllMocks()
  await tv?.dispose()
  tv = undefined
})

describe('unexpected errors', () => {
  it('answer an opaque 500 and are handed to onUnexpectedError with the original error', async () => {
    tv = await createTestVault()
    const reported: unknown[] = []
    const app = await createApp({
      vault: tv.vault,
      database: tv.handle,
      config: { issuer: 'http://127.0.0.1' },
      onUnexpectedError: (err) => reported.push(err),
    })
    const boom = new TypeError('secret detail that must not reach the client')
    vi.spyOn(tv.vault, 'status').mockRejectedValue(boom)
    const res = await app.request('/readyz')
    expect(res.status).toBe(500)
    const body = await res.text()
    expect(JSON.parse(body)).toMatchObject({ code: 'ERR_INTERNAL' })
    expect(body).not.toContain('secret detail')
    expect(reported).toEqual([boom])
  })

  it('are not reported when they are storage faults (503) or when no hook is given', async () => {
    tv = await createTestVault()
    const reported: unknown[] = []
    const app = await createApp({
      vault: tv.vault,
      database: tv.handle,
      config: { issuer: 'http://127.0.0.1' },
      onUnexpectedError: (err) => reported.push(err),
    })
    vi.spyOn(tv.vault, 'status').mockRejectedValue(
      Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
    )
    expect((await app.request('/readyz')).status).toBe(503)
    expect(reported).toEqual([])

    const silent = await createApp({
      vault: tv.vault,
      database: tv.handle,
      config: { issuer: 'http://127.0.0.1' },
    })
    vi.spyOn(tv.vault, 'status').mockRejectedValue(new Error('boom'))
    expect((await silent.request('/readyz')).status).toBe(500)
  })
})
