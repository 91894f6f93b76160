/**
 * SECURITY.md, "Storage" promises 1–5, on both engines (the raw-file scan is SQLite-only).
 * Tampering goes straight to the database through the test vault's own Kysely handle, the way
 * an attacker with a copy of the data folder (or the database role) would.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { aead } from '../../src/crypto/aead.js'
import { type Place, open, seal } from '../../src/crypto/envelope.js'
import { type Sodium, loadSodium } from '../../src/crypto/sodium.js'
import type { VaultDatabase } from '../../src/db/schema.js'
import { type Vault, type VaultEvent, VaultError } from '../../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault, engine } from '../support/test-vault.js'
import { allStoredRows, canary, hits } from '../support/canary-scan.js'

const vaults: TestVault[] = []
async function newVault(options: Parameters<typeof createTestVault>[0] = {}): Promise<TestVault> {
  const tv = await createTestVault(options)
  vaults.push(tv)
  return tv
}
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(vaults.splice(0).map((tv) => tv.dispose()))
})

// ---------------------------------------------------------------------------------------------
// Helpers: canaries, their encodings, and what to scan.

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

// ---------------------------------------------------------------------------------------------
// Helpers: stored ciphertexts, read and written behind the vault's back.

type Stored =
  | { table: 'fields'; id: string }
  | { table: 'purchases' | 'vendors' | 'grants'; id: string }

async function readStored(db: Kysely<VaultDatabase>, s: Stored): Promise<Uint8Array> {
  switch (s.table) {
    case 'fields':
      return Uint8Array.from(
        (
          await db
            .selectFrom('fields')
            .select('value')
            .where('path', '=', s.id)
            .executeTakeFirstOrThrow()
        ).value,
      )
    case 'purchases':
      return Uint8Array.from(
        (
          await db
            .selectFrom('purchases')
            .select('body')
            .where('id', '=', s.id)
            .executeTakeFirstOrThrow()
        ).body,
      )
    case 'vendors':
      return Uint8Array.from(
        (
          await db
            .selectFrom('vendors')
            .select('body')
            .where('id', '=', s.id)
            .executeTakeFirstOrThrow()
        ).body,
      )
    case 'grants':
      return Uint8Array.from(
        (
          await db
            .selectFrom('grants')
            .select('body')
            .where('id', '=', s.id)
            .executeTakeFirstOrThrow()
        ).body,
      )
  }
}

async function writeStored(db: Kysely<VaultDatabase>, s: Stored, bytes: Uint8Array): Promise<void> {
  const blob = Buffer.from(bytes)
  const result =
    s.table === 'fields'
      ? await db
          .updateTable('fields')
          .set({ value: blob })
          .where('path', '=', s.id)
          .executeTakeFirst()
      : await db.updateTable(s.table).set({ body: blob }).where('id', '=', s.id).executeTakeFirst()
  expect(Number(result.numUpdatedRows)).toBe(1)
}

/** The owner's reads that decrypt `s`: the point read and every listing that includes it. */
function readsOf(
  vault: Vault,
  s: Stored,
  grantIds: { fieldsGrant: string },
): (() => Promise<unknown>)[] {
  switch (s.table) {
    case 'fields':
      return [
        () => vault.fields.get(s.id as 'email'),
        () => vault.fields.list(),
        () => vault.readThroughGrant(grantIds.fieldsGrant),
      ]
    case 'purchases':
      return [() => vault.purchases.get(s.id), () => vault.purchases.list()]
    case 'vendors':
      return [() => vault.vendors.get(s.id), () => vault.vendors.list()]
    case 'grants':
      return [
        () => vault.grants.get(s.id),
        () => vault.grants.list(),
        () => vault.readThroughGrant(s.id),
      ]
  }
}

