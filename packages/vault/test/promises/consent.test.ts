/**
 * SECURITY.md promise 13 (deny by default) and the grant lifecycle around it: refusals,
 * narrowing, and the vendor inbox. The property test computes what a grant should show with
 * its own matcher and filter, independent of the library's `selectorMatches` and query code.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Grant,
  type GrantInput,
  type OrderInput,
  type Purchase,
  type Vault,
  type Vendor,
  VOCABULARY,
} from '../../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault } from '../support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

/** Valid, already-normalized sample values for every path of the vocabulary (two each). */
const SAMPLES: Record<string, readonly [unknown, unknown]> = {
  'name.given': ['Ada', 'Grace'],
  'name.family': ['Lovelace', 'Hopper'],
  'name.additional': ['Augusta', 'Brewster'],
  'name.honorificPrefix': ['Dr', 'Rear Admiral'],
  'name.honorificSuffix': ['PhD', 'Jr'],
  alternateName: ['Countess', 'Amazing Grace'],
  email: ['ada@example.org', 'grace@example.net'],
  'emails.other': [['ada@work.example'], ['g@a.example', 'h@b.example']],
  telephone: ['+44 20 7946 0958', '+1 (555) 010-0199'],
  'address.home': [
    { streetAddress: '12 St James Square', addressLocality: 'London', addressCountry: 'GB' },
    {
      streetAddress: '1 Navy Way',
      addressLocality: 'Arlington',
      addressRegion: 'VA',
      postalCode: '22201',
      addressCountry: 'US',
    },
  ],
  'address.shipping': [
    {
      streetAddress: 'Storgata 1',
      addressLocality: 'Oslo',
      addressCountry: 'NO',
      recipient: 'Ada',
    },
    {
      streetAddress: 'Hauptstr. 5',
      addressLocality: 'Berlin',
      postalCode: '10115',
      addressCountry: 'DE',
    },
  ],
  'address.billing': [
    { streetAddress: 'Rue de Rivoli 3', addressLocality: 'Paris', addressCountry: 'FR' },
    { streetAddress: 'Via Roma 9', addressLocality: 'Torino', addressCountry: 'IT' },
  ],
  birthDate: ['1815-12-10', '1906-12-09'],
  gender: ['female', 'woman'],
  nationality: ['GB', 'US'],
  knowsLanguage: [['en', 'fr'], ['en-US']],
  jobTitle: ['Analyst', 'Rear admiral'],
  worksFor: ['Analytical Engine Ltd', 'US Navy'],
  'prefs.sizes.shoe': ['EU 39', 'US 8'],
  'prefs.sizes.top': ['M', 'S'],
  'prefs.sizes.bottom': ['W30 L32', '38'],
  'prefs.sizes.dress': ['38', '10'],
  'prefs.sizes.ring': ['52', 'N'],
  'prefs.diet': [['vegetarian'], ['gluten-free', 'low-sugar']],
  'prefs.allergies': [['peanuts'], ['pollen', 'latex']],
  'prefs.contact.channel': ['email', 'post'],
  'prefs.contact.frequency': ['monthly', 'transactional-only'],
  'prefs.contact.language': ['en-GB', 'fr'],
  'prefs.brands.liked': [['Fjord'], ['Nordic', 'Lumen']],
  'prefs.brands.avoid': [['FastFash'], []],
  'prefs.currency': ['EUR', 'GBP'],
  'prefs.interests': [['hiking'], ['mathematics', 'poetry']],
  'custom.loyalty.airline': ['FF 1234', 'SK 99887766'],
  'custom.loyalty.hotel': [42, true],
  'custom.note': ['likes window seats', ['a', 'b']],
  'custom.pets.count': [2, false],
}
const PATHS = Object.keys(SAMPLES)

/** Selectors a grant may name: exact paths, vocabulary subtrees and custom subtrees. */
const SELECTORS = [
  ...PATHS,
  'prefs.*',
  'name.*',
  'prefs.sizes.*',
  'prefs.contact.*',
  'prefs.brands.*',
  'address.*',
  'emails.*',
  'custom.*',
  'custom.loyalty.*',
  'custom.pets.*',
]

