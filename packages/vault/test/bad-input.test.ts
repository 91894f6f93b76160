/**
 * Bad input at the library's surface: wrong types, unknown paths, invalid or oversized values,
 * malformed purchases, cursors and export documents. Each refusal is a typed error with a
 * stable code (or a TypeError for caller misuse), never echoes the value, and changes nothing
 * already stored. Random garbage fed to `importJson` is fuzzed with fast-check.
 */
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type FieldPath,
  type OrderInput,
  type Vault,
  type VaultExport,
  MAX_VALUE_BYTES,
  VaultError,
} from '../src/index.js'
import { type TestVault, createTestVault } from './support/test-vault.js'

const vaults: TestVault[] = []
afterEach(async () => {
  await Promise.all(vaults.splice(0).map((v) => v.dispose()))
})

async function newVault(): Promise<TestVault> {
  const tv = await createTestVault()
  vaults.push(tv)
  return tv
}

/** What the owner has: the export without its timestamp and (growing) audit log. */
async function snapshot(vault: Vault): Promise<Omit<VaultExport, 'exportedAt' | 'audit'>> {
  const { exportedAt: _at, audit: _audit, ...rest } = await vault.exportJson()
  return rest
}

/** A vault with a bit of everything, so "nothing lost" has something to lose. */
async function populate(vault: Vault) {
  await vault.fields.setMany({
    email: 'ada@example.org',
    'name.given': 'Ada',
    'address.home': {
      streetAddress: '12 St James Square',
      addressLocality: 'London',
      addressCountry: 'GB',
    },
    'prefs.sizes.shoe': 'EU 39',
    'prefs.diet': ['vegetarian'],
    'custom.loyalty.airline': 'FF 1234',
    'custom.pets.count': 2,
  })
  const shop = await vault.vendors.register({
    name: 'Fjord Outdoor',
    uri: 'https://fjord.example',
    contacts: ['orders@fjord.example'],
  })
  const other = await vault.vendors.register({ name: 'Nordic Shoes' })
  await vault.purchases.add(
    {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14T10:00:00+01:00',
      currency: 'EUR',
      total: 129.9,
      category: 'outdoor',
      items: [{ name: 'Rain jacket', price: 129.9 }],
    },
    { vendorId: shop.id },
  )
  await vault.purchases.add({
    seller: 'Market',
    orderDate: '2025-12-01',
    currency: 'GBP',
    total: 3.5,
    notes: 'apples',
  })
  const grant = await vault.grants.create({
    vendorId: shop.id,
    fields: ['email', 'prefs.sizes.*'],
    purchases: { madeWithVendor: true, categories: ['outdoor'], since: '2025-01-01' },
    actions: ['read', 'append'],
    purpose: 'Fit',
    acceptedTerms: ['terms-v1'],
    durationSeconds: 86_400,
  })
  const revoked = await vault.grants.create({
    vendorId: other.id,
    fields: ['name.*'],
    actions: ['read'],
    purpose: 'Greeting',
    durationSeconds: 3600,
  })
  await vault.grants.revoke(revoked.id)
  await vault.inbox.append(grant.id, {
    seller: 'Fjord Outdoor',
    orderDate: '2026-03-20',
    currency: 'EUR',
    total: 19,
    items: [{ name: 'Socks', quantity: 2 }],
  })
  return { shop, other, grant }
}

/** Runs `action`, expects a refusal with `code`, and checks the stored data did not change. */
async function refusedWithoutChange(
  vault: Vault,
  action: () => Promise<unknown>,
  code: string,
): Promise<VaultError> {
  const before = await snapshot(vault)
  const err = await action().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(VaultError)
  expect(err).toMatchObject({ code })
  expect(await snapshot(vault)).toEqual(before)
  return err as VaultError
}

/** Asserts a refusal never carries the offending value in its message or issues. */
function expectNoEcho(err: VaultError, value: string): void {
  expect(err.message).not.toContain(value)
  expect(JSON.stringify(err.issues)).not.toContain(value)
}