/** Runs `read` and returns the VaultError code it failed with; fails the test if it resolved (that would be data). */
async function failureOf(read: () => Promise<unknown>): Promise<string> {
  let value: unknown
  try {
    value = await read()
  } catch (err) {
    if (err instanceof VaultError) return err.code
    throw err
  }
  throw new Error(`read resolved instead of failing: ${JSON.stringify(value)?.slice(0, 200)}`)
}

/** A vault with a few records of every encrypted kind; returns where their ciphertexts are. */
async function populated(tv: TestVault) {
  const { vault } = tv
  await vault.fields.setMany({
    email: 'ada@example.org',
    'name.given': 'Ada',
    'address.home': {
      streetAddress: '1 Analytical Row',
      addressLocality: 'London',
      addressCountry: 'GB',
    },
    'custom.loyalty.airline': 'FF 1234',
  })
  const shop = await vault.vendors.register({ name: 'Fjord Outdoor', uri: 'https://fjord.example' })
  const other = await vault.vendors.register({ name: 'Book Barn' })
  const p1 = await vault.purchases.add(
    {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      currency: 'EUR',
      total: 129.9,
      items: [{ name: 'Rain jacket' }],
    },
    { vendorId: shop.id },
  )
  const p2 = await vault.purchases.add({
    seller: 'Book Barn',
    orderDate: '2026-02-01',
    currency: 'EUR',
    total: 12,
    notes: 'gift',
  })
  const p3 = await vault.purchases.add({
    seller: 'Fjord Outdoor',
    orderDate: '2025-12-24',
    currency: 'NOK',
    total: 499,
  })
  const g1 = await vault.grants.create({
    vendorId: shop.id,
    fields: ['email', 'name.*', 'address.*', 'custom.*'],
    actions: ['read'],
    purpose: 'Delivery',
    durationSeconds: 3600,
  })
  const g2 = await vault.grants.create({
    vendorId: other.id,
    fields: ['email'],
    purchases: { madeWithVendor: true },
    actions: ['read', 'append'],
    purpose: 'Receipts',
    durationSeconds: 3600,
  })
  const stored: Stored[] = [
    { table: 'fields', id: 'email' },
    { table: 'fields', id: 'name.given' },
    { table: 'fields', id: 'address.home' },
    { table: 'fields', id: 'custom.loyalty.airline' },
    { table: 'purchases', id: p1.id },
    { table: 'purchases', id: p2.id },
    { table: 'purchases', id: p3.id },
    { table: 'vendors', id: shop.id },
    { table: 'vendors', id: other.id },
    { table: 'grants', id: g1.id },
    { table: 'grants', id: g2.id },
  ]
  return {
    stored,
    grants: { fieldsGrant: g1.id },
    ids: { shop: shop.id, other: other.id, p1: p1.id, p2: p2.id, g1: g1.id, g2: g2.id },
  }
}

// ---------------------------------------------------------------------------------------------

