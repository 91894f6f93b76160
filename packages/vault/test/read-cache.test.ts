/**
 * The grant read cache (SQLite): a cached slice must never outlive a change — made by this
 * instance, by another connection on the same file, by the clock, or by tampering — and callers
 * must not be able to change what the next caller reads. Every read stays audited.
 */
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { wireVault } from '../src/create-vault.js'
import { type Vault, createVault } from '../src/index.js'
import {
  PASSPHRASE,
  type TestDatabase,
  type TestVault,
  createTestDatabase,
  createTestVault,
  engine,
} from './support/test-vault.js'

let tv: TestVault | undefined
const others: Vault[] = []
const databases: TestDatabase[] = []
afterEach(async () => {
  for (const v of others.splice(0)) await v.close().catch(() => undefined)
  await tv?.dispose()
  tv = undefined
  for (const d of databases.splice(0)) await d.dispose()
})

async function grantedVault(now?: () => Date) {
  tv = await createTestVault(now ? { now } : {})
  const { vault } = tv
  await vault.fields.setMany({
    email: 'ada@example.org',
    'address.shipping': {
      streetAddress: '1 Road',
      addressLocality: 'London',
      addressCountry: 'GB',
    },
  })
  const shop = await vault.vendors.register({ name: 'Shop' })
  const grant = await vault.grants.create({
    vendorId: shop.id,
    fields: ['email', 'address.*'],
    actions: ['read'],
    purpose: 'p',
    durationSeconds: 3600,
  })
  return { vault, shop, grant }
}

