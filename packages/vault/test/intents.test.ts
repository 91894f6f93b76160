/**
 * Issue 13, intents: the owner publishes a request for proposals, vendors that may see it answer
 * with offers under a per-vendor pseudonym, she accepts one and the others are declined — each
 * vendor told by a signal, every step audited, limits against spam, rows authenticated.
 */
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { type EntrySigner, MAX_OFFERS_PER_VENDOR, type Vault, VaultError } from '../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

let clock = new Date('2026-06-01T10:00:00Z')
const now = () => clock
/** A stand-in for the consent API's signer: a JWS-shaped string whose payload is the entry. */
const sign: EntrySigner = (entry) =>
  `eyJhbGciOiJFZERTQSJ9.${Buffer.from(entry).toString('base64url')}.c2lnbmF0dXJl`
const sig = { jws: 'eyJhbGciOiJFZERTQSJ9.e30.c2ln', signedBy: 'vault' as const }
const offer = (amount: number) => ({
  price: { amount, currency: 'EUR' },
  included: 'Jacket, shipping, 2-year warranty',
  validUntil: '2026-06-20T00:00:00Z',
  terms: { url: 'https://fjord.example/terms' },
})

async function vendorWith(vault: Vault, name: string, actions: ('read' | 'intents')[]) {
  const vendor = await vault.vendors.register({ name })
  const grant = await vault.grants.create({
    vendorId: vendor.id,
    fields: ['email'],
    actions,
    purpose: 'Offers',
    durationSeconds: 30 * 86400,
  })
  return { vendorId: vendor.id, grantId: grant.id }
}

async function setUp() {
  clock = new Date('2026-06-01T10:00:00Z')
  tv = await createTestVault({ now })
  const { vault } = tv
  const fjord = await vendorWith(vault, 'Fjord Outdoor', ['intents'])
  const nordic = await vendorWith(vault, 'Nordic Shoes', ['intents'])
  const reader = await vendorWith(vault, 'Only Reads', ['read'])
  const intent = await vault.intents.create({
    category: 'Outdoor',
    text: 'A rain jacket for hiking',
    requirements: { size: 'M', budget: { amount: 200, currency: 'EUR' }, deliverBy: '2026-06-30' },
    openUntil: '2026-06-15T00:00:00Z',
    audience: 'all',
    disclose: ['email', 'name.given'],
  })
  return { vault, fjord, nordic, reader, intent }
}