describe('promise 1: no plaintext at rest', () => {
  /** Writes canaries into every kind of encrypted value; returns them and a plaintext-by-design control. */
  async function writeCanaries(tv: TestVault) {
    const { vault } = tv
    const c = {
      given: canary('given'),
      emailLocal: canary('email'),
      street: canary('street'),
      locality: canary('city'),
      postal: canary('zip').slice(0, 30),
      brand1: canary('brandA'),
      brand2: canary('brandB'),
      allergy: canary('allergy'),
      gender: canary('gender'),
      customText: canary('custom'),
      customList: canary('customlist'),
      replaced: canary('replaced'),
      deleted: canary('deleted'),
      seller: canary('seller'),
      orderNumber: canary('ordernr').slice(0, 40),
      category: canary('category'),
      notes: canary('notes'),
      itemName: canary('item'),
      sku: canary('sku').slice(0, 40),
      vendorName: canary('vendor'),
      vendorHost: canary('host'),
      contact: canary('contact'),
      purpose: canary('purpose'),
      inboxSeller: canary('inbox'),
      importedField: canary('imported'),
      importedSeller: canary('importedseller'),
      newPassphrase: canary('passphrase'),
    }
    // A field path is plaintext by design (README, "What is stored in plaintext"): the positive control.
    const controlPath = `custom.${canary('control')}` as const

    await vault.fields.set('name.given', c.given)
    await vault.fields.set('email', `${c.emailLocal}@example.org`)
    await vault.fields.set('address.home', {
      streetAddress: c.street,
      addressLocality: c.locality,
      postalCode: c.postal,
      addressCountry: 'NO',
    })
    await vault.fields.set('prefs.brands.liked', [c.brand1, c.brand2])
    await vault.fields.setMany({ 'prefs.allergies': [c.allergy], gender: c.gender })
    await vault.fields.set('custom.loyalty.number', c.customText)
    await vault.fields.set('custom.notes', [c.customList])
    await vault.fields.set('custom.scratch', c.replaced)
    await vault.fields.set('custom.scratch', 'overwritten')
    await vault.fields.set('custom.gone', c.deleted)
    await vault.fields.delete('custom.gone')
    await vault.fields.set(controlPath, 'control value')

    const vendor = await vault.vendors.register({
      name: c.vendorName,
      uri: `https://${c.vendorHost}.example`,
      contacts: [c.contact],
    })
    await vault.purchases.add(
      {
        seller: c.seller,
        orderDate: '2026-03-14',
        orderNumber: c.orderNumber,
        category: c.category,
        currency: 'EUR',
        total: 42,
        notes: c.notes,
        items: [{ name: c.itemName, sku: c.sku, quantity: 2, price: 21 }],
      },
      { vendorId: vendor.id },
    )
    const grant = await vault.grants.create({
      vendorId: vendor.id,
      fields: ['name.*', 'custom.*'],
      purchases: { madeWithVendor: true },
      actions: ['read', 'append'],
      purpose: c.purpose,
      durationSeconds: 3600,
    })
    await vault.grants.narrow(grant.id, {
      actions: ['read', 'append'],
      fields: ['name.given', 'custom.*'],
    })
    const pending = await vault.inbox.append(grant.id, {
      seller: c.inboxSeller,
      orderDate: '2026-03-15T10:00:00Z',
      currency: 'EUR',
      total: 7,
    })
    await vault.inbox.accept(pending.id)
    const slice = await vault.readThroughGrant(grant.id)
    expect(slice.fields['name.given']).toBe(c.given)

    const doc = await vault.exportJson()
    await vault.importJson({
      ...doc,
      fields: { ...doc.fields, 'custom.imported': c.importedField },
      purchases: [
        ...doc.purchases,
        {
          id: 'pur_imported_canary',
          seller: c.importedSeller,
          orderDate: '2026-01-01',
          currency: 'EUR',
          total: 1,
          items: [],
          provenance: 'import',
          status: 'accepted',
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      ],
    })
    expect(await vault.fields.get('custom.imported')).toBe(c.importedField)

    await vault.changePassphrase(PASSPHRASE, c.newPassphrase)
    await vault.rotateKeys()
    const secrets = [
      ...Object.values(c),
      PASSPHRASE,
      tv.recoveryKey,
      tv.recoveryKey.replace(/-/g, ''),
    ]
    return { secrets, control: controlPath.slice('custom.'.length), exported: doc }
  }

  it('promise 1: canaries in fields, custom fields, purchases, vendors and grant purposes appear in no stored row, backup or event — raw, hex or base64', async () => {
    const events: VaultEvent[] = []
    const tv = await newVault({ onEvent: (e) => events.push(e) })
    const { secrets, control, exported } = await writeCanaries(tv)

    // The scanner itself works: the plaintext export holds every value, in every encoding.
    const exportBytes = Buffer.from(JSON.stringify(exported))
    expect(hits(exportBytes, [secrets[0] as string])).toHaveLength(1)
    for (const shift of [0, 1, 2]) {
      const padded = Buffer.concat([randomBytes(shift), exportBytes])
      expect(
        hits(Buffer.from(padded.toString('base64')), [secrets[0] as string]).length,
      ).toBeGreaterThan(0)
      expect(
        hits(Buffer.from(padded.toString('hex')), [secrets[0] as string]).length,
      ).toBeGreaterThan(0)
    }

    const rows = await allStoredRows(tv.handle.db)
    expect(rows.tables).toEqual(
      expect.arrayContaining([
        'vault_meta',
        'keyring',
        'fields',
        'purchases',
        'vendors',
        'grants',
        'audit',
      ]),
    )
    expect(hits(rows.bytes, [control])).not.toHaveLength(0) // the plaintext path is there…
    expect(hits(rows.bytes, secrets)).toEqual([]) // …and no value is.

    const backup = await collect(tv.vault.backup())
    expect(backup.length).toBeGreaterThan(1000)
    expect(hits(backup, [...secrets, control])).toEqual([])

    const auditLog = Buffer.from(JSON.stringify(await tv.vault.audit.list({ limit: 1000 })))
    expect(hits(auditLog, secrets)).toEqual([])

    const eventLog = Buffer.from(JSON.stringify(events))
    expect(events.length).toBeGreaterThan(20)
    expect(hits(eventLog, [control])).not.toHaveLength(0) // field.set carries the path
    expect(hits(eventLog, secrets)).toEqual([])
  })

  describe.skipIf(engine !== 'sqlite')('on SQLite files', () => {
    it('promise 1: the raw bytes of the database file, its -wal and -shm files hold no canary, before and after a checkpoint', async () => {
      const tv = await newVault()
      const { secrets, control } = await writeCanaries(tv)
      const dir = tv.db.dir as string
      const scanDir = () => {
        const files = readdirSync(dir)
        const found: string[] = []
        let controlSeen = false
        for (const name of files) {
          const bytes = readFileSync(join(dir, name))
          found.push(...hits(bytes, secrets).map((h) => `${name}: ${h}`))
          if (hits(bytes, [control]).length > 0) controlSeen = true
        }
        return { files, found, controlSeen }
      }

      const live = scanDir()
      expect(live.files).toEqual(expect.arrayContaining(['vault.db', 'vault.db-wal']))
      expect(readFileSync(join(dir, 'vault.db-wal')).length).toBeGreaterThan(0)
      expect(live.controlSeen).toBe(true)
      expect(live.found).toEqual([])

      await tv.vault.close() // checkpoints the WAL into the main file
      const after = scanDir()
      expect(after.files).toContain('vault.db')
      expect(after.controlSeen).toBe(true)
      expect(after.found).toEqual([])
    })
  })
})

/** Tables whose row MAC covers the ciphertext itself: any change to it fails the row check first. */
function rowAuthenticated(s: Stored): boolean {
  return s.table === 'grants' || s.table === 'vendors'
}

describe('promise 2: tamper → fail', () => {
  it('promise 2: flipping any bit of a stored ciphertext (fields, purchases, vendors, grants) gives ERR_INTEGRITY — or ERR_UNSUPPORTED_FORMAT in the version/term header — and no partial data', async () => {
    const tv = await newVault()
    const { stored, grants } = await populated(tv)
    const db = tv.handle.db
    const lengths = new Map<Stored, number>()
    for (const s of stored) lengths.set(s, (await readStored(db, s)).length)

    let headerFlips = 0
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...stored),
        fc.nat({ max: 100_000 }),
        fc.integer({ min: 0, max: 7 }),
        async (s, where, bit) => {
          const original = await readStored(db, s)
          const pos = where % original.length
          const tampered = original.slice()
          tampered[pos] = (tampered[pos] as number) ^ (1 << bit)
          await writeStored(db, s, tampered)
          try {
            // Byte 0 is the version and bytes 1–4 the term: a changed header names a version or a
            // key that does not exist (this vault has only term 1) and is refused before decrypting.
            // Grant and vendor rows are MAC'd over their ciphertext too (SECURITY.md, "The barrier"):
            // the row MAC refuses any flipped bit before the envelope is even parsed.
            const expected =
              pos < 5 && !rowAuthenticated(s) ? 'ERR_UNSUPPORTED_FORMAT' : 'ERR_INTEGRITY'
            if (pos < 5) headerFlips++
            for (const read of readsOf(tv.vault, s, grants))
              expect([s.table, pos, bit, await failureOf(read)]).toEqual([
                s.table,
                pos,
                bit,
                expected,
              ])
          } finally {
            await writeStored(db, s, original)
          }
          // Restored, the same reads work again: the failure came from the flipped bit alone.
          for (const read of readsOf(tv.vault, s, grants))
            await expect(read()).resolves.toBeDefined()
        },
      ),
      {
        numRuns: 80,
        examples: [
          [stored[0] as Stored, 0, 0],
          [stored[4] as Stored, 1, 7],
          [stored[7] as Stored, 4, 0],
          [stored[9] as Stored, 5, 3],
          [stored[1] as Stored, (lengths.get(stored[1] as Stored) as number) - 1, 7],
        ],
      },
    )
    expect(headerFlips).toBeGreaterThan(0)
  })
})