/** The test's own matcher: a subtree selector `a.b.*` covers paths with segments a, b and at least one more. */
function covers(selector: string, path: string): boolean {
  const sel = selector.split('.')
  const segs = path.split('.')
  if (sel[sel.length - 1] !== '*') return selector === path
  const prefix = sel.slice(0, -1)
  return segs.length > prefix.length && prefix.every((s, i) => segs[i] === s)
}

const DATES = [
  '2024-01-01',
  '2024-06-15',
  '2024-06-15T12:00:00Z',
  '2025-03-01T08:30:00+02:00',
  '2025-03-01T06:30:00Z',
  '2025-12-31T23:59:59Z',
  '2026-01-01',
]
const SELLERS = ['Fjord Outdoor', 'Nordic Shoes', 'Café Lumen']
const CATEGORIES = ['outdoor', 'shoes', 'food']

function instant(date: string): number {
  return new Date(date.length === 10 ? `${date}T00:00:00Z` : date).getTime()
}

interface GeneratedPurchase {
  readonly order: OrderInput
  /** Index into the run's vendors, or undefined for a purchase not linked to a vendor. */
  readonly vendor: number | undefined
}

const purchaseArb: fc.Arbitrary<GeneratedPurchase> = fc.record({
  order: fc.record(
    {
      seller: fc.constantFrom(...SELLERS),
      orderDate: fc.constantFrom(...DATES),
      category: fc.constantFrom(...CATEGORIES),
      currency: fc.constantFrom('EUR', 'USD'),
      total: fc.integer({ min: 0, max: 100_000 }).map((c) => c / 100),
    },
    { requiredKeys: ['seller', 'orderDate', 'currency', 'total'] },
  ),
  vendor: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
})

const contentsArb = fc.record({
  fields: fc.uniqueArray(
    fc.record({ path: fc.constantFrom(...PATHS), which: fc.integer({ min: 0, max: 1 }) }),
    { selector: (f) => f.path, maxLength: PATHS.length },
  ),
  purchases: fc.array(purchaseArb, { maxLength: 14 }),
  /** Receipts vendors append through their append grants: pending, never visible through a grant. */
  pending: fc.array(
    purchaseArb.map((p) => ({ order: p.order, vendor: p.vendor ?? 0 })),
    { maxLength: 3 },
  ),
})

const sliceArb = fc.option(
  fc.record(
    {
      madeWithVendor: fc.boolean(),
      categories: fc.uniqueArray(fc.constantFrom(...CATEGORIES, 'books'), {
        minLength: 1,
        maxLength: 3,
      }),
      since: fc.constantFrom(...DATES),
    },
    { requiredKeys: ['madeWithVendor'] },
  ),
  { nil: undefined },
)

const grantArb = fc
  .record({
    vendor: fc.integer({ min: 0, max: 2 }),
    fields: fc.uniqueArray(fc.constantFrom(...SELECTORS), { maxLength: 6 }),
    purchases: sliceArb,
    withAppend: fc.boolean(),
    pageSize: fc.integer({ min: 1, max: 5 }),
  })
  .filter((g) => g.fields.length > 0 || g.purchases !== undefined)

/** A copy of a ciphertext with its last byte (part of the AEAD tag) flipped: decrypting it fails. */
function flip(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes)
  const last = copy.length - 1
  copy[last] = (copy[last] as number) ^ 0x01
  return copy
}

/** Reads every page of a grant's purchases, checking each page's fields on the way. */
async function readAll(
  vault: Vault,
  grantId: string,
  pageSize: number,
  expectFields: Record<string, unknown>,
): Promise<Purchase[]> {
  const all: Purchase[] = []
  let cursor: string | undefined
  for (let page = 0; page < 100; page++) {
    const slice = await vault.readThroughGrant(grantId, {
      purchases: { limit: pageSize, ...(cursor === undefined ? {} : { cursor }) },
    })
    expect(slice.fields).toEqual(expectFields)
    if (!slice.purchases) return all
    expect(slice.purchases.items.length).toBeLessThanOrEqual(pageSize)
    all.push(...slice.purchases.items)
    cursor = slice.purchases.nextCursor
    if (cursor === undefined) return all
    // A page with a cursor is full: false positives or filtering never shorten it.
    expect(slice.purchases.items).toHaveLength(pageSize)
  }
  throw new Error('pagination did not end')
}