describe('intents', () => {
  it('shows each vendor its own pseudonym, takes offers, accepts one and declines the others', async () => {
    const { vault, fjord, nordic, intent } = await setUp()
    const asFjord = vault.intents.asVendor(fjord)
    const asNordic = vault.intents.asVendor(nordic)
    const [seenByFjord] = await asFjord.list()
    const [seenByNordic] = await asNordic.list()
    expect(seenByFjord?.text).toBe('A rain jacket for hiking')
    expect(seenByFjord?.disclose).toEqual(['email', 'name.given'])
    // Two vendors cannot correlate by id, and neither learns the real one.
    expect(seenByFjord?.id).toMatch(/^rfp_[0-9a-f]{32}$/)
    expect(seenByFjord?.id).not.toBe(seenByNordic?.id)
    expect(seenByFjord?.id).not.toBe(intent.id)
    expect(JSON.stringify(seenByFjord)).not.toContain(intent.id)
    // Stable for the same vendor.
    expect((await asFjord.get(seenByFjord?.id ?? '')).id).toBe(seenByFjord?.id)
    // A vendor cannot use another vendor's pseudonym.
    await expect(asFjord.get(seenByNordic?.id ?? '')).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    })

    const a = await asFjord.offer(seenByFjord?.id ?? '', offer(180), sig)
    const b = await asNordic.offer(seenByNordic?.id ?? '', offer(150), sig)
    expect(a).toMatchObject({ state: 'open', vendorId: fjord.vendorId, signature: sig })
    expect((await asFjord.list())[0]?.offers.map((o) => o.id)).toEqual([a.id])

    const side = await vault.intents.offers(intent.id)
    expect(side.map((o) => o.id)).toEqual([b.id, a.id]) // cheapest first
    expect((await vault.intents.get(intent.id)).openOffers).toBe(2)

    const accepted = await vault.intents.accept(intent.id, a.id, sign)
    expect(accepted).toMatchObject({
      intentId: intent.id,
      offerId: a.id,
      vendorId: fjord.vendorId,
      disclose: ['email', 'name.given'],
      declined: [b.id],
      grant: { vendorId: fjord.vendorId, fields: ['email', 'name.given'], actions: ['read'] },
    })
    const after = await vault.intents.get(intent.id)
    expect(after).toMatchObject({ state: 'fulfilled', acceptedOfferId: a.id, openOffers: 0 })
    expect(
      Object.fromEntries((await vault.intents.offers(intent.id)).map((o) => [o.id, o.state])),
    ).toEqual({ [a.id]: 'accepted', [b.id]: 'declined' })

    // Each vendor is told.
    const signals = (await vault.signals.due(100)).filter((s) => s.kind.startsWith('intent.'))
    expect(signals.map((s) => [s.vendorId, s.kind, s.paths])).toEqual(
      expect.arrayContaining([
        [fjord.vendorId, 'intent.offer_accepted', [a.id]],
        [nordic.vendorId, 'intent.offer_declined', [b.id]],
      ]),
    )
    expect(signals).toHaveLength(2)

    // Closed: not listed, no offers, no withdrawals; a vendor that offered still reads how it ended.
    expect(await asFjord.list()).toEqual([])
    expect(await asFjord.get(seenByFjord?.id ?? '')).toMatchObject({
      state: 'closed',
      disclose: ['email', 'name.given'],
      offers: [{ id: a.id, state: 'accepted' }],
    })
    await expect(asNordic.offer(seenByNordic?.id ?? '', offer(100), sig)).rejects.toMatchObject({
      code: 'ERR_INTENT_CLOSED',
    })
    await expect(asNordic.withdraw(seenByNordic?.id ?? '', b.id)).rejects.toMatchObject({
      code: 'ERR_INTENT_CLOSED',
    })
    await expect(vault.intents.accept(intent.id, b.id, sign)).rejects.toMatchObject({
      code: 'ERR_INTENT_CLOSED',
    })

    const actions = (await vault.audit.list({})).map((e) => e.action)
    for (const action of [
      'intent.created',
      'intent.viewed',
      'intent.offered',
      'intent.offer_accepted',
      'intent.offer_declined',
    ])
      expect(actions).toContain(action)
  })

  it('opens a thread with the chosen vendor about the order, in the same step as the acceptance', async () => {
    const { vault, fjord, nordic, intent } = await setUp()
    const [seen] = await vault.intents.asVendor(fjord).list()
    const [seenByNordic] = await vault.intents.asVendor(nordic).list()
    const a = await vault.intents.asVendor(fjord).offer(seen?.id ?? '', offer(180), sig)
    await vault.intents.asVendor(nordic).offer(seenByNordic?.id ?? '', offer(150), sig)

    // No signer is caller misuse.
    await expect(vault.intents.accept(intent.id, a.id, undefined as never)).rejects.toThrow(
      TypeError,
    )
    // A signer that fails: nothing is accepted, no thread opens, the offers stay open.
    const failing: EntrySigner = () => {
      throw new Error('signing key unavailable')
    }
    await expect(vault.intents.accept(intent.id, a.id, failing)).rejects.toThrow(
      'signing key unavailable',
    )
    expect(await vault.intents.get(intent.id)).toMatchObject({ state: 'open', openOffers: 2 })
    expect(await vault.conversations.list()).toEqual([])

    const accepted = await vault.intents.accept(intent.id, a.id, sign)
    const threads = await vault.conversations.list()
    expect(threads).toHaveLength(1)
    expect(threads[0]).toMatchObject({
      id: accepted.threadId,
      vendorId: fjord.vendorId,
      openedBy: 'owner',
      topic: 'purchase',
      subject: 'Your offer on Outdoor',
      state: 'open',
      status: 'waiting_for_vendor',
    })
    const thread = await vault.conversations.read(accepted.threadId)
    expect(thread.items).toHaveLength(1)
    expect(thread.items[0]).toMatchObject({ author: 'owner', orderNumber: a.id })
    expect(thread.items[0]?.text).toContain('180 EUR')
    expect(thread.items[0]?.text).toContain('email, name.given')

    // The thread is the owner's: a grant without `converse` does not open it to the vendor …
    await expect(vault.conversations.asVendor(fjord).read(accepted.threadId)).rejects.toMatchObject(
      { code: 'ERR_GRANT_SCOPE' },
    )
    // … one that allows it does, and the vendor writes there about the order.
    const converse = await vault.grants.create({
      vendorId: fjord.vendorId,
      fields: ['email', 'name.given'],
      actions: ['read', 'converse'],
      purpose: 'To fulfil the accepted offer on: Outdoor',
      durationSeconds: 30 * 86400,
    })
    const asFjord = vault.conversations.asVendor({ vendorId: fjord.vendorId, grantId: converse.id })
    expect((await asFjord.list()).map((t) => t.id)).toEqual([accepted.threadId])
    await asFjord.post(accepted.threadId, { text: 'Thank you, it ships Monday.' }, sign)
    expect((await vault.conversations.read(accepted.threadId)).items).toHaveLength(2)
    // The declined vendor has no thread.
    const nordicConverse = await vault.grants.create({
      vendorId: nordic.vendorId,
      fields: ['email'],
      actions: ['converse'],
      purpose: 'Talk',
      durationSeconds: 86400,
    })
    expect(
      await vault.conversations
        .asVendor({ vendorId: nordic.vendorId, grantId: nordicConverse.id })
        .list(),
    ).toEqual([])
    // Newest first: the thread opened right after the acceptance, in its transaction.
    const actions = (await vault.audit.list({})).map((e) => e.action)
    expect(actions.indexOf('conversation.opened')).toBeLessThan(
      actions.indexOf('intent.offer_accepted'),
    )
    expect(actions.indexOf('conversation.opened')).toBeGreaterThan(-1)
  })

  it('keeps intents from vendors without the intents action, outside the audience, or blocked', async () => {
    const { vault, fjord, nordic, reader } = await setUp()
    await expect(vault.intents.asVendor(reader).list()).rejects.toMatchObject({
      code: 'ERR_GRANT_SCOPE',
    })
    const chosen = await vault.intents.create({
      category: 'Shoes',
      text: 'Trail shoes',
      openUntil: '2026-06-10T00:00:00Z',
      audience: { vendors: [nordic.vendorId] },
    })
    expect((await vault.intents.asVendor(fjord).list()).map((i) => i.text)).toEqual([
      'A rain jacket for hiking',
    ])
    expect(await vault.intents.asVendor(nordic).list()).toHaveLength(2)
    expect(chosen.audience).toEqual({ vendors: [nordic.vendorId] })

    // Another vendor's grant is refused (the caller's vendor decides).
    await expect(
      vault.intents.asVendor({ vendorId: fjord.vendorId, grantId: nordic.grantId }).list(),
    ).rejects.toBeInstanceOf(VaultError)

    await vault.vendors.setBlocked(fjord.vendorId, true)
    await expect(vault.intents.asVendor(fjord).list()).rejects.toMatchObject({
      code: 'ERR_VENDOR_BLOCKED',
    })
    // And a blocked vendor cannot be chosen.
    await expect(
      vault.intents.create({
        category: 'Shoes',
        text: 'More shoes',
        openUntil: '2026-06-10T00:00:00Z',
        audience: { vendors: [fjord.vendorId] },
      }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
  })

  it('bounds offers per vendor, open intents, sizes and dates; withdraws while open', async () => {
    const { vault, fjord, intent } = await setUp()
    const asFjord = vault.intents.asVendor(fjord)
    const [seen] = await asFjord.list()
    const id = seen?.id ?? ''
    const first = await asFjord.offer(id, offer(1), sig)
    await asFjord.withdraw(id, first.id)
    await expect(asFjord.withdraw(id, first.id)).rejects.toMatchObject({ code: 'ERR_CONFLICT' })
    for (let i = 1; i < MAX_OFFERS_PER_VENDOR; i++) await asFjord.offer(id, offer(i), sig)
    // Withdrawn offers count: withdraw-and-repost is no way around the limit.
    await expect(asFjord.offer(id, offer(9), sig)).rejects.toMatchObject({
      code: 'ERR_OFFER_LIMIT',
    })
    expect((await vault.intents.offers(intent.id)).map((o) => o.state).sort()).toEqual([
      'open',
      'open',
      'withdrawn',
    ])

    await expect(
      asFjord.offer(id, { ...offer(1), included: 'x'.repeat(2001) }, sig),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    await expect(
      asFjord.offer(id, { ...offer(1), validUntil: '2026-05-01T00:00:00Z' }, sig),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    await expect(
      asFjord.offer(id, { ...offer(1), price: { amount: 1, currency: 'euro' } }, sig),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    await expect(
      vault.intents.create({
        category: 'X',
        text: 'Y',
        openUntil: '2026-12-31T00:00:00Z', // more than 90 days away
        audience: 'all',
      }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION', issues: [{ path: 'openUntil' }] })
    await expect(
      vault.intents.create({
        category: 'X',
        text: 'Y',
        openUntil: '2026-06-10T00:00:00Z',
        audience: 'all',
        disclose: ['not a path'],
      }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    for (let i = 1; i < 20; i++)
      await vault.intents.create({
        category: 'X',
        text: `Y${i}`,
        openUntil: '2026-06-10T00:00:00Z',
        audience: 'all',
      })
    await expect(
      vault.intents.create({
        category: 'X',
        text: 'one too many',
        openUntil: '2026-06-10T00:00:00Z',
        audience: 'all',
      }),
    ).rejects.toMatchObject({ code: 'ERR_INTENT_LIMIT' })
  })

  it('stops taking offers at open-until; closing declines what is open', async () => {
    const { vault, fjord, nordic, intent } = await setUp()
    const asNordic = vault.intents.asVendor(nordic)
    const [seen] = await asNordic.list()
    const made = await asNordic.offer(seen?.id ?? '', offer(120), sig)
    clock = new Date('2026-06-16T00:00:00Z')
    expect((await vault.intents.get(intent.id)).state).toBe('expired')
    expect(await vault.intents.asVendor(fjord).list()).toEqual([])
    await expect(
      vault.intents.asVendor(fjord).offer(seen?.id ?? '', offer(1), sig),
    ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' }) // fjord's pseudonym differs
    await expect(asNordic.offer(seen?.id ?? '', offer(1), sig)).rejects.toMatchObject({
      code: 'ERR_INTENT_CLOSED',
    })
    await vault.intents.close(intent.id)
    expect((await vault.intents.get(intent.id)).state).toBe('closed')
    expect((await vault.intents.offers(intent.id))[0]).toMatchObject({
      id: made.id,
      state: 'declined',
    })
    const signals = await vault.signals.due(100)
    expect(signals.filter((s) => s.kind === 'intent.offer_declined')).toHaveLength(1)
  })

  it('stores intents and offers encrypted, and refuses a row edited to widen its audience', async () => {
    const { vault, fjord } = await setUp()
    const asFjord = vault.intents.asVendor(fjord)
    const [seen] = await asFjord.list()
    await asFjord.offer(seen?.id ?? '', offer(99), sig)
    const db = tv?.handle.db
    if (!db) throw new Error('no db')
    const raw = await sql<{ body: Uint8Array }>`select body from intents`.execute(db)
    expect(Buffer.from(raw.rows[0]?.body ?? []).toString('latin1')).not.toContain('rain jacket')
    const offers = await sql<{ body: Uint8Array }>`select body from intent_offers`.execute(db)
    expect(Buffer.from(offers.rows[0]?.body ?? []).toString('latin1')).not.toContain('warranty')

    const narrow = await vault.intents.create({
      category: 'Private',
      text: 'Only for one',
      openUntil: '2026-06-10T00:00:00Z',
      audience: { vendors: [fjord.vendorId] },
    })
    await sql`update intents set audience = '*' where id = ${narrow.id}`.execute(db)
    await expect(vault.intents.list()).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })
  })

  it('refuses a saved authentic row put back to reopen a closed intent (row MAC bound to the ledger epoch)', async () => {
    const { vault, fjord, intent } = await setUp()
    const db = tv?.handle.db
    if (!db) throw new Error('no db')
    type Saved = { state: string; closed_at: string | null; row_mac: Uint8Array }
    const saved = (
      await sql<Saved>`select state, closed_at, row_mac from intents where id = ${intent.id}`.execute(
        db,
      )
    ).rows[0] as Saved
    await vault.intents.close(intent.id)
    expect(await vault.intents.asVendor(fjord).list()).toEqual([])
    // The attack: the row as it was while open, MAC and all, written back.
    await sql`update intents set state = ${saved.state}, closed_at = ${saved.closed_at}, row_mac = ${saved.row_mac} where id = ${intent.id}`.execute(
      db,
    )
    await expect(vault.intents.list()).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })
    await expect(vault.intents.asVendor(fjord).list()).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
    })
  })

  it('goes into the portable export and the backup with its offers', async () => {
    const { vault, fjord, intent } = await setUp()
    const asFjord = vault.intents.asVendor(fjord)
    const [seen] = await asFjord.list()
    const made = await asFjord.offer(seen?.id ?? '', offer(99), sig)
    const doc = await vault.exportJson()
    expect(doc.intents).toHaveLength(1)
    expect(doc.intents[0]).toMatchObject({
      id: intent.id,
      text: 'A rain jacket for hiking',
      offers: [{ id: made.id, vendorId: fjord.vendorId, signature: sig }],
    })
    // The export still parses as a whole (import validates it before writing anything).
    await expect(vault.importJson(doc)).resolves.toBeDefined()

    const chunks: Uint8Array[] = []
    for await (const chunk of vault.backup()) chunks.push(chunk)
    await vault.intents.close(intent.id)
    await vault.restore(Buffer.concat(chunks), PASSPHRASE)
    expect((await vault.intents.get(intent.id)).state).toBe('open')
    expect((await vault.intents.offers(intent.id)).map((o) => o.id)).toEqual([made.id])
  })
})
