/**
 * Issue 12, part 3: a receipt for every grant, narrowing, expiry, revocation and denial. The vault
 * keeps each consent event with what was consented to (or asked) at the time, written with the
 * change; the vendor hears of each receipt; the history survives backup, restore and key rotation,
 * and an edited event is refused, never believed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_REFUSALS_PER_VENDOR } from '../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

async function world() {
  let t = Date.parse('2026-06-01T10:00:00Z')
  tv = await createTestVault({ now: () => new Date(t) })
  const vault = tv.vault
  const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
  const books = await vault.vendors.register({ name: 'Book Nook' })
  return {
    vault,
    shop,
    books,
    db: tv.handle.db,
    advance: (seconds: number) => {
      t += seconds * 1000
    },
  }
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const request = { fields: ['email'], actions: ['read' as const], purpose: 'Newsletter' }

describe('the consent history', () => {
  it('keeps each event of a grant with what it said then, and the vendor hears of each receipt', async () => {
    const { vault, shop, books, advance } = await world()
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email', 'name.given'],
      actions: ['read', 'append'],
      purpose: 'Sizing',
      purposes: ['dpv:CustomerCare'],
      durationSeconds: 3600,
    })
    advance(60)
    await vault.grants.narrow(grant.id, { fields: ['email'], actions: ['read'] })
    advance(60)
    await vault.grants.revoke(grant.id)
    await vault.grants.create({
      vendorId: books.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Receipts',
      durationSeconds: 3600,
    })

    const { events, next } = await vault.grants.history({ vendorId: shop.id })
    expect(next).toBeUndefined()
    expect(events.map((e) => [e.id, e.kind, e.revision, e.at])).toEqual([
      [`${grant.id}.1`, 'given', 1, '2026-06-01T10:00:00.000Z'],
      [`${grant.id}.2`, 'narrowed', 2, '2026-06-01T10:01:00.000Z'],
      [`${grant.id}.2.revoked`, 'withdrawn', 2, '2026-06-01T10:02:00.000Z'],
    ])
    // What was consented to at each event, not what the grant says now.
    expect(events[0]?.grant).toMatchObject({
      fields: ['email', 'name.given'],
      actions: ['read', 'append'],
      purposes: ['https://w3id.org/dpv#CustomerCare'],
      expiresAt: '2026-06-01T11:00:00.000Z',
    })
    expect(events[1]?.grant).toMatchObject({ fields: ['email'], actions: ['read'] })
    expect(events.every((e) => e.vendorId === shop.id && e.grantId === grant.id)).toBe(true)

    const notices = (await vault.signals.forVendor(shop.id, 50)).filter(
      (s) => s.kind === 'receipt.issued',
    )
    expect(notices.map((s) => s.paths)).toEqual(events.map((e) => [e.id]))
    expect(notices.every((s) => s.grantId === grant.id)).toBe(true)
  })

  it('an expiry is an event at the grant’s expiry, and one grant’s history is its own', async () => {
    const { vault, shop, advance } = await world()
    const a = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'A',
      durationSeconds: 600,
    })
    await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'B',
      durationSeconds: 7200,
    })
    expect((await vault.grants.history({ grantId: a.id })).events.map((e) => e.kind)).toEqual([
      'given',
    ])
    advance(601)
    const { events } = await vault.grants.history({ grantId: a.id })
    expect(events.map((e) => [e.id, e.kind, e.at])).toEqual([
      [`${a.id}.1`, 'given', '2026-06-01T10:00:00.000Z'],
      [`${a.id}.1.expired`, 'expired', '2026-06-01T10:10:00.000Z'],
    ])
  })

  it('a single-use grant’s one read ends it: an event at that read', async () => {
    const { vault, shop, advance } = await world()
    await vault.fields.set('email', 'ada@example.org')
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'One delivery',
      accessMode: 'singleUse',
      durationSeconds: 3600,
    })
    advance(30)
    await vault.readThroughGrant(grant.id)
    const { events } = await vault.grants.history({ grantId: grant.id })
    expect(events.map((e) => [e.id, e.kind, e.at])).toEqual([
      [`${grant.id}.1`, 'given', '2026-06-01T10:00:00.000Z'],
      [`${grant.id}.1.used`, 'consumed', '2026-06-01T10:00:30.000Z'],
    ])
    expect(events[1]?.grant?.accessMode).toBe('singleUse')
  })

  it('a denial by the owner and a refusal by her standing rules are events with what was asked', async () => {
    const { vault, shop, books, db, advance } = await world()
    const denial = await vault.grants.deny({
      vendorId: shop.id,
      request: { ...request, purposes: ['https://w3id.org/dpv#Marketing'], durationSeconds: 600 },
      reason: 'ERR_OWNER_DENIED',
    })
    advance(1)
    await vault.access.refuseRequest({
      vendorId: shop.id,
      refused: ['https://w3id.org/dpv#Marketing'],
      request: { ...request, purposes: ['https://w3id.org/dpv#Marketing'] },
    })
    // Without what was asked, a refusal is logged only (as before this history).
    await vault.access.refuseRequest({ vendorId: books.id, refused: ['x:y'] })

    const { events } = await vault.grants.history({ vendorId: shop.id })
    expect(events.map((e) => [e.kind, e.grantId, e.refusal?.reason])).toEqual([
      ['refused', undefined, 'ERR_OWNER_DENIED'],
      ['refused', undefined, 'ERR_PURPOSE_REFUSED'],
    ])
    expect(events[0]?.id).toBe(denial)
    expect(events[0]?.refusal?.request).toMatchObject({ fields: ['email'], durationSeconds: 600 })
    expect(events[1]?.refusal?.refused).toEqual(['https://w3id.org/dpv#Marketing'])
    expect((await vault.grants.history({ vendorId: books.id })).events).toEqual([])

    const log = await vault.audit.list({ action: 'grant.denied' })
    expect(log[0]).toMatchObject({
      actor: 'owner',
      vendorId: shop.id,
      detail: 'ERR_OWNER_DENIED',
    })
    // The asked-for fields are sealed like every value; the row says only who and when.
    const row = await db
      .selectFrom('consent_events')
      .selectAll()
      .where('id', '=', denial)
      .executeTakeFirstOrThrow()
    expect(Buffer.from(row.body).toString('latin1')).not.toContain('Newsletter')
  })

  it('keeps at most MAX_REFUSALS_PER_VENDOR refusals of a vendor, the newest', async () => {
    const { vault, shop, advance } = await world()
    const ids: string[] = []
    for (let i = 0; i < MAX_REFUSALS_PER_VENDOR + 5; i++) {
      ids.push(await vault.grants.deny({ vendorId: shop.id, request, reason: 'ERR_OWNER_DENIED' }))
      advance(1)
    }
    const kept: string[] = []
    let page = await vault.grants.history({ vendorId: shop.id, limit: 40 })
    kept.push(...page.events.map((e) => e.id))
    while (page.next) {
      page = await vault.grants.history({ vendorId: shop.id, limit: 40, after: page.next })
      kept.push(...page.events.map((e) => e.id))
    }
    expect(kept).toEqual(ids.slice(5))
  })

  it('refuses a cursor it did not make and bad input, with codes', async () => {
    const { vault, shop } = await world()
    await expect(vault.grants.history({ after: 'nonsense!' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    })
    await expect(vault.grants.history({ limit: 0 })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    })
    await expect(
      vault.grants.deny({
        vendorId: shop.id,
        request: { ...request, purpose: 'x'.repeat(501) },
        reason: 'ERR_OWNER_DENIED',
      }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    await expect(
      vault.grants.deny({ vendorId: shop.id, request, reason: 'ERR_WHATEVER' as never }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    await expect(vault.grants.history({ grantId: 'grt_doesnotexist' })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    })
  })

  it('an event edited or moved in the database is refused, never believed', async () => {
    const { vault, shop, db } = await world()
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Sizing',
      durationSeconds: 3600,
    })
    await vault.grants.revoke(grant.id)
    // Someone with write access turns the withdrawal back into consent given.
    await db
      .updateTable('consent_events')
      .set({ kind: 'given' })
      .where('id', '=', `${grant.id}.1.revoked`)
      .execute()
    await expect(vault.grants.history({ vendorId: shop.id })).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
    })
    await db
      .updateTable('consent_events')
      .set({ kind: 'withdrawn' })
      .where('id', '=', `${grant.id}.1.revoked`)
      .execute()
    expect((await vault.grants.history({ vendorId: shop.id })).events).toHaveLength(2)
    // … or gives one vendor's event to another.
    const other = await vault.vendors.register({ name: 'Other' })
    await db
      .updateTable('consent_events')
      .set({ vendor_id: other.id })
      .where('id', '=', `${grant.id}.1`)
      .execute()
    await expect(vault.grants.history({ vendorId: other.id })).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
    })
  })

  it('survives a key rotation and a backup restored', async () => {
    const { vault, shop } = await world()
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Sizing',
      durationSeconds: 3600,
    })
    await vault.grants.deny({ vendorId: shop.id, request, reason: 'ERR_OWNER_DENIED' })
    const before = await vault.grants.history({ vendorId: shop.id })
    const rotated = await vault.rotateKeys()
    expect(rotated.retiredTerms.length).toBeGreaterThan(0)
    expect(await vault.grants.history({ vendorId: shop.id })).toEqual(before)

    const backup = await collect(vault.backup())
    await vault.grants.revoke(grant.id)
    expect((await vault.grants.history({ vendorId: shop.id })).events).toHaveLength(3)
    await vault.restore(backup, PASSPHRASE)
    expect(await vault.grants.history({ vendorId: shop.id })).toEqual(before)
  })
})
