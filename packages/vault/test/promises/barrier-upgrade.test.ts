/**
 * SECURITY.md, "The barrier", upgrading: a vault written by the version before row authentication
 * (the fixture `legacy-vault-v0.db` was made by that version: a live grant that has read, a revoked
 * one, a failed unlock written while sealed) has its rows authenticated at its first unlock — only
 * when its audit head MAC still vouches for the log — and is then held to the barrier like any other.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Vault, type VaultEvent, createVault, openSqlite } from '../../src/index.js'
import { engine } from '../support/test-vault.js'

const FIXTURE = new URL('../fixtures/legacy-vault-v0.db', import.meta.url).pathname
const PASSPHRASE = 'correct horse battery staple'
const LIVE = 'grt_Ka0I_uZuj2dW9gHN_9i52w'
const REVOKED = 'grt_jUdFQY6d74_596CjC0WeSg'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined)
})

/** A copy of the legacy database, opened by this version (its migration runs) and sealed. */
async function legacy(
  events: VaultEvent[] = [],
): Promise<{ vault: Vault; handle: ReturnType<typeof openSqlite> }> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-legacy-'))
  const file = join(dir, 'vault.db')
  copyFileSync(FIXTURE, file)
  const handle = openSqlite(file)
  const vault = await createVault({
    database: handle,
    kdf: 'interactive',
    onEvent: (e) => events.push(e),
  })
  cleanups.push(async () => {
    await vault.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { vault, handle }
}

// The fixture is a SQLite file; the adoption code is the same on PostgreSQL.
describe.runIf(engine === 'sqlite')('upgrading to row authentication', () => {
  it('the first unlock authenticates every row; grants read as before, the revoked one is still refused, the log verifies', async () => {
    const events: VaultEvent[] = []
    const { vault, handle } = await legacy(events)
    expect(
      await handle.db.selectFrom('grants').select('row_mac').where('row_mac', 'is', null).execute(),
    ).toHaveLength(2)
    await vault.unlock(PASSPHRASE)
    expect(events).toContainEqual({ type: 'rows.adopted', grants: 2, vendors: 2, purchases: 1 })
    expect((await vault.readThroughGrant(LIVE)).fields).toEqual({ email: 'ada@example.org' })
    await expect(vault.readThroughGrant(REVOKED)).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })
    expect(await vault.audit.verify()).toMatchObject({ ok: true })
    expect(
      (
        await handle.db
          .selectFrom('vault_meta')
          .select('row_auth_version')
          .executeTakeFirstOrThrow()
      ).row_auth_version,
    ).toBe(1)
    // From now on the barrier holds: the revoked grant cannot be re-opened in the database.
    await handle.db
      .updateTable('grants')
      .set({ status: 'active' })
      .where('id', '=', REVOKED)
      .execute()
    await expect(vault.readThroughGrant(REVOKED)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })
    // Nor can the version be set back to have rows adopted again: the head MAC covers it.
    await handle.db.updateTable('vault_meta').set({ row_auth_version: 0 }).execute()
    await vault.lock()
    await vault.unlock(PASSPHRASE)
    await expect(vault.readThroughGrant(REVOKED)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })
    expect(await vault.audit.verify()).toMatchObject({ ok: false })
  })

  it('a legacy log whose head was tampered with before the upgrade is not adopted: rows stay unauthenticated and are refused', async () => {
    const { vault, handle } = await legacy()
    // Cut the newest MAC'd entries and point the head at an earlier one (the old, unkeyed attack).
    const lastSealed = await handle.db
      .selectFrom('audit')
      .select(['seq'])
      .where('mac', 'is not', null)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow()
    const before = await handle.db
      .selectFrom('audit')
      .select(['seq', 'hash'])
      .where('seq', '=', lastSealed.seq - 1)
      .executeTakeFirstOrThrow()
    await handle.db.deleteFrom('audit').where('seq', '>', before.seq).execute()
    await handle.db
      .updateTable('vault_meta')
      .set({ audit_head_seq: before.seq, audit_head_hash: before.hash })
      .execute()
    await vault.unlock(PASSPHRASE)
    await expect(vault.readThroughGrant(LIVE)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })
    await handle.db
      .updateTable('grants')
      .set({ status: 'active' })
      .where('id', '=', REVOKED)
      .execute()
    await expect(vault.readThroughGrant(REVOKED)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })
    expect(await vault.audit.verify()).toMatchObject({ ok: false })
  })
})