describe('promise 3: no cut-and-paste', () => {
  async function swap(db: Kysely<VaultDatabase>, a: Stored, b: Stored): Promise<void> {
    const [x, y] = [await readStored(db, a), await readStored(db, b)]
    await writeStored(db, a, y)
    await writeStored(db, b, x)
  }

  it('promise 3: swapping the ciphertexts of two field rows makes both reads fail with ERR_INTEGRITY', async () => {
    const tv = await newVault()
    const { grants } = await populated(tv)
    const a: Stored = { table: 'fields', id: 'email' }
    const b: Stored = { table: 'fields', id: 'name.given' }
    await swap(tv.handle.db, a, b)
    for (const s of [a, b])
      for (const read of readsOf(tv.vault, s, grants))
        expect(await failureOf(read)).toBe('ERR_INTEGRITY')
    await swap(tv.handle.db, a, b)
    expect(await tv.vault.fields.get('email')).toBe('ada@example.org')
    expect(await tv.vault.fields.get('name.given')).toBe('Ada')
  })

  it('promise 3: swapping the ciphertexts of two purchase rows (and of two vendors, two grants) makes every read fail with ERR_INTEGRITY', async () => {
    const tv = await newVault()
    const { grants, ids } = await populated(tv)
    const pairs: [Stored, Stored][] = [
      [
        { table: 'purchases', id: ids.p1 },
        { table: 'purchases', id: ids.p2 },
      ],
      [
        { table: 'vendors', id: ids.shop },
        { table: 'vendors', id: ids.other },
      ],
      [
        { table: 'grants', id: ids.g1 },
        { table: 'grants', id: ids.g2 },
      ],
    ]
    for (const [a, b] of pairs) {
      await swap(tv.handle.db, a, b)
      for (const s of [a, b])
        for (const read of readsOf(tv.vault, s, grants))
          expect([s.table, await failureOf(read)]).toEqual([s.table, 'ERR_INTEGRITY'])
      await swap(tv.handle.db, a, b)
    }
    expect((await tv.vault.purchases.get(ids.p2)).notes).toBe('gift')
  })

  it('promise 3: a ciphertext moved to another table or column (field → purchase, vendor → grant) fails with ERR_INTEGRITY', async () => {
    const tv = await newVault()
    const { grants, ids } = await populated(tv)
    const db = tv.handle.db
    const moves: [Stored, Stored][] = [
      [
        { table: 'fields', id: 'custom.loyalty.airline' },
        { table: 'purchases', id: ids.p1 },
      ],
      [
        { table: 'vendors', id: ids.shop },
        { table: 'grants', id: ids.g1 },
      ],
      [
        { table: 'purchases', id: ids.p2 },
        { table: 'vendors', id: ids.other },
      ],
    ]
    for (const [from, to] of moves) {
      const original = await readStored(db, to)
      await writeStored(db, to, await readStored(db, from))
      for (const read of readsOf(tv.vault, to, grants))
        expect([from.table, to.table, await failureOf(read)]).toEqual([
          from.table,
          to.table,
          'ERR_INTEGRITY',
        ])
      await writeStored(db, to, original)
    }
  })

  it('promise 3: a ciphertext copied into another vault, at the same path, fails with ERR_INTEGRITY', async () => {
    const a = await newVault()
    const b = await newVault()
    await a.vault.fields.set('email', 'alice@example.org')
    await b.vault.fields.set('email', 'bob@example.org')
    await writeStored(
      b.handle.db,
      { table: 'fields', id: 'email' },
      await readStored(a.handle.db, { table: 'fields', id: 'email' }),
    )
    expect(await failureOf(() => b.vault.fields.get('email'))).toBe('ERR_INTEGRITY')
  })
})

