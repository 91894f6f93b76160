/**
 * Issue "P1 — Trust", finding 2 (inbox): one vendor could append receipts to the owner's inbox
 * (POST /v1/purchases) without end. Two limits now hold, both counted in the database so several
 * servers on one database share them:
 * - a cap on the vendor's pending receipts (default 100): 429 `ERR_INBOX_FULL` with Retry-After —
 *   the condition clears with time (when the owner reviews), not by changing the request, and
 *   clients retry a 429 later where a 409 would tell them to give the receipt up;
 * - a rate per vendor (sliding window): 429 `ERR_RATE_LIMITED` with Retry-After (RFC 6585 §4,
 *   RFC 9110 §10.2.3).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Vault, createVault } from '@custos/vault'
import { createApp } from '../src/index.js'
import { PASSPHRASE } from '@custos/vault/testing'
import { disposeFixtures, resourceFixture } from './support/resource-fixture.js'

const others: Vault[] = []
afterEach(async () => {
  for (const v of others.splice(0)) await v.close().catch(() => undefined)
  await disposeFixtures()
})

const ORDER = { seller: 'Fjord Outdoor', orderDate: '2026-03-14', currency: 'EUR', total: 12.5 }

async function setup(limits: Record<string, unknown>) {
  const f = await resourceFixture()
  const app = await createApp({
    vault: f.tv.vault,
    database: f.tv.handle,
    config: { issuer: 'https://vault.example', limits },
    now: f.now,
  })
  const vendor = async () => {
    const { vendorId, grantId, token } = await f.vendorWithToken({
      fields: [],
      actions: ['append'],
    })
    return {
      vendorId,
      grantId,
      token,
      append: (on = app) =>
        on.request('/v1/purchases', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(ORDER),
        }),
    }
  }
  return { f, app, vendor }
}

async function expectRefused(res: Response, code: string, atMostSeconds: number) {
  expect(res.status).toBe(429)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  const retryAfter = res.headers.get('retry-after') ?? ''
  expect(retryAfter).toMatch(/^[0-9]+$/)
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
  expect(Number(retryAfter)).toBeLessThanOrEqual(atMostSeconds)
  const body = (await res.json()) as { code: string; title: string }
  expect(body.code).toBe(code)
  return body
}

describe('inbox limits per vendor', () => {
  it('caps pending receipts: 429 ERR_INBOX_FULL with Retry-After, other vendors unaffected, free again once the owner decides', async () => {
    const s = await setup({ pendingPerVendor: 3 })
    const a = await s.vendor()
    const b = await s.vendor()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await a.append()
      expect(res.status).toBe(202)
      ids.push(((await res.json()) as { id: string }).id)
    }
    const body = await expectRefused(await a.append(), 'ERR_INBOX_FULL', 24 * 3600)
    expect(body.title).toMatch(/pending receipts/)
    expect((await s.f.tv.vault.inbox.list()).items).toHaveLength(3)
    expect((await b.append()).status).toBe(202)
    await s.f.tv.vault.inbox.reject(ids[0] as string)
    expect((await a.append()).status).toBe(202)
  })

  it('limits the rate of appends per vendor in a sliding window', async () => {
    const s = await setup({ appendsPerVendor: { max: 4, seconds: 60 } })
    const a = await s.vendor()
    const b = await s.vendor()
    for (let i = 0; i < 4; i++) expect((await a.append()).status).toBe(202)
    await expectRefused(await a.append(), 'ERR_RATE_LIMITED', 60)
    expect((await b.append()).status).toBe(202)
    s.f.advance(61)
    expect((await a.append()).status).toBe(202)
    // Refused appends wrote nothing.
    expect((await s.f.tv.vault.inbox.list()).items).toHaveLength(6)
  })

  it('both limits hold across two servers on one database', async () => {
    const s = await setup({ pendingPerVendor: 3, appendsPerVendor: { max: 100, seconds: 60 } })
    const handleB = s.f.tv.db.open()
    const vaultB = await createVault({ database: handleB, kdf: 'interactive', now: s.f.now })
    others.push(vaultB)
    await vaultB.unlock(PASSPHRASE)
    const appB = await createApp({
      vault: vaultB,
      database: handleB,
      config: {
        issuer: 'https://vault.example',
        limits: { pendingPerVendor: 3, appendsPerVendor: { max: 4, seconds: 60 } },
      },
      now: s.f.now,
    })
    const a = await s.vendor()
    expect((await a.append()).status).toBe(202)
    expect((await a.append(appB)).status).toBe(202)
    expect((await a.append()).status).toBe(202)
    await expectRefused(await a.append(appB), 'ERR_INBOX_FULL', 24 * 3600)

    const b = await s.vendor()
    for (let i = 0; i < 3; i++) expect((await b.append()).status).toBe(202)
    await s.f.tv.vault.inbox.list().then(async (page) => {
      for (const item of page.items)
        if (item.vendorId === b.vendorId) await s.f.tv.vault.inbox.accept(item.id)
    })
    // B's 4th append in the window on the server whose rate is 4 per minute: the count is shared.
    expect((await b.append(appB)).status).toBe(202)
    await expectRefused(await b.append(appB), 'ERR_RATE_LIMITED', 60)
  })

  it('defaults: 100 pending receipts per vendor', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken({ fields: [], actions: ['append'] })
    const append = () =>
      f.app.request('/v1/purchases', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(ORDER),
      })
    const statuses: number[] = []
    for (let i = 0; i < 101; i++) statuses.push((await append()).status)
    expect(statuses.slice(0, 100).every((st) => st === 202)).toBe(true)
    await expectRefused(await append(), 'ERR_INBOX_FULL', 24 * 3600)
  })
})
