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
    sodium.crypto_kdf_derive_from_key = ((len: number, id: number, ctx: string, key: Uint8Array) => {
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
    const log = new AuditLog({ db: tv.handle.db, engine: tv.handle.engine, sodium, now: () => new Date(), keysIfUnsealed: () => live })

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
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
        },
      }) as Transaction<VaultDatabase>
      await log.appendInTransaction(wiping, [{ action: 'grant.created', actor: 'owner', grantId: 'grt_x' }])
    })
    expect(await tv.vault.audit.verify()).toMatchObject({ ok: true })
  })
})