describe('promise 13: deny by default', () => {
  it('promise 13: over random vault contents × random grants, readThroughGrant returns exactly the granted fields that have values and exactly the accepted purchases of the slice, without decrypting anything else', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const db = tv.handle.db
    // Sequential on purpose: this test is about what a grant shows, not about concurrent writers.
    const vendors: Vendor[] = []
    const appendGrants: Grant[] = []
    for (const name of ['Fjord Outdoor', 'Nordic Shoes', 'Café Lumen']) {
      const vendor = await vault.vendors.register({ name })
      vendors.push(vendor)
      appendGrants.push(
        await vault.grants.create({
          vendorId: vendor.id,
          actions: ['append'],
          purpose: 'Receipts',
          durationSeconds: 86_400,
        }),
      )
    }
    expect(PATHS.filter((p) => !p.startsWith('custom.')).sort()).toEqual(
      Object.keys(VOCABULARY).sort(),
    )
    // This vault's category blind indexes: a purchase whose index equals a granted category's is a
    // legitimate candidate to decrypt and re-check (promise 25); every other ungranted one must never be decrypted.
    const categoryIndex = new Map<string, string>()
    for (const category of [...CATEGORIES, 'books']) {
      const p = await vault.purchases.add({
        seller: 'x',
        orderDate: '2020-01-01',
        currency: 'EUR',
        total: 0,
        category,
      })
      const row = await db
        .selectFrom('purchases')
        .select('category_index')
        .where('id', '=', p.id)
        .executeTakeFirstOrThrow()
      categoryIndex.set(category, row.category_index as string)
    }

    await fc.assert(
      fc.asyncProperty(contentsArb, grantArb, async (contents, g) => {
        await db.deleteFrom('fields').execute()
        await db.deleteFrom('purchases').execute()
        const stored: Record<string, unknown> = {}
        for (const f of contents.fields) stored[f.path] = SAMPLES[f.path]?.[f.which]
        if (contents.fields.length > 0) await vault.fields.setMany(stored)
        const accepted: Purchase[] = []
        for (const p of contents.purchases) {
          const vendorId = p.vendor === undefined ? undefined : vendors[p.vendor]?.id
          accepted.push(
            await vault.purchases.add(p.order, vendorId === undefined ? {} : { vendorId }),
          )
        }
        for (const p of contents.pending)
          await vault.inbox.append((appendGrants[p.vendor] as Grant).id, p.order)

        const vendorId = (vendors[g.vendor] as Vendor).id
        const input: GrantInput = {
          vendorId,
          fields: g.fields,
          ...(g.purchases ? { purchases: g.purchases } : {}),
          actions: g.withAppend ? ['read', 'append'] : ['read'],
          purpose: 'Property test',
          durationSeconds: 3600,
        }
        const grant = await vault.grants.create(input)

        const expectedFields = Object.fromEntries(
          Object.entries(stored).filter(([path]) => g.fields.some((s) => covers(s, path))),
        )
        const slice = g.purchases
        const expectedPurchases = slice
          ? accepted.filter(
              (p) =>
                (!slice.madeWithVendor || p.vendorId === vendorId) &&
                (slice.categories === undefined ||
                  (p.category !== undefined && slice.categories.includes(p.category))) &&
                (slice.since === undefined || instant(p.orderDate) >= instant(slice.since)),
            )
          : []

        // Deny by default goes below the API: corrupt every value the grant does not cover, so
        // decrypting any of them would fail the read with ERR_INTEGRITY.
        const expectedIds = new Set(expectedPurchases.map((p) => p.id))
        const candidateIndexes = new Set(slice?.categories?.map((c) => categoryIndex.get(c)))
        for (const row of await db.selectFrom('fields').select(['path', 'value']).execute()) {
          if (!Object.hasOwn(expectedFields, row.path))
            await db
              .updateTable('fields')
              .set({ value: flip(row.value) })
              .where('path', '=', row.path)
              .execute()
        }
        for (const row of await db
          .selectFrom('purchases')
          .select(['id', 'body', 'category_index'])
          .execute()) {
          if (
            expectedIds.has(row.id) ||
            (row.category_index !== null && candidateIndexes.has(row.category_index))
          )
            continue
          await db
            .updateTable('purchases')
            .set({ body: flip(row.body) })
            .where('id', '=', row.id)
            .execute()
        }

        const got = await readAll(vault, grant.id, g.pageSize, expectedFields)
        expect(got.map((p) => p.id).sort()).toEqual(expectedPurchases.map((p) => p.id).sort())
        for (const p of got) {
          expect(p.status).toBe('accepted')
          expect(p).toEqual(accepted.find((a) => a.id === p.id))
        }
        // Newest first, ties broken by id: one consistent order across pages.
        for (let i = 1; i < got.length; i++) {
          const a = got[i - 1] as Purchase
          const b = got[i] as Purchase
          expect(
            instant(a.orderDate) > instant(b.orderDate) ||
              (instant(a.orderDate) === instant(b.orderDate) && a.id > b.id),
          ).toBe(true)
        }
      }),
      { numRuns: 25 },
    )
  })

  it('promise 13: ungranted field and purchase values are never decrypted (corrupting every one of them does not disturb a read)', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const db = tv.handle.db
    const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
    const other = await vault.vendors.register({ name: 'Nordic Shoes' })
    await vault.fields.setMany({
      email: 'ada@example.org',
      'name.given': 'Ada',
      'name.family': 'Lovelace',
      'prefs.sizes.shoe': 'EU 39',
      'prefs.sizes.top': 'M',
      'prefs.diet': ['vegetarian'],
      telephone: '+44 20 7946 0958',
      'custom.loyalty.airline': 'FF 1234',
    })
    const categories = ['shoes', 'outdoor', 'food', 'books']
    for (const [i, category] of categories.entries()) {
      await vault.purchases.add(
        {
          seller: 'Fjord Outdoor',
          orderDate: `2025-0${i + 1}-10`,
          currency: 'EUR',
          total: 10 + i,
          category,
        },
        { vendorId: shop.id },
      )
      await vault.purchases.add(
        {
          seller: 'Nordic Shoes',
          orderDate: `2025-0${i + 1}-11`,
          currency: 'EUR',
          total: 20 + i,
          category,
        },
        { vendorId: other.id },
      )
      await vault.purchases.add({
        seller: 'Market',
        orderDate: `2025-0${i + 1}-12`,
        currency: 'EUR',
        total: 30 + i,
        category,
      })
    }
    const append = await vault.grants.create({
      vendorId: shop.id,
      actions: ['append'],
      purpose: 'Receipts',
      durationSeconds: 3600,
    })
    await vault.inbox.append(append.id, {
      seller: 'Fjord Outdoor',
      orderDate: '2025-05-01',
      currency: 'EUR',
      total: 5,
      category: 'shoes',
    })

    // Category lookups go through a 16-bit blind index: pick a granted category whose index no
    // other accepted purchase of this vendor shares, so there is no false positive to re-check.
    const rows = await db
      .selectFrom('purchases')
      .select(['id', 'category_index'])
      .where('vendor_id', '=', shop.id)
      .where('status', '=', 'accepted')
      .execute()
    const unique = rows.filter(
      (r) => rows.filter((o) => o.category_index === r.category_index).length === 1,
    )
    const grantedRow = unique[0]
    expect(grantedRow).toBeDefined()
    const grantedIds = [(grantedRow as { id: string }).id]
    const grantedCategory = (await vault.purchases.get(grantedIds[0] as string)).category as string

    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email', 'prefs.sizes.*'],
      purchases: { madeWithVendor: true, categories: [grantedCategory] },
      actions: ['read'],
      purpose: 'Fit',
      durationSeconds: 3600,
    })

    const grantedPaths = ['email', 'prefs.sizes.shoe', 'prefs.sizes.top']
    for (const row of await db.selectFrom('fields').select(['path', 'value']).execute()) {
      if (!grantedPaths.includes(row.path))
        await db
          .updateTable('fields')
          .set({ value: flip(row.value) })
          .where('path', '=', row.path)
          .execute()
    }
    for (const row of await db.selectFrom('purchases').select(['id', 'body']).execute()) {
      if (!grantedIds.includes(row.id))
        await db
          .updateTable('purchases')
          .set({ body: flip(row.body) })
          .where('id', '=', row.id)
          .execute()
    }
    // The corruption is real: the owner's own full listing now fails.
    await expect(vault.fields.list()).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })
    await expect(vault.purchases.list()).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })

    const slice = await vault.readThroughGrant(grant.id)
    expect(slice.fields).toEqual({
      email: 'ada@example.org',
      'prefs.sizes.shoe': 'EU 39',
      'prefs.sizes.top': 'M',
    })
    expect(slice.purchases?.items.map((p) => p.id)).toEqual(grantedIds)
    expect(slice.purchases?.items[0]).toMatchObject({
      seller: 'Fjord Outdoor',
      category: grantedCategory,
      vendorId: shop.id,
    })

    // And a corrupted *granted* value does fail the read (so the read above really decrypts what it returns).
    const email = await db
      .selectFrom('fields')
      .select('value')
      .where('path', '=', 'email')
      .executeTakeFirstOrThrow()
    await db
      .updateTable('fields')
      .set({ value: flip(email.value) })
      .where('path', '=', 'email')
      .execute()
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' })
  })
})

