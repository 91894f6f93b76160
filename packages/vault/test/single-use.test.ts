/**
 * Single-use grants (issue 12 §5, PDPP `access_mode: single_use`): the first successful read
 * consumes the grant, atomically with its audit entry; every later use is refused with
 * ERR_GRANT_CONSUMED, and the finished row cannot be re-opened by putting a saved copy back.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

async function codeOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work()
    return 'no error'
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
}

async function singleUse(accessMode: 'singleUse' | 'continuous' = 'singleUse') {
  tv = await createTestVault()
  const { vault } = tv
  await vault.fields.setMany({ email: 'ada@example.org', 'name.given': 'Ada' })
  const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
  await vault.purchases.add(
    { seller: 'Fjord Outdoor', orderDate: '2026-01-02', currency: 'EUR', total: 20 },
    { vendorId: shop.id },
  )
  const grant = await vault.grants.create({
    vendorId: shop.id,
    fields: ['email', 'name.given'],
    purchases: { madeWithVendor: true },
    actions: ['read'],
    purpose: 'One delivery',
    durationSeconds: 3600,
    accessMode,
  })
  return { vault, shop, grant }
}

describe('single-use grants', () => {
  it('a grant is continuous unless asked otherwise, and reads as often as it likes', async () => {
    const { vault, grant } = await singleUse('continuous')
    expect(grant.accessMode).toBe('continuous')
    await vault.readThroughGrant(grant.id)
    const again = await vault.readThroughGrant(grant.id)
    expect(again.grant.status).toBe('active')
  })

  it('is consumed by its first read: the data comes back once, the second read is refused with ERR_GRANT_CONSUMED', async () => {
    const { vault, shop, grant } = await singleUse()
    expect(grant).toMatchObject({ accessMode: 'singleUse', status: 'active' })
    const first = await vault.readThroughGrant(grant.id, { vendorId: shop.id })
    expect(first.fields).toEqual({ email: 'ada@example.org', 'name.given': 'Ada' })
    expect(first.purchases?.items).toHaveLength(1)
    expect(first.grant.status).toBe('consumed')
    expect(await codeOf(() => vault.readThroughGrant(grant.id, { vendorId: shop.id }))).toBe(
      'ERR_GRANT_CONSUMED',
    )
    const seen = await vault.grants.get(grant.id)
    expect(seen).toMatchObject({ status: 'consumed', accessMode: 'singleUse' })
    expect(seen.updatedAt >= grant.createdAt).toBe(true)
    expect(await vault.grants.list({ status: 'consumed' })).toHaveLength(1)
    // One read, one consumption, and the refused second read — all in the log.
    expect(await vault.audit.list({ action: 'grant.read', grantId: grant.id })).toHaveLength(1)
    expect(await vault.audit.list({ action: 'grant.consumed', grantId: grant.id })).toHaveLength(1)
    expect(await vault.audit.list({ action: 'grant.refused', grantId: grant.id })).not.toHaveLength(
      0,
    )
    // A consumed grant can be neither narrowed nor appended through; revoking it changes nothing.
    expect(await codeOf(() => vault.grants.narrow(grant.id, { fields: ['email'] }))).toBe(
      'ERR_GRANT_CONSUMED',
    )
    expect((await vault.grants.revoke(grant.id)).status).toBe('consumed')
    expect((await vault.audit.verify()).ok).toBe(true)
  })

  it('two concurrent first reads: exactly one gets the data, the other ERR_GRANT_CONSUMED', async () => {
    const { vault, shop, grant } = await singleUse()
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => vault.readThroughGrant(grant.id, { vendorId: shop.id })),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r) => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost.map((r) => (r.reason as { code?: string }).code)).toEqual([
      'ERR_GRANT_CONSUMED',
      'ERR_GRANT_CONSUMED',
      'ERR_GRANT_CONSUMED',
    ])
    expect(await vault.audit.list({ action: 'grant.read', grantId: grant.id })).toHaveLength(1)
  })

  it('a saved copy of the unconsumed row, put back, does not re-open it (the ledger moved on)', async () => {
    const { vault, grant } = await singleUse()
    const db = (tv as TestVault).handle.db
    const saved = await db
      .selectFrom('grants')
      .selectAll()
      .where('id', '=', grant.id)
      .executeTakeFirstOrThrow()
    await vault.readThroughGrant(grant.id)
    const { id, ...rest } = saved
    await db.updateTable('grants').set(rest).where('id', '=', id).execute()
    expect(await codeOf(() => vault.readThroughGrant(grant.id))).toBe('ERR_INTEGRITY')
    // Writing the status alone, without the key, is refused too.
    await db.updateTable('grants').set({ status: 'active' }).where('id', '=', grant.id).execute()
    expect(await codeOf(() => vault.readThroughGrant(grant.id))).toBe('ERR_INTEGRITY')
  })

  it('narrowing a single-use grant keeps it single use, and a narrowed one is still consumed by its read', async () => {
    const { vault, grant } = await singleUse()
    const narrowed = await vault.grants.narrow(grant.id, { fields: ['email'] })
    expect(narrowed.accessMode).toBe('singleUse')
    expect((await vault.readThroughGrant(grant.id)).fields).toEqual({ email: 'ada@example.org' })
    expect(await codeOf(() => vault.readThroughGrant(grant.id))).toBe('ERR_GRANT_CONSUMED')
  })

  it('a single-use read is never served from the read cache', async () => {
    const { vault, grant } = await singleUse()
    await vault.readThroughGrant(grant.id)
    // Were the slice cached, this read would be answered from it without looking at the row.
    expect(await codeOf(() => vault.readThroughGrant(grant.id))).toBe('ERR_GRANT_CONSUMED')
  })

  it('sends the vendor no signal for its own read: the pending expiry signal is dropped, and no revocation is sent', async () => {
    let t = Date.now()
    tv = await createTestVault({ now: () => new Date(t) })
    const { vault } = tv
    await vault.fields.set('email', 'ada@example.org')
    const shop = await vault.vendors.register({ name: 'Shop' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'p',
      durationSeconds: 3600,
      accessMode: 'singleUse',
    })
    await vault.readThroughGrant(grant.id)
    t += 2 * 3600 * 1000
    const kinds = (await vault.signals.due())
      .filter((s) => s.grantId === grant.id)
      .map((s) => s.kind)
    expect(kinds).not.toContain('grant.expired')
    expect(kinds).not.toContain('grant.revoked')
    // Still used, not expired: consumption is final and comes first.
    expect((await vault.grants.get(grant.id)).status).toBe('consumed')
  })

  it('refuses an unknown access mode with ERR_VALIDATION', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const shop = await vault.vendors.register({ name: 'Shop' })
    const code = await codeOf(() =>
      vault.grants.create({
        vendorId: shop.id,
        fields: ['email'],
        actions: ['read'],
        purpose: 'p',
        durationSeconds: 3600,
        accessMode: 'twice' as never,
      }),
    )
    expect(code).toBe('ERR_VALIDATION')
  })
})

describe('single-use grants in an export', () => {
  it('keep their access mode, and a used one stays used in the vault it is imported into', async () => {
    const { vault, grant } = await singleUse()
    await vault.readThroughGrant(grant.id)
    const doc = JSON.parse(JSON.stringify(await vault.exportJson()))
    expect(doc.grants[0]).toMatchObject({ accessMode: 'singleUse', status: 'consumed' })
    const source = tv
    tv = await createTestVault()
    try {
      await tv.vault.importJson(doc)
      expect(await tv.vault.grants.get(grant.id)).toMatchObject({
        accessMode: 'singleUse',
        status: 'consumed',
      })
      expect(await codeOf(() => tv?.vault.readThroughGrant(grant.id) as Promise<unknown>)).toBe(
        'ERR_GRANT_CONSUMED',
      )
    } finally {
      await source?.dispose()
    }
  })
})