describe('bad input: fields', () => {
  let tv: TestVault
  beforeEach(async () => {
    tv = await newVault()
    await populate(tv.vault)
  })

  it('wrong JavaScript types are caller misuse: TypeError, nothing stored', async () => {
    const { vault } = tv
    const before = await snapshot(vault)
    for (const path of [42, null, undefined, {}, ['email'], Symbol('email')]) {
      await expect(vault.fields.set(path as unknown as FieldPath, 'x')).rejects.toBeInstanceOf(
        TypeError,
      )
      await expect(vault.fields.get(path as unknown as FieldPath)).rejects.toBeInstanceOf(TypeError)
    }
    await expect(vault.readThroughGrant(42 as unknown as string)).rejects.toBeInstanceOf(TypeError)
    await expect(vault.purchases.get({} as unknown as string)).rejects.toBeInstanceOf(TypeError)
    expect(await snapshot(vault)).toEqual(before)
  })

  it('unknown paths are ERR_UNKNOWN_PATH on set, get and delete, and nothing changes', async () => {
    const { vault } = tv
    const unknown = [
      'nmae.given',
      'Email',
      'email.primary',
      'prefs.sizes',
      'prefs.sizes.*',
      'custom',
      'custom.',
      'custom.Upper',
      'custom.a.b.c.d.e.f',
      'custom..a',
      '__proto__',
      'constructor',
      'toString',
      '',
      ' email',
    ]
    for (const path of unknown) {
      const err = await refusedWithoutChange(
        vault,
        () => vault.fields.set(path as FieldPath, 'value'),
        'ERR_UNKNOWN_PATH',
      )
      expect(err.issues.length).toBeGreaterThan(0)
      await expect(vault.fields.get(path as FieldPath), path).rejects.toMatchObject({
        code: 'ERR_UNKNOWN_PATH',
      })
      await expect(vault.fields.delete(path as FieldPath), path).rejects.toMatchObject({
        code: 'ERR_UNKNOWN_PATH',
      })
    }
    await refusedWithoutChange(
      vault,
      () => vault.fields.setMany({ 'name.family': 'Lovelace', 'name.middle': 'Augusta' }),
      'ERR_UNKNOWN_PATH',
    )
  })

  it('invalid values are ERR_VALIDATION with issues naming the path, never the value', async () => {
    const { vault } = tv
    const secret = 'Canary-5f1c'
    const cases: [string, unknown, string][] = [
      ['email', `not-an-email-${secret}`, 'email'],
      ['email', 42, 'email'],
      ['email', null, 'email'],
      ['name.given', '   ', 'name.given'],
      ['name.given', `${secret}${'x'.repeat(300)}`, 'name.given'],
      ['telephone', `call me ${secret}`, 'telephone'],
      ['birthDate', `1815-13-10${secret}`, 'birthDate'],
      ['nationality', `gb${secret}`, 'nationality'],
      ['prefs.diet', [`carnivore-${secret}`], 'prefs.diet.0'],
      ['prefs.contact.channel', `pigeon-${secret}`, 'prefs.contact.channel'],
      ['prefs.currency', `euro${secret}`, 'prefs.currency'],
      ['knowsLanguage', ['en', `not a tag ${secret}`], 'knowsLanguage.1'],
      [
        'address.home',
        {
          streetAddress: `1 ${secret} St`,
          addressLocality: 'London',
          addressCountry: `uk-${secret}`,
        },
        'address.home.addressCountry',
      ],
      [
        'address.home',
        {
          streetAddress: `1 ${secret} St`,
          addressLocality: 'London',
          addressCountry: 'GB',
          planet: secret,
        },
        'address.home',
      ],
      ['custom.note', { nested: secret }, 'custom.note'],
      ['custom.note', Number.NaN, 'custom.note'],
      ['custom.note', [1, 2, secret], 'custom.note'],
    ]
    for (const [path, value, issuePath] of cases) {
      const err = await refusedWithoutChange(
        vault,
        () => vault.fields.set(path as FieldPath, value),
        'ERR_VALIDATION',
      )
      expect(
        err.issues.map((i) => i.path),
        `${path} ${JSON.stringify(value)}`,
      ).toContain(issuePath)
      for (const issue of err.issues) expect(issue.path.startsWith(path)).toBe(true)
      expectNoEcho(err, secret)
    }
    // setMany is all or none: one bad value keeps the good ones out too.
    const err = await refusedWithoutChange(
      vault,
      () => vault.fields.setMany({ 'name.family': 'Lovelace', email: `bad ${secret}` }),
      'ERR_VALIDATION',
    )
    expectNoEcho(err, secret)
    expect(await vault.fields.get('name.family')).toBeUndefined()
  })

  it('oversized values are ERR_VALUE_TOO_LARGE, never stored, never echoed', async () => {
    const { vault } = tv
    const item = 'Q'.repeat(399)
    const big = Array.from({ length: 100 }, () => item)
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_VALUE_BYTES)
    const err = await refusedWithoutChange(
      vault,
      () => vault.fields.set('custom.big', big),
      'ERR_VALUE_TOO_LARGE',
    )
    expect(err.issues).toEqual([{ path: 'custom.big', message: expect.any(String) }])
    expectNoEcho(err, item)
    // Multi-byte text counts in bytes, not characters: 41 items of 100 four-byte characters each.
    const wide = Array.from({ length: 41 }, () => '😀'.repeat(100))
    await refusedWithoutChange(
      vault,
      () => vault.fields.set('custom.wide', wide),
      'ERR_VALUE_TOO_LARGE',
    )
    await refusedWithoutChange(
      vault,
      () => vault.fields.setMany({ 'custom.small': 'ok', 'custom.big': big }),
      'ERR_VALUE_TOO_LARGE',
    )
    // Beyond a schema's own limits it is a validation error instead.
    await refusedWithoutChange(
      vault,
      () => vault.fields.set('custom.note', 'x'.repeat(4001)),
      'ERR_VALIDATION',
    )
  })
})