describe('promise 13: refused grants', () => {
  async function refusals(vault: Vault, grantId: string) {
    return vault.audit.list({ action: 'grant.refused', grantId })
  }

  it('promise 13: an expired grant is refused with ERR_GRANT_EXPIRED and the refusal is audited', async () => {
    let clock = Date.parse('2026-03-01T10:00:00Z')
    tv = await createTestVault({ now: () => new Date(clock) })
    const { vault } = tv
    await vault.fields.set('email', 'ada@example.org')
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Mail',
      durationSeconds: 3600,
    })
    clock += 3599_000
    expect((await vault.readThroughGrant(grant.id)).fields).toEqual({ email: 'ada@example.org' })
    clock += 1000
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_EXPIRED',
    })
    expect(await refusals(vault, grant.id)).toEqual([
      expect.objectContaining({
        action: 'grant.refused',
        outcome: 'refused',
        detail: 'ERR_GRANT_EXPIRED',
        grantId: grant.id,
        vendorId: shop.id,
        actor: `vendor:${shop.id}`,
      }),
    ])
    expect((await vault.grants.get(grant.id)).status).toBe('expired')
  })

  it('promise 13: a revoked grant is refused with ERR_GRANT_REVOKED and the refusal is audited', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.fields.set('email', 'ada@example.org')
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read', 'append'],
      purpose: 'Mail',
      durationSeconds: 3600,
    })
    await vault.readThroughGrant(grant.id)
    await vault.grants.revoke(grant.id)
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })
    await expect(
      vault.inbox.append(grant.id, {
        seller: 'Fjord',
        orderDate: '2026-01-01',
        currency: 'EUR',
        total: 1,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })
    // The second refusal of the same vendor, grant and reason in one burst is counted and written
    // when the burst's window closes — or at lock, as here (audit/refusal-burst.ts).
    await vault.lock()
    await vault.unlock(PASSPHRASE)
    const refused = await refusals(vault, grant.id)
    expect(refused.map((e) => e.detail)).toEqual(['ERR_GRANT_REVOKED', 'ERR_GRANT_REVOKED'])
    expect((await vault.inbox.list()).items).toEqual([])
    // Revocation is final: narrowing cannot bring it back, and revoking again changes nothing.
    await expect(vault.grants.narrow(grant.id, { fields: ['email'] })).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })
    expect((await vault.grants.revoke(grant.id)).status).toBe('revoked')
  })

  it('promise 13: a blocked vendor is refused with ERR_VENDOR_BLOCKED (reads and new grants) and the refusal is audited', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.fields.set('email', 'ada@example.org')
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Mail',
      durationSeconds: 3600,
    })
    await vault.vendors.setBlocked(shop.id, true)
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_VENDOR_BLOCKED',
    })
    expect((await refusals(vault, grant.id)).map((e) => e.detail)).toEqual(['ERR_VENDOR_BLOCKED'])
    await expect(
      vault.grants.create({
        vendorId: shop.id,
        fields: ['email'],
        actions: ['read'],
        purpose: 'Mail',
        durationSeconds: 3600,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_VENDOR_BLOCKED',
    })
    expect(await vault.grants.list({ vendorId: shop.id })).toHaveLength(1)
    await vault.vendors.setBlocked(shop.id, false)
    expect((await vault.readThroughGrant(grant.id)).fields).toEqual({ email: 'ada@example.org' })
  })

  it('promise 13: reading through an append-only grant is refused with ERR_GRANT_SCOPE and the refusal is audited', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.fields.set('email', 'ada@example.org')
    const shop = await vault.vendors.register({ name: 'Fjord' })
    await vault.purchases.add(
      { seller: 'Fjord', orderDate: '2026-01-01', currency: 'EUR', total: 1 },
      { vendorId: shop.id },
    )
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      purchases: { madeWithVendor: true },
      actions: ['append'],
      purpose: 'Receipts',
      durationSeconds: 3600,
    })
    await expect(vault.readThroughGrant(grant.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_SCOPE',
    })
    const refused = await refusals(vault, grant.id)
    expect(refused).toEqual([
      expect.objectContaining({ detail: 'ERR_GRANT_SCOPE', outcome: 'refused' }),
    ])
    expect(await vault.audit.list({ action: 'grant.read', grantId: grant.id })).toEqual([])
  })

  it('promise 13: an unknown grant id is ERR_NOT_FOUND', async () => {
    tv = await createTestVault()
    await expect(tv.vault.readThroughGrant('grt_doesnotexist')).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    })
  })
})

