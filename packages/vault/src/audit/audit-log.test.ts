/**
 * Regression (found by the owner-API fuzz): keys wiped by a lock() while an audited write's
 * transaction is in flight must not leave the chain head MAC'd with the zeroed key — which made
 * verify() report the log as truncated although nothing was lost.
 */
import type { Transaction } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import type { VaultDatabase } from '../db/schema.js'
import { PASSPHRASE, type TestVault, createTestVault } from '../../test/support/test-vault.js'
import { loadSodium } from '../crypto/sodium.js'
import { UnsealedKeys } from '../keys/unsealed-keys.js'
import { AuditLog } from './audit-log.js'
import { GENESIS_HASH, chainHash, entryMac, headMac } from './audit-entry.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

describe('AuditLog.appendInTransaction', () => {
  it('MACs the head with the key it started with, even when the keys are wiped mid-transaction', async () => {
    tv = await createTestVault()
    const sodium = await loadSodium()
    // Keys equal to the vault's: derive them through the public seed of the same root by unlocking a twin.
    const meta = await tv.handle.db.selectFrom('vault_meta').selectAll().executeTakeFirstOrThrow()
    let root: Uint8Array | undefined
    const original = sodium.crypto_kdf_derive_from_key
    // Capture the vault's root key the moment it derives a subkey from it.
    sodium.crypto_kdf_derive_from_key = ((
      len: number,
      id: number,
      ctx: string,
      key: Uint8Array,
    ) => {
      root ??= new Uint8Array(key)
      return original(len, id, ctx, key)
    }) as typeof original
    await tv.vault.lock()
    await tv.vault.unlock(PASSPHRASE)
    await tv.vault.audit.verify()
    sodium.crypto_kdf_derive_from_key = original
    if (!root) throw new Error('root key not observed')
    const keys = new UnsealedKeys(sodium, meta.vault_id, root, meta.current_term)
    let live: UnsealedKeys | undefined = keys
    const log = new AuditLog({
      db: tv.handle.db,
      engine: tv.handle.engine,
      sodium,
      now: () => new Date(),
      keysIfUnsealed: () => live,
    })

    await tv.handle.db.transaction().execute(async (trx) => {
      // Wipe the keys (as lock() would) as soon as the entry rows are inserted, before the head update.
      const wiping = new Proxy(trx, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown
          if (property === 'updateTable' && typeof value === 'function') {
            return (...args: unknown[]) => {
              keys.wipe()
              live = undefined
              return (value as (...a: unknown[]) => unknown).apply(target, args)
            }
          }
          return typeof value === 'function'
            ? (value as (...a: unknown[]) => unknown).bind(target)
            : value
        },
      }) as Transaction<VaultDatabase>
      await log.appendInTransaction(wiping, [
        { action: 'grant.created', actor: 'owner', grantId: 'grt_x' },
      ])
    })
    expect(await tv.vault.audit.verify()).toMatchObject({ ok: true })
  })
})

describe('audit hashes', () => {
  it('are the bytes the libsodium WASM build computes over the documented inputs (the chain format is unchanged by the native binding)', async () => {
    const sodium = await loadSodium()
    const key = sodium.randombytes_buf(32)
    const text = JSON.stringify({
      seq: 7,
      at: '2026-01-01T00:00:00.000Z',
      action: 'grant.read',
      paths: ['name.given', 'e\u00e9'],
    })
    const body = new TextEncoder().encode(text)
    const prev = sodium.randombytes_buf(32)
    expect(chainHash(sodium, prev, text)).toEqual(
      sodium.crypto_generichash(32, new Uint8Array([...prev, ...body]), null),
    )
    expect(chainHash(sodium, GENESIS_HASH, text)).toEqual(
      sodium.crypto_generichash(32, new Uint8Array([...GENESIS_HASH, ...body]), null),
    )
    const label = (s: string) => [...new TextEncoder().encode(s)]
    expect(entryMac(sodium, key, prev)).toEqual(
      sodium.crypto_generichash(32, new Uint8Array([...label('custos/audit/v1\0'), ...prev]), key),
    )
    expect(headMac(sodium, key, 0x01020304, prev)).toEqual(
      sodium.crypto_generichash(
        32,
        new Uint8Array([...label('custos/head/v1\0\0'), 1, 2, 3, 4, ...prev]),
        key,
      ),
    )
  })
})

describe('AuditLog group commit', () => {
  it('gives each of many concurrent reads its own durable entry while grant changes commit in their own transactions, and the chain verifies', async () => {
    const flushes: number[] = []
    tv = await createTestVault({
      onEvent: (e) => void (e.type === 'audit.flushed' && flushes.push(e.entries)),
    })
    const { vault } = tv
    await vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email', 'prefs.*'],
      actions: ['read'],
      purpose: 'Fit',
      durationSeconds: 3600,
    })
    // Reads (group commits, synchronous on SQLite) and registrations (Kysely transactions) interleave.
    const reads = Array.from({ length: 150 }, () =>
      vault.readThroughGrant(grant.id, { include: ['fields'] }),
    )
    const changes = Array.from({ length: 6 }, (_, i) =>
      vault.vendors.register({ name: `Shop ${i}` }),
    )
    const slices = await Promise.all(reads)
    await Promise.all(changes)
    for (const slice of slices)
      expect(slice.fields).toEqual({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
    const entries = await vault.audit.list({ action: 'grant.read', grantId: grant.id, limit: 1000 })
    expect(entries).toHaveLength(150)
    expect(new Set(entries.map((e) => e.seq)).size).toBe(150)
    expect(flushes.reduce((a, b) => a + b, 0)).toBe(150)
    expect(await vault.audit.list({ action: 'vendor.registered', limit: 100 })).toHaveLength(7)
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
  })
})
