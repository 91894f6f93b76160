/**
 * Issue "P1 — Trust", finding 4: error texts never contain input values. zod's own messages
 * repeat input (the names of unknown keys, for one), and issue paths can hold keys the caller
 * chose. Marker strings are sent as unknown keys, values, enum values, record keys and field
 * paths through every validating entry point of the library; the marker must appear in no
 * error's message, issue path or issue message.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { type Vault, VaultError } from '../src/index.js'
import { issuesFromZod } from '../src/errors.js'
import { z } from 'zod'
import { type TestVault, createTestVault } from './support/test-vault.js'

const vaults: TestVault[] = []
afterEach(async () => {
  await Promise.all(vaults.splice(0).map((v) => v.dispose()))
})

/** Markers as an attacker would send them: markup, a plain word, an identifier-like key, a path. */
const marker = fc.oneof(
  fc.nat().map((n) => `<script>CANARY-${n}</script>`),
  fc.nat().map((n) => `CANARY${n}`),
  fc.nat().map((n) => `canary_${n}`),
  fc.nat().map((n) => `custom.CANARY${n}.x`),
)

const order = { seller: 'Fjord Outdoor', orderDate: '2026-03-14', currency: 'EUR', total: 1 }
const address = { streetAddress: '1 Road', addressLocality: 'Town', addressCountry: 'GB' }

/** Every entry point that validates caller input, each fed the marker `m` where input goes. */
function attempts(
  vault: Vault,
  ids: { vendorId: string; grantId: string },
  m: string,
): [string, () => Promise<unknown>][] {
  const dynamic = (x: unknown) => x as never
  return [
    ['fields.set unknown path', () => vault.fields.set(dynamic(m), 'x')],
    ['fields.set enum value', () => vault.fields.set('prefs.contact.channel', m)],
    ['fields.set list enum value', () => vault.fields.set('prefs.diet', [m])],
    ['fields.set regex value', () => vault.fields.set('nationality', m)],
    ['fields.set email value', () => vault.fields.set('email', m)],
    [
      'fields.set unknown key in object',
      () => vault.fields.set('address.home', { ...address, [m]: 1 }),
    ],
    ['fields.set custom object value', () => vault.fields.set('custom.pets', { [m]: m })],
    ['fields.setMany unknown path', () => vault.fields.setMany({ [m]: 'x' })],
    ['fields.setMany bad value', () => vault.fields.setMany({ email: m })],
    ['purchases.add unknown key', () => vault.purchases.add(dynamic({ ...order, [m]: 1 }))],
    ['purchases.add bad currency', () => vault.purchases.add({ ...order, currency: m })],
    ['purchases.add bad date', () => vault.purchases.add({ ...order, orderDate: m })],
    [
      'purchases.add item unknown key',
      () => vault.purchases.add(dynamic({ ...order, items: [{ name: 'x', [m]: 2 }] })),
    ],
    ['purchases.add wrong type', () => vault.purchases.add(dynamic({ ...order, total: m }))],
    ['purchases.list unknown key', () => vault.purchases.list(dynamic({ [m]: 1 }))],
    ['purchases.list cursor', () => vault.purchases.list({ cursor: m })],
    ['purchases.list since', () => vault.purchases.list({ since: m })],
    ['vendors.register unknown key', () => vault.vendors.register(dynamic({ name: 'x', [m]: 1 }))],
    ['vendors.register bad uri', () => vault.vendors.register({ name: 'x', uri: m })],
    [
      'grants.create unknown field',
      () =>
        vault.grants.create({
          vendorId: ids.vendorId,
          fields: [m],
          actions: ['read'],
          purpose: 'p',
          durationSeconds: 3600,
        }),
    ],
    [
      'grants.create unknown action',
      () =>
        vault.grants.create(
          dynamic({
            vendorId: ids.vendorId,
            fields: ['email'],
            actions: [m],
            purpose: 'p',
            durationSeconds: 3600,
          }),
        ),
    ],
    [
      'grants.create unknown key',
      () =>
        vault.grants.create(
          dynamic({
            vendorId: ids.vendorId,
            fields: ['email'],
            actions: ['read'],
            purpose: 'p',
            durationSeconds: 3600,
            [m]: 1,
          }),
        ),
    ],
    [
      'grants.create bad expiry',
      () =>
        vault.grants.create({
          vendorId: ids.vendorId,
          fields: ['email'],
          actions: ['read'],
          purpose: 'p',
          expiresAt: m,
        }),
    ],
    [
      'grants.create unknown slice key',
      () =>
        vault.grants.create(
          dynamic({
            vendorId: ids.vendorId,
            purchases: { [m]: true },
            actions: ['read'],
            purpose: 'p',
            durationSeconds: 3600,
          }),
        ),
    ],
    ['grants.narrow unknown key', () => vault.grants.narrow(ids.grantId, dynamic({ [m]: 1 }))],
    ['grants.narrow unknown field', () => vault.grants.narrow(ids.grantId, { fields: [m] })],
    ['audit.list unknown action', () => vault.audit.list(dynamic({ action: m }))],
    ['audit.list unknown key', () => vault.audit.list(dynamic({ [m]: 1 }))],
    [
      'inbox.append unknown key',
      () => vault.inbox.append(ids.grantId, dynamic({ ...order, [m]: 1 })),
    ],
    [
      'readThroughGrant bad cursor',
      () => vault.readThroughGrant(ids.grantId, { purchases: { cursor: m } }),
    ],
    [
      'importJson unknown top-level key',
      async () => vault.importJson({ ...(await vault.exportJson()), [m]: 1 }),
    ],
    [
      'importJson unknown field path',
      async () => vault.importJson({ ...(await vault.exportJson()), fields: { [m]: 'x' } }),
    ],
    [
      'importJson long field key',
      async () =>
        vault.importJson({ ...(await vault.exportJson()), fields: { [m.repeat(40)]: 'x' } }),
    ],
    [
      'importJson bad field value',
      async () =>
        vault.importJson({ ...(await vault.exportJson()), fields: { 'prefs.contact.channel': m } }),
    ],
    [
      'importJson bad purchase',
      async () =>
        vault.importJson({
          ...(await vault.exportJson()),
          purchases: [{ ...order, id: 'pur_1', provenance: m, status: 'accepted', createdAt: m }],
        }),
    ],
    [
      'importJson unknown grant key',
      async () => {
        const doc = await vault.exportJson()
        return vault.importJson({
          ...doc,
          grants: doc.grants.map((g) => ({ ...g, [m]: 1, fields: [m] })),
        })
      },
    ],
  ]
}