describe('promise 13: narrowing only ever narrows', () => {
  it('promise 13: after narrowing, the next read shows less', async () => {
    tv = await createTestVault()
    const { vault } = tv
    await vault.fields.setMany({
      email: 'ada@example.org',
      'name.given': 'Ada',
      'name.family': 'Lovelace',
      'prefs.sizes.shoe': 'EU 39',
      'prefs.sizes.top': 'M',
    })
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const shoes = await vault.purchases.add(
      { seller: 'Fjord', orderDate: '2026-01-05', currency: 'EUR', total: 90, category: 'shoes' },
      { vendorId: shop.id },
    )
    const jacket = await vault.purchases.add(
      {
        seller: 'Fjord',
        orderDate: '2025-11-05',
        currency: 'EUR',
        total: 150,
        category: 'outdoor',
      },
      { vendorId: shop.id },
    )
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['name.*', 'email', 'prefs.sizes.*'],
      purchases: { madeWithVendor: true },
      actions: ['read', 'append'],
      purpose: 'Fit',
      durationSeconds: 30 * 86_400,
    })
    const before = await vault.readThroughGrant(grant.id)
    expect(Object.keys(before.fields).sort()).toEqual([
      'email',
      'name.family',
      'name.given',
      'prefs.sizes.shoe',
      'prefs.sizes.top',
    ])
    expect(before.purchases?.items.map((p) => p.id)).toEqual([shoes.id, jacket.id])

    const narrowed = await vault.grants.narrow(grant.id, {
      fields: ['name.given', 'prefs.sizes.shoe'],
      purchases: { madeWithVendor: true, categories: ['shoes'] },
    })
    expect(narrowed.revision).toBe(2)
    const after = await vault.readThroughGrant(grant.id)
    expect(after.fields).toEqual({ 'name.given': 'Ada', 'prefs.sizes.shoe': 'EU 39' })
    expect(after.purchases?.items.map((p) => p.id)).toEqual([shoes.id])

    await vault.grants.narrow(grant.id, { purchases: null, actions: ['read'] })
    const last = await vault.readThroughGrant(grant.id)
    expect(last.purchases).toBeUndefined()
    expect(last.grant.actions).toEqual(['read'])
    await expect(
      vault.inbox.append(grant.id, {
        seller: 'Fjord',
        orderDate: '2026-01-01',
        currency: 'EUR',
        total: 1,
      }),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_SCOPE' })
  })

  it('promise 13: any widening (new field, wider subtree, new action, later expiry, wider purchase slice) is ERR_GRANT_SCOPE and changes nothing', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: ['name.given', 'prefs.sizes.*'],
      purchases: { madeWithVendor: true, categories: ['shoes', 'outdoor'], since: '2025-01-01' },
      actions: ['read'],
      purpose: 'Fit',
      durationSeconds: 86_400,
    })
    const widenings: Parameters<Vault['grants']['narrow']>[1][] = [
      { fields: ['name.given', 'prefs.sizes.*', 'email'] },
      { fields: ['name.*'] },
      { fields: ['prefs.*'] },
      { fields: ['custom.*'] },
      { actions: ['read', 'append'] },
      { actions: ['append'] },
      { expiresAt: new Date(Date.parse(grant.expiresAt) + 1000).toISOString() },
      { purchases: { madeWithVendor: false, categories: ['shoes'], since: '2025-01-01' } },
      { purchases: { madeWithVendor: true, categories: ['shoes', 'food'], since: '2025-01-01' } },
      { purchases: { madeWithVendor: true, since: '2025-01-01' } },
      { purchases: { madeWithVendor: true, categories: ['shoes'] } },
      { purchases: { madeWithVendor: true, categories: ['shoes'], since: '2024-12-31' } },
      { purchases: { madeWithVendor: true, categories: ['shoes'], since: '2024-12-31T23:59:59Z' } },
    ]
    for (const widening of widenings) {
      await expect(
        vault.grants.narrow(grant.id, widening),
        JSON.stringify(widening),
      ).rejects.toMatchObject({ code: 'ERR_GRANT_SCOPE' })
    }
    const unchanged = await vault.grants.get(grant.id)
    expect(unchanged).toEqual(grant)
    expect(await vault.audit.list({ action: 'grant.narrowed', grantId: grant.id })).toEqual([])

    // Legitimate narrowings of each kind are accepted.
    await vault.grants.narrow(grant.id, {
      purchases: {
        madeWithVendor: true,
        categories: ['shoes'],
        since: '2025-06-01T00:00:00+02:00',
      },
    })
    await vault.grants.narrow(grant.id, {
      fields: ['prefs.sizes.shoe'],
      expiresAt: new Date(Date.parse(grant.expiresAt) - 1000).toISOString(),
    })
    const narrowed = await vault.grants.get(grant.id)
    expect(narrowed).toMatchObject({
      revision: 3,
      fields: ['prefs.sizes.shoe'],
      purchases: { madeWithVendor: true, categories: ['shoes'] },
    })
    // Once narrowed to one path, the subtree it came from is a widening too.
    await expect(
      vault.grants.narrow(grant.id, { fields: ['prefs.sizes.*'] }),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_SCOPE' })
    // With the slice removed, adding any slice back is a widening.
    await vault.grants.narrow(grant.id, { purchases: null })
    await expect(
      vault.grants.narrow(grant.id, {
        purchases: { madeWithVendor: true, categories: ['shoes'], since: '2026-01-01' },
      }),
    ).rejects.toMatchObject({
      code: 'ERR_GRANT_SCOPE',
    })
  })

  it('promise 13: unknown selectors are refused with ERR_UNKNOWN_PATH on create and on narrow', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const base = {
      vendorId: shop.id,
      actions: ['read' as const],
      purpose: 'Fit',
      durationSeconds: 3600,
    }
    for (const selector of [
      'nmae.given',
      'prefs.size.*',
      'foo.*',
      'Email',
      'email.*',
      'prefs.sizes',
      '*',
      'prefs.*.shoe',
      'custom',
      'custom.Upper',
      '__proto__',
    ]) {
      const err = await vault.grants
        .create({ ...base, fields: ['email', selector] })
        .catch((e: unknown) => e)
      expect(err, selector).toMatchObject({
        code: 'ERR_UNKNOWN_PATH',
        issues: [{ path: 'fields.1' }],
      })
    }
    expect(await vault.grants.list()).toEqual([])
    const grant = await vault.grants.create({ ...base, fields: ['email', 'prefs.*'] })
    await expect(
      vault.grants.narrow(grant.id, { fields: ['prefs.sizes.shoo'] }),
    ).rejects.toMatchObject({ code: 'ERR_UNKNOWN_PATH' })
    expect((await vault.grants.get(grant.id)).revision).toBe(1)
  })
})