describe('bad input: purchases, grants and cursors', () => {
  let tv: TestVault
  let ids: Awaited<ReturnType<typeof populate>>
  beforeEach(async () => {
    tv = await newVault()
    ids = await populate(tv.vault)
  })

  it('malformed purchases are ERR_VALIDATION naming the field; batches are all or none', async () => {
    const { vault } = tv
    const good: OrderInput = {
      seller: 'Fjord',
      orderDate: '2026-01-01',
      currency: 'EUR',
      total: 10,
    }
    const cases: [unknown, string][] = [
      [null, '(root)'],
      ['a receipt', '(root)'],
      [[good], '(root)'],
      [{ ...good, seller: '' }, 'seller'],
      [{ ...good, seller: undefined }, 'seller'],
      [{ ...good, total: -1 }, 'total'],
      [{ ...good, total: Number.POSITIVE_INFINITY }, 'total'],
      [{ ...good, total: '10' }, 'total'],
      [{ ...good, currency: 'eur' }, 'currency'],
      [{ ...good, orderDate: 'yesterday' }, 'orderDate'],
      [{ ...good, orderDate: '2026-02-30' }, 'orderDate'],
      [{ ...good, orderDate: '2026-01-01T10:00:00' }, 'orderDate'],
      [{ ...good, items: [{ name: 'Socks', quantity: 0 }] }, 'items.0.quantity'],
      [{ ...good, items: [{ name: 'Socks', quantity: 1.5 }] }, 'items.0.quantity'],
      [{ ...good, items: [{ quantity: 1 }] }, 'items.0.name'],
      [{ ...good, items: 'socks' }, 'items'],
      [{ ...good, vendorId: 'ven_x' }, '(root)'],
      [{ ...good, notes: 'n'.repeat(4001) }, 'notes'],
    ]
    for (const [input, path] of cases) {
      const err = await refusedWithoutChange(
        vault,
        () => vault.purchases.add(input as OrderInput),
        'ERR_VALIDATION',
      )
      expect(
        err.issues.map((i) => i.path),
        JSON.stringify(input),
      ).toContain(path)
    }
    await refusedWithoutChange(
      vault,
      () => vault.purchases.addMany([good, good, { ...good, total: -5 }]),
      'ERR_VALIDATION',
    )
    await refusedWithoutChange(
      vault,
      () => vault.purchases.add(good, { vendorId: 'ven_unknown' }),
      'ERR_NOT_FOUND',
    )
    const [existing] = (await vault.purchases.list()).items
    await refusedWithoutChange(
      vault,
      () => vault.purchases.update((existing as { id: string }).id, { ...good, currency: 'euro' }),
      'ERR_VALIDATION',
    )
    await refusedWithoutChange(
      vault,
      () => vault.inbox.append(ids.grant.id, { ...good, total: -1 }),
      'ERR_VALIDATION',
    )
    await refusedWithoutChange(vault, () => vault.vendors.register({ name: '' }), 'ERR_VALIDATION')
    await refusedWithoutChange(
      vault,
      () => vault.vendors.register({ name: 'x', uri: 'javascript:alert(1)' }),
      'ERR_VALIDATION',
    )
  })

  it('malformed grants are refused with a stable code and create nothing', async () => {
    const { vault } = tv
    const base = {
      vendorId: ids.shop.id,
      fields: ['email'],
      actions: ['read' as const],
      purpose: 'Fit',
      durationSeconds: 3600,
    }
    const cases: [unknown, string][] = [
      [{ ...base, actions: [] }, 'ERR_VALIDATION'],
      [{ ...base, actions: ['write'] }, 'ERR_VALIDATION'],
      [{ ...base, durationSeconds: undefined }, 'ERR_VALIDATION'],
      [{ ...base, expiresAt: '2030-01-01T00:00:00Z' }, 'ERR_VALIDATION'],
      [{ ...base, durationSeconds: 1 }, 'ERR_VALIDATION'],
      [{ ...base, durationSeconds: 10 * 366 * 86_400 }, 'ERR_VALIDATION'],
      [
        { ...base, durationSeconds: undefined, expiresAt: '2000-01-01T00:00:00Z' },
        'ERR_VALIDATION',
      ],
      [{ ...base, fields: [] }, 'ERR_VALIDATION'],
      [{ ...base, purpose: ' ' }, 'ERR_VALIDATION'],
      [{ ...base, purchases: { madeWithVendor: 'yes' } }, 'ERR_VALIDATION'],
      [{ ...base, purchases: { categories: [] } }, 'ERR_VALIDATION'],
      [{ ...base, purchases: { since: 'last year' } }, 'ERR_VALIDATION'],
      [{ ...base, extra: true }, 'ERR_VALIDATION'],
      [{ ...base, fields: ['email', 'nope'] }, 'ERR_UNKNOWN_PATH'],
      [{ ...base, vendorId: 'ven_unknown' }, 'ERR_NOT_FOUND'],
      [null, 'ERR_VALIDATION'],
    ]
    for (const [input, code] of cases) {
      await refusedWithoutChange(
        vault,
        () => vault.grants.create(input as Parameters<Vault['grants']['create']>[0]),
        code,
      )
    }
    await refusedWithoutChange(
      vault,
      () =>
        vault.grants.narrow(ids.grant.id, { fields: 'email' } as unknown as { fields: string[] }),
      'ERR_VALIDATION',
    )
    await refusedWithoutChange(
      vault,
      () => vault.grants.narrow(ids.grant.id, { expiresAt: 'tomorrow' }),
      'ERR_VALIDATION',
    )
    await refusedWithoutChange(
      vault,
      () => vault.grants.narrow('grt_unknown', { fields: ['email'] }),
      'ERR_NOT_FOUND',
    )
  })

  it('malformed cursors and limits are ERR_VALIDATION on every listing', async () => {
    const { vault } = tv
    const b64 = (text: string) => Buffer.from(text).toString('base64url')
    const cursors = [
      'garbage',
      '',
      '!!!',
      b64('not json'),
      b64('{"d":1,"i":2}'),
      b64('[]'),
      b64('null'),
      b64('{"d":"x"}'),
      'x'.repeat(201),
    ]
    for (const cursor of cursors) {
      const err = await vault.purchases.list({ cursor }).catch((e: unknown) => e)
      expect(err, cursor).toMatchObject({ code: 'ERR_VALIDATION' })
      await expect(vault.purchases.list({ seller: 'Fjord', cursor }), cursor).rejects.toMatchObject(
        { code: 'ERR_VALIDATION' },
      )
      await expect(vault.inbox.list({ cursor }), cursor).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      })
      await expect(
        vault.readThroughGrant(ids.grant.id, { purchases: { cursor } }),
        cursor,
      ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    }
    for (const limit of [0, -1, 1.5, 501, Number.NaN]) {
      await expect(vault.purchases.list({ limit }), String(limit)).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      })
      await expect(
        vault.readThroughGrant(ids.grant.id, { purchases: { limit } }),
        String(limit),
      ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    }
    await expect(
      vault.purchases.list({ cursor: 42 } as unknown as { cursor: string }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    await expect(vault.purchases.list({ since: 'last week' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    })
    await expect(vault.purchases.list({ unknown: 1 } as never)).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    })
    await expect(vault.audit.list({ limit: 0 })).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    // A well-formed cursor with hostile contents is just a position: parameters, never SQL.
    const hostile = b64(JSON.stringify({ d: "' OR 1=1 --", i: '"; DROP TABLE purchases; --' }))
    const page = await vault.purchases.list({ cursor: hostile })
    expect(Array.isArray(page.items)).toBe(true)
    expect((await vault.purchases.list()).items).toHaveLength(2)
  })
})