describe('promise 4: nonces never repeat', () => {
  it('promise 4: 10,000 envelopes of the same value under the same key and place have distinct nonces and distinct ciphertexts', async () => {
    const sodium = await loadSodium()
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen()
    const place: Place = {
      table: 'fields',
      column: 'value',
      recordId: 'email',
      vaultId: 'vault_nonce_test',
    }
    const plaintext = new TextEncoder().encode('"ada@example.org"')
    const nonces = new Set<string>()
    const ciphertexts = new Set<string>()
    const N = 10_000
    for (let i = 0; i < N; i++) {
      const envelope = seal(sodium, key, 1, place, plaintext)
      nonces.add(Buffer.from(envelope.subarray(5, 29)).toString('hex'))
      ciphertexts.add(Buffer.from(envelope.subarray(29)).toString('hex'))
      if (i % 2500 === 0)
        expect(Buffer.from(open(sodium, key, place, envelope)).toString()).toBe('"ada@example.org"')
    }
    expect(nonces.size).toBe(N)
    expect(ciphertexts.size).toBe(N)
  })

  it('promise 4: setting the same field value twice (and adding the same purchase twice) stores different bytes', async () => {
    const tv = await newVault()
    const db = tv.handle.db
    const stored: Stored = { table: 'fields', id: 'email' }
    const seen = new Set<string>()
    for (let i = 0; i < 5; i++) {
      await tv.vault.fields.set('email', 'ada@example.org')
      seen.add(Buffer.from(await readStored(db, stored)).toString('hex'))
    }
    expect(seen.size).toBe(5)
    const order = { seller: 'Fjord', orderDate: '2026-01-01', currency: 'EUR', total: 1 }
    const [p, q] = [await tv.vault.purchases.add(order), await tv.vault.purchases.add(order)]
    const [pb, qb] = [
      await readStored(db, { table: 'purchases', id: p.id }),
      await readStored(db, { table: 'purchases', id: q.id }),
    ]
    expect(pb.length).toBe(qb.length)
    expect(Buffer.from(pb.subarray(5, 29)).equals(Buffer.from(qb.subarray(5, 29)))).toBe(false)
    expect(Buffer.from(pb).equals(Buffer.from(qb))).toBe(false)
  })
})