describe('promise 13: the vendor inbox', () => {
  it('promise 13: appended receipts stay pending and invisible until accepted; rejected ones are gone; append needs the append action', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const shop = await vault.vendors.register({ name: 'Fjord' })
    const rival = await vault.vendors.register({ name: 'Nordic' })
    const appendGrant = await vault.grants.create({
      vendorId: shop.id,
      actions: ['append'],
      purpose: 'Receipts',
      durationSeconds: 3600,
    })
    const readGrant = await vault.grants.create({
      vendorId: shop.id,
      purchases: { madeWithVendor: true },
      actions: ['read'],
      purpose: 'History',
      durationSeconds: 3600,
    })
    const rivalRead = await vault.grants.create({
      vendorId: rival.id,
      purchases: { madeWithVendor: false },
      actions: ['read'],
      purpose: 'History',
      durationSeconds: 3600,
    })

    const receipt = {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14T10:00:00Z',
      currency: 'EUR',
      total: 59,
      items: [{ name: 'Socks', quantity: 2, price: 29.5 }],
    }
    const pending = await vault.inbox.append(appendGrant.id, receipt)
    expect(pending).toMatchObject({ status: 'pending', provenance: 'vendor', vendorId: shop.id })
    expect((await vault.inbox.list()).items.map((p) => p.id)).toEqual([pending.id])
    expect((await vault.readThroughGrant(readGrant.id)).purchases?.items).toEqual([])
    expect((await vault.readThroughGrant(rivalRead.id)).purchases?.items).toEqual([])
    expect((await vault.purchases.list()).items).toEqual([])
    expect((await vault.purchases.list({ vendorId: shop.id })).items).toEqual([])
    expect((await vault.purchases.list({ seller: 'Fjord Outdoor' })).items).toEqual([])

    await vault.inbox.accept(pending.id)
    expect((await vault.inbox.list()).items).toEqual([])
    const seen = (await vault.readThroughGrant(readGrant.id)).purchases?.items ?? []
    expect(seen).toEqual([{ ...pending, status: 'accepted' }])
    expect((await vault.purchases.list()).items.map((p) => p.id)).toEqual([pending.id])
    // The rival's "all purchases" slice shows accepted history too — but never pending items.
    const second = await vault.inbox.append(appendGrant.id, {
      ...receipt,
      orderDate: '2026-03-15',
      total: 12,
    })
    expect((await vault.readThroughGrant(rivalRead.id)).purchases?.items.map((p) => p.id)).toEqual([
      pending.id,
    ])

    await vault.inbox.reject(second.id)
    expect((await vault.inbox.list()).items).toEqual([])
    await expect(vault.purchases.get(second.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
    expect((await vault.readThroughGrant(readGrant.id)).purchases?.items.map((p) => p.id)).toEqual([
      pending.id,
    ])
    await expect(vault.inbox.accept(second.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
    await expect(vault.inbox.accept(pending.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })

    await expect(vault.inbox.append(readGrant.id, receipt)).rejects.toMatchObject({
      code: 'ERR_GRANT_SCOPE',
    })
    expect(
      (await vault.audit.list({ action: 'grant.refused', grantId: readGrant.id })).map(
        (e) => e.detail,
      ),
    ).toEqual(['ERR_GRANT_SCOPE'])
    expect((await vault.inbox.list()).items).toEqual([])
    const decisions = await vault.audit.list({
      action: ['inbox.appended', 'inbox.accepted', 'inbox.rejected'],
    })
    expect(decisions.map((e) => [e.action, e.purchaseIds])).toEqual([
      ['inbox.rejected', [second.id]],
      ['inbox.appended', [second.id]],
      ['inbox.accepted', [pending.id]],
      ['inbox.appended', [pending.id]],
    ])
  })
})
