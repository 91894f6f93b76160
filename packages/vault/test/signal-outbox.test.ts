/**
 * Issue 12, part 4 (the vault's side): signals to vendors are written in the transaction of the
 * change they announce, coalesce so a burst of edits is one signal, carry the vault's MAC (a row
 * it did not write is never handed out), and leave with delivery.
 */
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE, type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

/** The signals these tests are about: every consent event also has a receipt notice, tested apart. */
async function due(vault: TestVault['vault']) {
  return (await vault.signals.due()).filter((s) => s.kind !== 'receipt.issued')
}

async function world() {
  let t = Date.parse('2026-06-01T10:00:00Z')
  tv = await createTestVault({ now: () => new Date(t) })
  const vault = tv.vault
  await vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 38' })
  const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
  const books = await vault.vendors.register({ name: 'Book Nook' })
  const grant = await vault.grants.create({
    vendorId: shop.id,
    fields: ['email', 'prefs.sizes.*'],
    actions: ['read'],
    purpose: 'Sizing',
    durationSeconds: 3600,
  })
  const other = await vault.grants.create({
    vendorId: books.id,
    fields: ['email'],
    actions: ['read'],
    purpose: 'Receipts',
    durationSeconds: 7200,
  })
  // Both grants' receipt notices, collected: the tests below start with an empty outbox.
  await vault.signals.delivered((await vault.signals.due()).map((s) => s.id))
  return {
    vault,
    shop,
    books,
    grant,
    other,
    advance: (seconds: number) => {
      t += seconds * 1000
    },
  }
}

