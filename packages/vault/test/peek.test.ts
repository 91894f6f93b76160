/**
 * `peekSqliteVault` (what `custos status` reads without opening the vault) reports what
 * `vault.status()` reports while sealed, plus the KDF cost, and writes nothing to the file.
 * SQLite only by nature: it runs the same on both engine projects.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { KDF_PRESETS, createVault, openSqlite } from '../src/index.js'
import { peekSqliteVault } from '../src/peek.js'

const PASSPHRASE = 'orbit velvet canyon sparrow lantern'
let dir: string | undefined

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe('peekSqliteVault', () => {
  it('says uninitialized for a database without a vault, and sealed with the status fields and KDF for one with a vault', async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-peek-'))
    const file = join(dir, 'custos.db')
    const vault = await createVault({ database: openSqlite(file), kdf: 'interactive' })
    expect(peekSqliteVault(file)).toEqual({ state: 'uninitialized' })
    await vault.initialize(PASSPHRASE)
    await vault.lock()
    await expect(vault.unlock('not the passphrase at all, no')).rejects.toMatchObject({
      code: 'ERR_UNLOCK_FAILED',
    })
    const status = await vault.status()
    await vault.close()
    const before = readFileSync(file)
    const peek = peekSqliteVault(file)
    expect(peek).toEqual({
      ...status,
      kdf: {
        opslimit: KDF_PRESETS.interactive.opslimit,
        memlimit: KDF_PRESETS.interactive.memlimit,
      },
    })
    expect(peek).toMatchObject({ state: 'sealed', failedUnlocks: 1 })
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('reports a block on unlocking only while it lies in the future', async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-peek-'))
    const file = join(dir, 'custos.db')
    const database = openSqlite(file)
    const vault = await createVault({ database, kdf: 'interactive' })
    await vault.initialize(PASSPHRASE)
    await vault.close()
    const until = '2030-01-01T00:00:00.000Z'
    const raw = openSqlite(file)
    await raw.db
      .updateTable('vault_meta')
      .set({ unlock_blocked_until: until })
      .where('id', '=', 1)
      .execute()
    await raw.close()
    expect(peekSqliteVault(file, new Date('2029-12-31T23:59:59Z'))).toMatchObject({
      unlockBlockedUntil: until,
    })
    expect(peekSqliteVault(file, new Date('2030-01-01T00:00:01Z'))).not.toHaveProperty(
      'unlockBlockedUntil',
    )
  })
})