describe('grant read cache', () => {
  it('a field written by this instance shows in the very next read, and every read is audited', async () => {
    const { vault, grant } = await grantedVault()
    expect((await vault.readThroughGrant(grant.id)).fields.email).toBe('ada@example.org')
    expect((await vault.readThroughGrant(grant.id)).fields.email).toBe('ada@example.org')
    await vault.fields.set('email', 'new@example.org')
    expect((await vault.readThroughGrant(grant.id)).fields.email).toBe('new@example.org')
    await vault.fields.delete('email')
    expect((await vault.readThroughGrant(grant.id)).fields).not.toHaveProperty('email')
    expect(await vault.audit.list({ action: 'grant.read', grantId: grant.id })).toHaveLength(4)
  })

  it('narrowing, revocation and blocking by this instance take effect at the next read', async () => {
    const { vault, shop, grant } = await grantedVault()
    await vault.readThroughGrant(grant.id)
    await vault.grants.narrow(grant.id, { fields: ['email'] })
    expect(Object.keys((await vault.readThroughGrant(grant.id)).fields)).toEqual(['email'])
    await vault.vendors.setBlocked(shop.id, true)
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_VENDOR_BLOCKED',
    })
    await vault.vendors.setBlocked(shop.id, false)
    await vault.readThroughGrant(grant.id)
    await vault.grants.revoke(grant.id)
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })
  })

  it('expiry is checked against the clock even when the slice is cached', async () => {
    let clock = new Date('2026-06-01T00:00:00Z')
    const { vault, grant } = await grantedVault(() => clock)
    await vault.readThroughGrant(grant.id)
    await vault.readThroughGrant(grant.id)
    clock = new Date('2026-06-01T01:00:01Z')
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_EXPIRED',
    })
  })

  it('changes committed by another instance on the same database show at the next read', async () => {
    const { vault, grant } = await grantedVault()
    const other = await createVault({ database: (tv as TestVault).db.open(), kdf: 'interactive' })
    others.push(other)
    await other.unlock(PASSPHRASE)
    await vault.readThroughGrant(grant.id)
    await other.fields.set('email', 'from-the-other@example.org')
    expect((await vault.readThroughGrant(grant.id)).fields.email).toBe('from-the-other@example.org')
    await other.grants.revoke(grant.id)
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })
  })

  it.skipIf(engine !== 'sqlite')(
    'a ciphertext tampered with through another connection fails the next read instead of being served from memory',
    async () => {
      const { vault, grant } = await grantedVault()
      await vault.readThroughGrant(grant.id)
      const raw = new Database((tv as TestVault).db.file as string)
      const row = raw.prepare('select value from fields where path = ?').get('email') as {
        value: Buffer
      }
      const flipped = Buffer.from(row.value)
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1
      raw.prepare('update fields set value = ? where path = ?').run(flipped, 'email')
      raw.close()
      await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
        code: 'ERR_INTEGRITY',
      })
    },
  )

  it.skipIf(engine !== 'sqlite')(
    'a change token passed by the caller answers as of that token, and a later read with a fresh one sees every change since',
    async () => {
      const { vault, grant } = await grantedVault()
      const handle = (tv as TestVault).handle
      const arrived = handle.changeToken?.() as string
      expect((await vault.readThroughGrant(grant.id, { changeToken: arrived })).fields.email).toBe(
        'ada@example.org',
      )
      await vault.fields.set('email', 'new@example.org')
      const now = handle.changeToken?.() as string
      expect(now).not.toBe(arrived)
      expect((await vault.readThroughGrant(grant.id, { changeToken: now })).fields.email).toBe(
        'new@example.org',
      )
      expect((await vault.readThroughGrant(grant.id)).fields.email).toBe('new@example.org')
      await vault.grants.revoke(grant.id)
      await expect(
        vault.readThroughGrant(grant.id, { changeToken: handle.changeToken?.() as string }),
      ).rejects.toMatchObject({ code: 'ERR_GRANT_REVOKED' })
      // A request that arrived before the revocation may still be answered as of its arrival;
      // it is audited like any other read.
      expect((await vault.readThroughGrant(grant.id, { changeToken: now })).fields.email).toBe(
        'new@example.org',
      )
      await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
        code: 'ERR_GRANT_REVOKED',
      })
      expect(await vault.audit.list({ action: 'grant.read', grantId: grant.id })).toHaveLength(4)
    },
  )

  it('a caller changing the returned values does not change what the next caller reads', async () => {
    const { vault, grant } = await grantedVault()
    const first = await vault.readThroughGrant(grant.id)
    const second = await vault.readThroughGrant(grant.id)
    second.fields.email = 'mutated'
    const address = second.fields['address.shipping'] as { addressLocality: string }
    try {
      address.addressLocality = 'Paris'
    } catch {
      // frozen: assigning throws in strict mode, which is the point
    }
    const third = await vault.readThroughGrant(grant.id)
    expect(third.fields.email).toBe('ada@example.org')
    expect((third.fields['address.shipping'] as { addressLocality: string }).addressLocality).toBe(
      'London',
    )
    expect(first.fields.email).toBe('ada@example.org')
  })

  it('after lock and unlock, reads are fresh and correct', async () => {
    const { vault, grant } = await grantedVault()
    await vault.readThroughGrant(grant.id)
    await vault.lock()
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_VAULT_LOCKED',
    })
    await vault.unlock(PASSPHRASE)
    expect((await vault.readThroughGrant(grant.id)).fields.email).toBe('ada@example.org')
  })

  it('a lock drops every decrypted body and slice at once, and a read that was under way cannot put one back (issue 11)', async () => {
    const db = await createTestDatabase()
    databases.push(db)
    const { vault, grantReads } = await wireVault({ database: db.open(), kdf: 'interactive' })
    others.push(vault)
    await vault.initialize(PASSPHRASE)
    await vault.fields.set('email', 'ada@example.org')
    const shop = await vault.vendors.register({ name: 'Shop' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'p',
      durationSeconds: 3600,
    })
    await vault.readThroughGrant(grant.id)
    expect(grantReads.size).toBeGreaterThan(0)
    await vault.lock()
    // Not left for the garbage collector: gone when lock() resolves (SECURITY.md promise 6).
    expect(grantReads.size).toBe(0)

    await vault.unlock(PASSPHRASE)
    await vault.readThroughGrant(grant.id)
    expect(grantReads.size).toBeGreaterThan(0)
    // A read racing a lock: whichever finishes first, nothing decrypted is held afterwards.
    const racing = vault.readThroughGrant(grant.id).catch(() => undefined)
    await vault.lock()
    await racing
    expect(grantReads.size).toBe(0)

    await vault.unlock(PASSPHRASE)
    await vault.readThroughGrant(grant.id)
    await vault.close()
    expect(grantReads.size).toBe(0)
  })
})