describe('bad input: importJson', () => {
  let tv: TestVault
  let doc: VaultExport
  beforeEach(async () => {
    tv = await newVault()
    await populate(tv.vault)
    doc = structuredClone(await tv.vault.exportJson())
  })

  /** A copy of the valid export with one change. */
  function variant(change: (d: Record<string, unknown> & VaultExport) => void): unknown {
    const copy = structuredClone(doc) as Record<string, unknown> & VaultExport
    change(copy)
    return copy
  }

  it('malformed exports are ERR_IMPORT_INVALID and change nothing', async () => {
    const { vault } = tv
    const shopId = doc.vendors[0]?.id as string
    const cases: [string, unknown][] = [
      ['not an object', 'custos-export'],
      ['null', null],
      ['empty object', {}],
      ['wrong format', variant((d) => (d.format = 'custos-backup' as 'custos-export'))],
      ['wrong version', variant((d) => (d.version = 2 as 1))],
      ['unknown top-level key', variant((d) => (d.extra = true))],
      ['bad field value', variant((d) => (d.fields.email = 'not an email'))],
      ['unknown field path', variant((d) => (d.fields['nmae.given'] = 'Ada'))],
      [
        'oversized field',
        variant(
          (d) => (d.fields['custom.big'] = Array.from({ length: 100 }, () => 'Q'.repeat(399))),
        ),
      ],
      [
        'purchase with an unknown vendor',
        variant(
          (d) =>
            (d.purchases[0] = {
              ...(d.purchases[0] as VaultExport['purchases'][number]),
              vendorId: 'ven_unknown',
            }),
        ),
      ],
      [
        'malformed purchase',
        variant(
          (d) =>
            (d.purchases[1] = {
              ...(d.purchases[1] as VaultExport['purchases'][number]),
              total: -1,
            }),
        ),
      ],
      [
        'grant with an unknown selector',
        variant(
          (d) =>
            (d.grants[0] = {
              ...(d.grants[0] as VaultExport['grants'][number]),
              fields: ['email', 'prefs.size.*'],
            }),
        ),
      ],
      [
        'grant with an unknown vendor',
        variant(
          (d) =>
            (d.grants[0] = {
              ...(d.grants[0] as VaultExport['grants'][number]),
              vendorId: 'ven_unknown',
            }),
        ),
      ],
      [
        'grant with a bad action',
        variant(
          (d) =>
            (d.grants[0] = {
              ...(d.grants[0] as VaultExport['grants'][number]),
              actions: ['write' as 'read'],
            }),
        ),
      ],
      [
        'vendor without a name',
        variant(
          (d) =>
            (d.vendors[0] = {
              id: shopId,
              blocked: false,
              createdAt: d.exportedAt,
            } as VaultExport['vendors'][number]),
        ),
      ],
      ['purchases not an array', variant((d) => ((d as Record<string, unknown>).purchases = {}))],
    ]
    for (const [name, bad] of cases) {
      const err = await refusedWithoutChange(
        vault,
        () => vault.importJson(bad),
        'ERR_IMPORT_INVALID',
      )
      expect(err.issues.length, name).toBeGreaterThan(0)
      await refusedWithoutChange(
        vault,
        () => vault.importJson(bad, { mode: 'replace' }),
        'ERR_IMPORT_INVALID',
      )
    }
  })

  it('importJson: ids and numbers a database column could not hold (NUL characters, > 32-bit revisions) are ERR_IMPORT_INVALID up front, on every engine', async () => {
    const { vault } = tv
    const cases: [string, unknown][] = [
      [
        'grant revision beyond 32 bits',
        variant(
          (d) =>
            (d.grants[0] = {
              ...(d.grants[0] as VaultExport['grants'][number]),
              revision: 2 ** 40,
            }),
        ),
      ],
      [
        'NUL in a vendor id',
        variant((d) =>
          d.vendors.push({
            ...(d.vendors[0] as VaultExport['vendors'][number]),
            id: 'ven_\u0000x',
          }),
        ),
      ],
      [
        'NUL in a purchase id',
        variant(
          (d) =>
            (d.purchases[0] = {
              ...(d.purchases[0] as VaultExport['purchases'][number]),
              id: 'pur_\u0000x',
            }),
        ),
      ],
    ]
    for (const [name, bad] of cases) {
      const err = await refusedWithoutChange(
        vault,
        () => vault.importJson(bad, { mode: 'replace' }),
        'ERR_IMPORT_INVALID',
      )
      expect(err.issues.length, name).toBeGreaterThan(0)
    }
  })

  it('importJson: random garbage (fast-check anything) is always ERR_IMPORT_INVALID, never another exception, and changes nothing', async () => {
    const { vault } = tv
    const before = await snapshot(vault)
    await fc.assert(
      fc.asyncProperty(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withSparseArray: true,
          withNullPrototype: true,
        }),
        async (garbage) => {
          const err = await vault.importJson(garbage).then(
            () => undefined,
            (e: unknown) => e,
          )
          expect(err).toBeInstanceOf(VaultError)
          expect(err).toMatchObject({ code: 'ERR_IMPORT_INVALID' })
        },
      ),
      { numRuns: 300 },
    )
    expect(await snapshot(vault)).toEqual(before)
  })

  it('importJson: a valid export with one part replaced by garbage either imports or is ERR_IMPORT_INVALID, and a refusal changes nothing', async () => {
    const { vault } = tv
    const keys = [
      'format',
      'version',
      'exportedAt',
      'vaultId',
      'fields',
      'purchases',
      'vendors',
      'grants',
      'audit',
    ] as const
    const target = fc.oneof(
      fc.record({ where: fc.constantFrom(...keys), inner: fc.constant(undefined) }),
      fc.record({
        where: fc.constantFrom('purchases', 'vendors', 'grants'),
        inner: fc.constantFrom(
          'id',
          'vendorId',
          'createdAt',
          'fields',
          'purchases',
          'total',
          'items',
          'name',
          'status',
          'revision',
        ),
      }),
      fc.record({
        where: fc.constant('fields'),
        inner: fc.constantFrom(
          'email',
          'address.home',
          'custom.pets.count',
          'prefs.diet',
          'custom.x',
        ),
      }),
    )
    await fc.assert(
      fc.asyncProperty(target, fc.anything(), async ({ where, inner }, garbage) => {
        const mutated = variant((d) => {
          const root = d as Record<string, unknown>
          if (inner === undefined) root[where] = garbage
          else if (where === 'fields') (root.fields as Record<string, unknown>)[inner] = garbage
          else {
            const list = root[where] as Record<string, unknown>[]
            if (list[0]) list[0][inner] = garbage
          }
        })
        const before = await snapshot(vault)
        const err = await vault.importJson(mutated).then(
          () => undefined,
          (e: unknown) => e,
        )
        if (err !== undefined) {
          expect(err).toBeInstanceOf(VaultError)
          expect(err).toMatchObject({ code: 'ERR_IMPORT_INVALID' })
          expect(await snapshot(vault)).toEqual(before)
        }
      }),
      { numRuns: 60 },
    )
  })
})