describe('the signal outbox', () => {
  it('a field change reaches exactly the grants that cover it, and a burst of edits is one signal per grant', async () => {
    const { vault, shop, books, grant, other } = await world()
    expect(await due(vault)).toEqual([]) // expiries are not due yet
    await vault.fields.set('prefs.sizes.shoe', 'EU 39')
    for (let i = 0; i < 200; i++) await vault.fields.set('email', `ada+${i}@example.org`)
    await vault.fields.set('telephone', '+44 20 7946 0000') // nobody's grant covers it
    const pending = await due(vault)
    expect(pending.map((s) => [s.vendorId, s.grantId, s.kind, s.paths]).sort()).toEqual(
      [
        [shop.id, grant.id, 'field.changed', ['email', 'prefs.sizes.shoe']],
        [books.id, other.id, 'field.changed', ['email']],
      ].sort(),
    )
    expect(JSON.stringify(pending)).not.toContain('ada+')
  })

  it('revoking says so and drops the expiry; narrowing says so and moves it; an expiry is due when it comes', async () => {
    const { vault, grant, other, advance } = await world()
    await vault.grants.revoke(grant.id)
    await vault.grants.narrow(other.id, {
      expiresAt: new Date(Date.parse('2026-06-01T10:30:00Z')).toISOString(),
    })
    expect((await due(vault)).map((s) => [s.grantId, s.kind]).sort()).toEqual(
      [
        [grant.id, 'grant.revoked'],
        [other.id, 'grant.narrowed'],
      ].sort(),
    )
    await vault.signals.delivered((await due(vault)).map((s) => s.id))
    advance(31 * 60)
    const expired = await due(vault)
    expect(expired.map((s) => [s.grantId, s.kind, s.at])).toEqual([
      [other.id, 'grant.expired', '2026-06-01T10:30:00.000Z'],
    ])
    advance(3600)
    expect((await due(vault)).map((s) => s.grantId)).not.toContain(grant.id)
  })

  it('a failed delivery waits for its retry; delivered signals are gone; only the vendor’s own are acknowledged', async () => {
    const { vault, books, advance } = await world()
    await vault.fields.set('email', 'grace@example.org')
    const [first] = (await due(vault)).filter((s) => s.vendorId === books.id)
    await vault.signals.failed(
      first?.id as string,
      new Date(Date.parse('2026-06-01T10:05:00Z')),
      'http_500',
    )
    expect((await due(vault)).map((s) => s.id)).not.toContain(first?.id)
    expect((await vault.signals.backlog()).get(books.id)).toMatchObject({
      pending: 1,
      attempts: 1,
      lastError: 'http_500',
    })
    advance(6 * 60)
    expect((await due(vault)).map((s) => s.id)).toContain(first?.id)
    expect(await vault.signals.delivered([first?.id as string], 'ven_somebodyelse1234567')).toBe(0)
    expect(await vault.signals.delivered([first?.id as string], books.id)).toBe(1)
    expect((await due(vault)).map((s) => s.id)).not.toContain(first?.id)
  })

  it('a vendor’s signals stay in order: while one waits for its retry, the ones after it wait too', async () => {
    const { vault, shop, books, grant, advance } = await world()
    await vault.grants.revoke(grant.id) // the revocation, and the notice of its receipt
    await vault.fields.set('email', 'grace@example.org') // the other vendor's news
    const shops = (await vault.signals.due()).filter((s) => s.vendorId === shop.id)
    expect(shops.map((s) => s.kind).sort()).toEqual(['grant.revoked', 'receipt.issued'])
    const [first, second] = shops
    await vault.signals.failed(
      first?.id as string,
      new Date(Date.parse('2026-06-01T10:05:00Z')),
      'http_500',
    )
    const now = await vault.signals.due()
    expect(now.map((s) => s.id)).not.toContain(second?.id)
    expect(now.map((s) => s.vendorId)).toEqual([books.id]) // other vendors are not held up
    advance(6 * 60)
    expect(
      (await vault.signals.due()).filter((s) => s.vendorId === shop.id).map((s) => s.id),
    ).toEqual([first?.id, second?.id])
  })

  it('a row the vault did not write, or one edited in the database, is never handed out', async () => {
    const { vault, grant } = await world()
    await vault.grants.revoke(grant.id)
    const db = (tv as TestVault).handle.db
    const revoked = await db
      .selectFrom('signal_outbox')
      .select('id')
      .where('kind', '=', 'grant.revoked')
      .executeTakeFirstOrThrow()
    // An edit: the revocation of one grant turned into another kind of news.
    await db
      .updateTable('signal_outbox')
      .set({ kind: 'grant.narrowed' })
      .where('id', '=', revoked.id)
      .execute()
    // A forgery: a copy of the row under a new id.
    await sql`insert into signal_outbox (id, vendor_id, grant_id, kind, paths, created_at, due_at, row_mac, attempts) select 'sig_forgedforgedforgedfor', vendor_id, grant_id, 'grant.revoked', paths, created_at, due_at, row_mac, 0 from signal_outbox where id = ${revoked.id}`.execute(
      db,
    )
    expect(await due(vault)).toEqual([])
    const rows = await db.selectFrom('signal_outbox').select(['id', 'kind']).execute()
    const left = rows.map((r) => r.id)
    expect(left).not.toContain(revoked.id)
    expect(left).not.toContain('sig_forgedforgedforgedfor')
    // The other grant's expiry, not yet due, and the notice of the revocation's receipt.
    expect(rows.map((r) => r.kind).sort()).toEqual(['grant.expired', 'receipt.issued'])
  })

  it('a restored or imported grant’s vendor still hears of its expiry when it comes', async () => {
    const { vault, shop, grant, other, advance } = await world()
    const backup: Uint8Array[] = []
    for await (const chunk of vault.backup()) backup.push(chunk)
    await vault.restore(Buffer.concat(backup), PASSPHRASE)
    const expiries = async () =>
      await (tv as TestVault).handle.db
        .selectFrom('signal_outbox')
        .select(['grant_id', 'due_at'])
        .where('kind', '=', 'grant.expired')
        .orderBy('due_at')
        .execute()
    expect(await expiries()).toEqual([
      { grant_id: grant.id, due_at: grant.expiresAt },
      { grant_id: other.id, due_at: other.expiresAt },
    ])
    advance(3601)
    expect((await due(vault)).map((s) => [s.vendorId, s.kind])).toEqual([
      [shop.id, 'grant.expired'],
    ])

    // An import writes grants as rows: each gets its one expiry signal, not a second.
    const exported = await vault.exportJson()
    await vault.importJson(exported, { mode: 'replace' })
    expect((await expiries()).map((e) => e.grant_id).sort()).toEqual([grant.id, other.id].sort())
  })

  it('an erasure request is a signal and a log entry; the acknowledgement is logged', async () => {
    const { vault, shop } = await world()
    const id = await vault.signals.requestErasure(shop.id)
    expect((await due(vault)).find((s) => s.id === id)).toMatchObject({
      vendorId: shop.id,
      kind: 'erasure.requested',
      grantId: null,
    })
    await vault.signals.erasureAcknowledged(shop.id, id)
    const log = await vault.audit.list({ vendorId: shop.id })
    expect(log.map((e) => [e.action, e.detail]).slice(0, 2)).toEqual([
      ['vendor.erasure_acknowledged', id],
      ['vendor.erasure_requested', id],
    ])
    await expect(vault.signals.requestErasure('ven_nosuchvendor0000000')).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    })
  })
})