/** Everything an error says, as a caller (or an HTTP layer) could pass it on. */
function said(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const issues = err instanceof VaultError ? JSON.stringify(err.issues) : ''
  return `${err.name} ${err.message} ${String(err)} ${issues}`
}

describe('vault errors never contain input values', () => {
  it('property: a marker sent as a key, value, enum value or path appears in no error message or issue', async () => {
    const tv = await createTestVault()
    vaults.push(tv)
    const vendor = await tv.vault.vendors.register({ name: 'Fjord Outdoor' })
    const grant = await tv.vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      purchases: { madeWithVendor: true },
      actions: ['read', 'append'],
      purpose: 'p',
      durationSeconds: 3600,
    })
    const ids = { vendorId: vendor.id, grantId: grant.id }
    await fc.assert(
      fc.asyncProperty(marker, async (m) => {
        const core = m
          .replace(/^custom\./, '')
          .replace(/\.x$/, '')
          .replace(/^<script>|<\/script>$/g, '')
        for (const [name, attempt] of attempts(tv.vault, ids, m)) {
          let failure: unknown
          try {
            await attempt()
          } catch (err) {
            failure = err
          }
          // Every attempt is refused (a TypeError for caller misuse counts), and says nothing of the marker.
          expect([name, failure !== undefined]).toEqual([name, true])
          const text = said(failure)
          expect([name, text.includes(core) || text.includes(m)]).toEqual([name, false])
        }
      }),
      { numRuns: 8 },
    )
  })

  it('issuesFromZod: every zod issue kind becomes fixed text; rejected keys and keys that are not plain names are not named', () => {
    const M = '<script>CANARY-1</script>'
    const schemas: [z.ZodType, unknown][] = [
      [z.object({ a: z.string() }).strict(), { a: 'x', [M]: 1 }],
      [z.enum(['a', 'b']), M],
      [z.literal('a'), M],
      [z.record(z.string().max(3), z.number()), { [M]: 1 }],
      [z.record(z.string(), z.number()), { [M]: 'x' }],
      [z.record(z.enum(['a']), z.number()), { [M]: 1 }],
      [z.string().regex(/^a$/), M],
      [z.string().max(3), M],
      [z.union([z.string(), z.number()]), { [M]: M }],
      [
        z.discriminatedUnion('t', [
          z.object({ t: z.literal('a') }),
          z.object({ t: z.literal('b') }),
        ]),
        { t: M },
      ],
      [z.url(), M],
      [z.iso.datetime(), M],
      [z.string().startsWith('x'), M],
      [z.map(z.string(), z.number()), new Map([[M, M]])],
      [z.set(z.number()), new Set([M])],
      [z.number(), M],
      [z.array(z.string()).length(1), [M, M]],
      [z.string().refine(() => false), M],
    ]
    for (const [schema, input] of schemas) {
      const parsed = schema.safeParse(input)
      expect(parsed.success).toBe(false)
      const issues = issuesFromZod(parsed.error?.issues ?? [])
      expect(issues.length).toBeGreaterThan(0)
      expect(JSON.stringify(issues)).not.toContain('CANARY')
    }
  })

  it('issuesFromZod keeps what helps and is not input: schema keys, indices, the schema’s own limits and authored messages', () => {
    const Schema = z
      .object({
        items: z.array(z.object({ name: z.string().max(5) }).strict()),
        currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code'),
      })
      .strict()
    const parsed = Schema.safeParse({
      items: [{ name: 'ok' }, { name: 'far too long' }],
      currency: 'euro',
    })
    expect(issuesFromZod(parsed.error?.issues ?? [], 'order')).toEqual([
      { path: 'order.items.1.name', message: 'At most 5 characters' },
      { path: 'order.currency', message: 'ISO 4217 currency code' },
    ])
  })
})