describe('export round-trip', () => {
  it('export → import into a fresh vault → export keeps fields, purchases, vendors and grants', async () => {
    const source = await newVault()
    await populate(source.vault)
    const first = await source.vault.exportJson()
    const target = await newVault()
    const result = await target.vault.importJson(JSON.parse(JSON.stringify(first)))
    expect(result).toEqual({ fields: 7, purchases: 3, vendors: 2, grants: 2 })
    const second = await target.vault.exportJson()
    expect(second.fields).toEqual(first.fields)
    expect(second.purchases).toEqual(first.purchases)
    expect(second.vendors).toEqual(first.vendors)
    expect(second.grants).toEqual(first.grants)
    expect(second.vaultId).not.toBe(first.vaultId)
    // The import is audited in the new vault; the old vault's log is not replayed into it.
    expect(second.audit.map((e) => e.action)).toEqual(['vault.created', 'vault.imported'])
    // What came in works: the imported grant reads the imported data.
    const grant = first.grants.find((g) => g.status === 'active') as VaultExport['grants'][number]
    const slice = await target.vault.readThroughGrant(grant.id)
    expect(slice.fields).toEqual({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
    expect(slice.purchases?.items.map((p) => p.seller)).toEqual(['Fjord Outdoor'])
    // Importing the same document again (merge) changes nothing.
    await target.vault.importJson(first)
    const third = await target.vault.exportJson()
    expect({ f: third.fields, p: third.purchases, v: third.vendors, g: third.grants }).toEqual({
      f: first.fields,
      p: first.purchases,
      v: first.vendors,
      g: first.grants,
    })
  })
})