describe('promise 5: strict formats', () => {
  const place: Place = {
    table: 'fields',
    column: 'value',
    recordId: 'email',
    vaultId: 'vault_strict_test',
  }

  async function decryptSpy(): Promise<{ sodium: Sodium; calls: () => number }> {
    const sodium = await loadSodium()
    const spy = vi.spyOn(aead, 'decrypt')
    return { sodium, calls: () => spy.mock.calls.length }
  }

  function codeOf(fn: () => unknown): string {
    try {
      fn()
    } catch (err) {
      return err instanceof VaultError ? err.code : (err as Error).constructor.name
    }
    return 'no error'
  }

  it('promise 5: keys of the wrong length (or not bytes) throw TypeError when sealing and opening', async () => {
    const sodium = await loadSodium()
    const good = sodium.crypto_aead_xchacha20poly1305_ietf_keygen()
    const envelope = seal(sodium, good, 1, place, new Uint8Array([1, 2, 3]))
    for (const length of [0, 16, 24, 31, 33, 64]) {
      const key = new Uint8Array(length).fill(7)
      expect(() => seal(sodium, key, 1, place, new Uint8Array([1]))).toThrow(TypeError)
      expect(() => open(sodium, key, place, envelope)).toThrow(TypeError)
    }
    const notBytes = Array.from(good) as unknown as Uint8Array
    expect(() => seal(sodium, notBytes, 1, place, new Uint8Array([1]))).toThrow(TypeError)
    expect(() => open(sodium, notBytes, place, envelope)).toThrow(TypeError)
  })

  it('promise 5: an unknown version byte and a truncated envelope give ERR_UNSUPPORTED_FORMAT before any decrypt', async () => {
    const { sodium, calls } = await decryptSpy()
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen()
    const envelope = seal(sodium, key, 1, place, new TextEncoder().encode('"EU 42"'))
    expect(envelope.length).toBe(77) // the shortest v1 envelope: header 5, nonce 24, one 32-byte pad block, tag 16
    for (const version of [0, 2, 0x10, 0x81, 0xff]) {
      const changed = envelope.slice()
      changed[0] = version
      expect(codeOf(() => open(sodium, key, place, changed))).toBe('ERR_UNSUPPORTED_FORMAT')
    }
    for (let length = 0; length < envelope.length; length++) {
      expect([
        length,
        codeOf(() => open(sodium, key, place, envelope.subarray(0, length))),
      ]).toEqual([length, 'ERR_UNSUPPORTED_FORMAT'])
    }
    expect(calls()).toBe(0)
    // A longer envelope cut short still fails — at the tag, since its length alone cannot tell.
    const long = seal(sodium, key, 1, place, new Uint8Array(100))
    for (const cut of [1, 16, 32])
      expect(codeOf(() => open(sodium, key, place, long.subarray(0, long.length - cut)))).toBe(
        'ERR_INTEGRITY',
      )
    expect(codeOf(() => open(sodium, key, place, envelope))).toBe('no error')
    expect(calls()).toBeGreaterThan(0) // the spy does see real decrypts
  })

  it('promise 5: a stored ciphertext with an unknown version byte, cut short, or labelled with an unknown term (99, or the root-wrap term 0) is refused with ERR_UNSUPPORTED_FORMAT before any decrypt', async () => {
    const tv = await newVault()
    const { stored, grants } = await populated(tv)
    const db = tv.handle.db
    const { calls } = await decryptSpy()
    for (const s of stored) {
      const original = await readStored(db, s)
      const variants: [string, Uint8Array][] = []
      const v2 = original.slice()
      v2[0] = 2
      variants.push(['version 2', v2])
      variants.push(['truncated', original.slice(0, 40)])
      for (const term of [99, 0, 2]) {
        const relabelled = original.slice()
        new DataView(relabelled.buffer).setUint32(1, term, false)
        variants.push([`term ${term}`, relabelled])
      }
      for (const [what, bytes] of variants) {
        await writeStored(db, s, bytes)
        const before = calls()
        // fields.get, purchases.get, vendors.get and grants.get decrypt only the one record.
        const [pointRead] = readsOf(tv.vault, s, grants)
        const expected = rowAuthenticated(s) ? 'ERR_INTEGRITY' : 'ERR_UNSUPPORTED_FORMAT'
        expect([s.table, what, await failureOf(pointRead as () => Promise<unknown>)]).toEqual([
          s.table,
          what,
          expected,
        ])
        expect([s.table, what, calls() - before]).toEqual([s.table, what, 0])
      }
      await writeStored(db, s, original)
    }
    // The spy saw real decrypts when the data was sound.
    const before = calls()
    expect(await tv.vault.fields.get('email')).toBe('ada@example.org')
    expect(calls()).toBe(before + 1)
  })
})
