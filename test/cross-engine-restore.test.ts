/**
 * Story: credible exit across engines. An owner who outgrows a SQLite file restores its
 * encrypted backup into PostgreSQL (and back) with only the passphrase, and everything —
 * fields, purchases, grants, the audit chain — comes across intact.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterEach, describe, expect, it, inject } from 'vitest'
import { type Vault, createVault, openPostgres, openSqlite } from '@custos/vault'

const PASS = 'moving house with my data'
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function bytesOf(vault: Vault): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of vault.backup()) parts.push(part)
  return Buffer.concat(parts)
}

function comparable(doc: Awaited<ReturnType<Vault['exportJson']>>) {
  const { exportedAt: _at, audit: _audit, ...rest } = doc
  return rest
}

describe('backup restores across engines', () => {
  it('SQLite → PostgreSQL → SQLite keeps every record and a valid audit chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-story-'))
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
    const sqliteVault = await createVault({
      database: openSqlite(join(dir, 'a.db')),
      kdf: 'interactive',
    })
    cleanups.push(() => sqliteVault.close())
    await sqliteVault.initialize(PASS)
    await sqliteVault.fields.setMany({
      email: 'ada@example.org',
      'prefs.diet': ['vegan'],
      'custom.club': 'chess',
    })
    const shop = await sqliteVault.vendors.register({ name: 'Fjord Outdoor' })
    await sqliteVault.purchases.add(
      {
        seller: 'Fjord Outdoor',
        orderDate: '2025-11-02',
        currency: 'EUR',
        total: 42,
        items: [{ name: 'Hat', quantity: 1 }],
      },
      { vendorId: shop.id },
    )
    const grant = await sqliteVault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      purchases: { madeWithVendor: true },
      actions: ['read'],
      purpose: 'receipts',
      durationSeconds: 86400,
    })
    await sqliteVault.readThroughGrant(grant.id)
    const original = comparable(await sqliteVault.exportJson())

    const schema = `story_${process.pid}_${Date.now()}`
    const url = inject('postgresUrl')
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    cleanups.push(async () => {
      await admin.query(`drop schema ${schema} cascade`)
      await admin.end()
    })
    const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` })
    const pgVault = await createVault({ database: openPostgres({ pool }), kdf: 'interactive' })
    cleanups.push(() => pgVault.close())
    expect(await pgVault.status()).toEqual({ state: 'uninitialized' })
    await pgVault.restore(await bytesOf(sqliteVault), PASS)
    expect(comparable(await pgVault.exportJson())).toEqual(original)
    expect(await pgVault.audit.verify()).toMatchObject({ ok: true })
    expect((await pgVault.readThroughGrant(grant.id)).fields).toEqual({ email: 'ada@example.org' })

    const back = await createVault({ database: openSqlite(join(dir, 'b.db')), kdf: 'interactive' })
    cleanups.push(() => back.close())
    await back.restore(await bytesOf(pgVault), PASS)
    expect(comparable(await back.exportJson())).toEqual(original)
    expect(await back.audit.verify()).toMatchObject({ ok: true })
  })
})
