/**
 * SECURITY.md, "Keys" promises 6–9 (sealed until unlocked, one answer for every unlock failure,
 * throttling before Argon2, passphrase change rewraps only the root key), plus the recovery-key
 * and passphrase-strength rules (keys/passphrase-policy.ts), on both engines.
 */
import { createHash } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { passphraseBytes } from '../../src/crypto/bytes.js'
import { open } from '../../src/crypto/envelope.js'
import { KdfParams, deriveKek } from '../../src/crypto/kdf.js'
import { formatRecoveryKey } from '../../src/crypto/recovery-key.js'
import { loadSodium } from '../../src/crypto/sodium.js'
import type { VaultDatabase } from '../../src/db/schema.js'
import { fieldPlace } from '../../src/fields/field-store.js'
import { termPlace } from '../../src/keys/unsealed-keys.js'
import {
  UnlockFailedError,
  UnlockThrottledError,
  type Vault,
  VaultError,
  type VaultStatus,
  createVault,
} from '../../src/index.js'
import {
  PASSPHRASE,
  type TestDatabase,
  type TestVault,
  createTestDatabase,
  createTestVault,
} from '../support/test-vault.js'

const vaults: TestVault[] = []
const databases: TestDatabase[] = []
const bareVaults: Vault[] = []
async function newVault(options: Parameters<typeof createTestVault>[0] = {}): Promise<TestVault> {
  const tv = await createTestVault(options)
  vaults.push(tv)
  return tv
}
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(bareVaults.splice(0).map((v) => v.close().catch(() => undefined)))
  await Promise.all(vaults.splice(0).map((tv) => tv.dispose()))
  await Promise.all(databases.splice(0).map((d) => d.dispose()))
})

const WRONG = 'not the passphrase at all'

/** The outcome of a call that should fail: the VaultError code, or how it did not. Sync throws count as a defect of the promise API. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  let promise: Promise<unknown>
  try {
    promise = call()
  } catch (err) {
    return `threw synchronously: ${err instanceof VaultError ? err.code : String(err)}`
  }
  try {
    await promise
  } catch (err) {
    return err instanceof VaultError ? err.code : `not a VaultError: ${String(err)}`
  }
  return 'resolved'
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function sealedStatus(vault: Vault): Promise<Extract<VaultStatus, { state: 'sealed' }>> {
  const status = await vault.status()
  if (status.state !== 'sealed') throw new Error(`expected a sealed vault, got ${status.state}`)
  return status
}

/** Every table's rows, blobs as hex, sorted: a byte-exact picture of the stored records. */
async function snapshot(db: Kysely<VaultDatabase>) {
  const norm = (rows: Record<string, unknown>[]) =>
    rows
      .map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [
            k,
            v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
          ]),
        ),
      )
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
  return {
    fields: norm(await db.selectFrom('fields').selectAll().execute()),
    purchases: norm(await db.selectFrom('purchases').selectAll().execute()),
    vendors: norm(await db.selectFrom('vendors').selectAll().execute()),
    grants: norm(await db.selectFrom('grants').selectAll().execute()),
    keyring: norm(await db.selectFrom('keyring').selectAll().execute()),
  }
}

async function meta(db: Kysely<VaultDatabase>) {
  return db.selectFrom('vault_meta').selectAll().where('id', '=', 1).executeTakeFirstOrThrow()
}

/** A vault with data in every table, and what a data call needs (ids, an export, a backup). */
async function populated(tv: TestVault) {
  const { vault } = tv
  await vault.fields.set('email', 'ada@example.org')
  await vault.fields.set('prefs.sizes.shoe', 'EU 39')
  const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
  const purchase = await vault.purchases.add(
    { seller: 'Fjord Outdoor', orderDate: '2026-03-14', currency: 'EUR', total: 129.9 },
    { vendorId: shop.id },
  )
  const grant = await vault.grants.create({
    vendorId: shop.id,
    fields: ['email', 'prefs.sizes.*'],
    purchases: { madeWithVendor: true },
    actions: ['read', 'append'],
    purpose: 'Fit',
    durationSeconds: 3600,
  })
  const pending = await vault.inbox.append(grant.id, {
    seller: 'Fjord Outdoor',
    orderDate: '2026-03-15',
    currency: 'EUR',
    total: 5,
  })
  const exported = await vault.exportJson()
  const backup = await collect(vault.backup())
  return { shop, purchase, grant, pending, exported, backup }
}

/** Every data call of the facade, each a thunk, named. */
function dataCalls(
  vault: Vault,
  d: Awaited<ReturnType<typeof populated>>,
): [string, () => Promise<unknown>][] {
  const order = { seller: 'Other', orderDate: '2026-01-01', currency: 'EUR', total: 1 }
  return [
    ['fields.set', () => vault.fields.set('email', 'eve@example.org')],
    ['fields.setMany', () => vault.fields.setMany({ email: 'eve@example.org' })],
    ['fields.get', () => vault.fields.get('email')],
    ['fields.list', () => vault.fields.list()],
    ['fields.delete', () => vault.fields.delete('prefs.sizes.shoe')],
    ['purchases.add', () => vault.purchases.add(order)],
    ['purchases.addMany', () => vault.purchases.addMany([order])],
    ['purchases.update', () => vault.purchases.update(d.purchase.id, order)],
    ['purchases.get', () => vault.purchases.get(d.purchase.id)],
    ['purchases.list', () => vault.purchases.list()],
    ['purchases.delete', () => vault.purchases.delete(d.purchase.id)],
    ['vendors.register', () => vault.vendors.register({ name: 'Eve' })],
    ['vendors.get', () => vault.vendors.get(d.shop.id)],
    ['vendors.list', () => vault.vendors.list()],
    ['vendors.setBlocked', () => vault.vendors.setBlocked(d.shop.id, true)],
    [
      'grants.create',
      () =>
        vault.grants.create({
          vendorId: d.shop.id,
          fields: ['email'],
          actions: ['read'],
          purpose: 'x',
          durationSeconds: 3600,
        }),
    ],
    ['grants.get', () => vault.grants.get(d.grant.id)],
    ['grants.list', () => vault.grants.list()],
    ['grants.narrow', () => vault.grants.narrow(d.grant.id, { fields: ['email'] })],
    ['grants.revoke', () => vault.grants.revoke(d.grant.id)],
    ['inbox.append', () => vault.inbox.append(d.grant.id, order)],
    ['inbox.list', () => vault.inbox.list()],
    ['inbox.accept', () => vault.inbox.accept(d.pending.id)],
    ['inbox.reject', () => vault.inbox.reject(d.pending.id)],
    ['audit.list', () => vault.audit.list()],
    ['audit.verify', () => vault.audit.verify()],
    ['readThroughGrant', () => vault.readThroughGrant(d.grant.id)],
    ['exportJson', () => vault.exportJson()],
    ['importJson', () => vault.importJson(d.exported)],
    // backup() returns an AsyncIterable, not a promise: refusing at the call or at the first chunk are both fine.
    ['backup', async () => collect(vault.backup())],
    ['rotateKeys', () => vault.rotateKeys()],
    ['changePassphrase', () => vault.changePassphrase(PASSPHRASE, 'another long passphrase')],
    ['restore', () => vault.restore(d.backup, PASSPHRASE)],
    ['destroy', () => vault.destroy()],
  ]
}

async function expectEveryDataCallLocked(
  vault: Vault,
  d: Awaited<ReturnType<typeof populated>>,
): Promise<void> {
  const results: Record<string, string> = {}
  const expected: Record<string, string> = {}
  for (const [name, call] of dataCalls(vault, d)) {
    results[name] = await outcome(call)
    expected[name] = 'ERR_VAULT_LOCKED'
  }
  expect(results).toEqual(expected)
}

// ---------------------------------------------------------------------------------------------

describe('promise 6: sealed until unlocked', () => {
  it('promise 6: after lock(), status() says sealed and every data call of the facade rejects with ERR_VAULT_LOCKED', async () => {
    const tv = await newVault()
    const d = await populated(tv)
    const before = await snapshot(tv.handle.db)
    await tv.vault.lock()
    expect(await sealedStatus(tv.vault)).toMatchObject({ state: 'sealed', failedUnlocks: 0 })
    await expectEveryDataCallLocked(tv.vault, d)
    // Nothing was written while sealed, and everything is there again after unlocking.
    expect(await snapshot(tv.handle.db)).toEqual(before)
    await tv.vault.unlock(PASSPHRASE)
    expect((await tv.vault.status()).state).toBe('unsealed')
    expect(await tv.vault.fields.get('email')).toBe('ada@example.org')
    expect((await tv.vault.readThroughGrant(d.grant.id)).fields).toEqual({
      email: 'ada@example.org',
      'prefs.sizes.shoe': 'EU 39',
    })
  })

  it('promise 6: a freshly reopened vault (a restart) is sealed and every data call rejects with ERR_VAULT_LOCKED', async () => {
    const tv = await newVault()
    const d = await populated(tv)
    const vault = await tv.reopen()
    expect(await sealedStatus(vault)).toMatchObject({
      state: 'sealed',
      vaultId: d.exported.vaultId,
    })
    await expectEveryDataCallLocked(vault, d)
    await vault.unlock({ recoveryKey: tv.recoveryKey })
    expect(await vault.fields.get('prefs.sizes.shoe')).toBe('EU 39')
  })

  it('promise 6: two unlocks racing install one key object — the second proves its secret and keeps the keys in use', async () => {
    const tv = await newVault()
    await populated(tv)
    const unlocks = async () =>
      (await tv.vault.audit.list({ action: 'vault.unlocked', limit: 100 })).length
    const unlocksBefore = await unlocks()
    await tv.vault.lock()
    await Promise.all([tv.vault.unlock(PASSPHRASE), tv.vault.unlock(PASSPHRASE)])
    // One unseal, not two: a second would have wiped the key object the first installed.
    expect((await unlocks()) - unlocksBefore).toBe(1)
    expect(await tv.vault.fields.get('email')).toBe('ada@example.org')
    // On an unsealed vault the secret is still checked.
    await expect(tv.vault.unlock('not the passphrase at all')).rejects.toBeInstanceOf(
      UnlockFailedError,
    )
    expect((await tv.vault.status()).state).toBe('unsealed')
  })

  it('promise 6: unlock says what it did — one of two racing unlocks unsealed, the other found it unsealed; a recovery key proved either way counts for a reset (issue 11)', async () => {
    const tv = await newVault()
    await tv.vault.lock()
    const results = await Promise.all([
      tv.vault.unlock(PASSPHRASE),
      tv.vault.unlock({ recoveryKey: tv.recoveryKey }),
    ])
    expect([...results].sort()).toEqual(['already-unsealed', 'unlocked'])
    expect(await tv.vault.unlock(PASSPHRASE)).toBe('already-unsealed')
    // The recovery key was proved (by whichever unlock it was): a reset without the old passphrase goes through.
    await tv.vault.resetPassphrase('fig yak quartz lantern meadow orbit')
    await tv.vault.lock()
    expect(await tv.vault.unlock('fig yak quartz lantern meadow orbit')).toBe('unlocked')
  })

  it('promise 8: a right secret that finds the vault already unsealed counts as no failed attempt', async () => {
    const tv = await newVault()
    for (let i = 0; i < 6; i++) expect(await tv.vault.unlock(PASSPHRASE)).toBe('already-unsealed')
    await tv.vault.lock()
    // Six attempts that each reserved a failure would have blocked unlocking by now.
    expect(await tv.vault.status()).toMatchObject({ state: 'sealed', failedUnlocks: 0 })
    expect(await tv.vault.unlock(PASSPHRASE)).toBe('unlocked')
  })

  it('promise 6: lock wipes keys — the root key and the data key held in memory are overwritten with zeros', async () => {
    const tv = await newVault()
    await populated(tv)
    const status = await tv.vault.status()
    if (status.state !== 'unsealed') throw new Error('expected unsealed')
    const sodium = await loadSodium()
    const realMemzero = sodium.memzero
    const wiped: { live: Uint8Array; before: Uint8Array }[] = []
    vi.spyOn(sodium, 'memzero').mockImplementation((buf: Uint8Array) => {
      wiped.push({ live: buf, before: buf.slice() })
      realMemzero(buf)
    })
    await tv.vault.lock()
    vi.restoreAllMocks()

    // Identify, among the buffers lock() wiped, the real keys: the one that opens the stored
    // data-key wrap is the root key; the one that opens a stored field is the data key.
    const db = tv.handle.db
    const wrappedTerm = Uint8Array.from(
      (
        await db
          .selectFrom('keyring')
          .select('wrapped_key')
          .where('term', '=', 1)
          .executeTakeFirstOrThrow()
      ).wrapped_key as Uint8Array,
    )
    const field = Uint8Array.from(
      (
        await db
          .selectFrom('fields')
          .select('value')
          .where('path', '=', 'email')
          .executeTakeFirstOrThrow()
      ).value,
    )
    const opens = (key: Uint8Array, place: Parameters<typeof open>[2], envelope: Uint8Array) => {
      try {
        open(sodium, key, place, envelope)
        return true
      } catch {
        return false
      }
    }
    const keySized = wiped.filter((w) => w.before.length === 32)
    const root = keySized.filter((w) => opens(w.before, termPlace(status.vaultId, 1), wrappedTerm))
    const dataKey = keySized.filter((w) =>
      opens(w.before, fieldPlace(status.vaultId, 'email'), field),
    )
    expect(root.length).toBeGreaterThan(0)
    expect(dataKey.length).toBeGreaterThan(0)
    // Subkeys (blind index, audit MAC, backup) were in use too and went the same way.
    expect(keySized.length).toBeGreaterThanOrEqual(4)
    for (const w of wiped) expect(sodium.is_zero(w.live)).toBe(true)
    expect((await tv.vault.status()).state).toBe('sealed')
  })

  it('promise 6: grant reads racing lock() either complete whole and audited or fail with ERR_VAULT_LOCKED; after lock none can read', async () => {
    const tv = await newVault()
    const d = await populated(tv)
    const expectedFields = { email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' }
    // Reads start a few event-loop turns apart; the lock lands once the first has finished, so the
    // others are caught at different stages (which ones finish depends on the engine's timing).
    const reads = Array.from({ length: 8 }, (_, i) =>
      (async () => {
        for (let k = 0; k < i * 2; k++) await new Promise((r) => setImmediate(r))
        return tv.vault.readThroughGrant(d.grant.id)
      })(),
    )
    await reads[0]
    await tv.vault.lock()
    const settled = await Promise.allSettled(reads)
    let completed = 0
    for (const s of settled) {
      if (s.status === 'fulfilled') {
        completed++
        expect(s.value.fields).toEqual(expectedFields)
      } else {
        expect(s.reason).toBeInstanceOf(VaultError)
        expect((s.reason as VaultError).code).toBe('ERR_VAULT_LOCKED')
      }
    }
    expect(completed).toBeGreaterThanOrEqual(1)
    expect(await outcome(() => tv.vault.readThroughGrant(d.grant.id))).toBe('ERR_VAULT_LOCKED')
    await tv.vault.unlock(PASSPHRASE)
    // Every read that returned data left its audit entry; none that failed did.
    const audited = await tv.vault.audit.list({ action: 'grant.read', grantId: d.grant.id })
    expect(audited.length).toBe(completed)
  })

  it('promise 6: a backup stream obtained before lock() cannot be read after it', async () => {
    const tv = await newVault()
    await populated(tv)
    const stream = tv.vault.backup()
    await tv.vault.lock()
    expect(await outcome(() => collect(stream))).toBe('ERR_VAULT_LOCKED')
  })

  it('promise 6: a backup stream started before lock() stops at the lock instead of encrypting under wiped keys', async () => {
    const tv = await newVault()
    await populated(tv)
    const iterator = tv.vault.backup()[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(first.done).toBe(false)
    await tv.vault.lock()
    expect(
      await outcome(async () => {
        for (let r = await iterator.next(); !r.done; r = await iterator.next());
      }),
    ).toBe('ERR_VAULT_LOCKED')
  })
})

describe('promise 7: a wrong passphrase and a corrupted key blob give the same answer', () => {
  async function failure(call: () => Promise<unknown>) {
    try {
      await call()
    } catch (err) {
      if (!(err instanceof VaultError)) throw err
      return {
        class: err.constructor.name,
        name: err.name,
        code: err.code,
        message: err.message,
        keys: Object.keys(err).sort(),
        instance: err instanceof UnlockFailedError,
      }
    }
    throw new Error('the call succeeded')
  }

  async function flipByte(
    db: Kysely<VaultDatabase>,
    column: 'wrapped_root_passphrase' | 'wrapped_root_recovery',
    pos: number,
  ): Promise<Uint8Array> {
    const original = Uint8Array.from((await meta(db))[column])
    const tampered = original.slice()
    const at = pos < 0 ? tampered.length + pos : pos
    tampered[at] = (tampered[at] as number) ^ 0x01
    await db
      .updateTable('vault_meta')
      .set({ [column]: Buffer.from(tampered) })
      .where('id', '=', 1)
      .execute()
    return original
  }

  it('promise 7: a wrong passphrase and a flipped byte of vault_meta.wrapped_root_passphrase both give ERR_UNLOCK_FAILED with the same class and message', async () => {
    const tv = await newVault()
    const db = tv.handle.db
    await tv.vault.lock()
    const wrong = await failure(() => tv.vault.unlock(WRONG))
    expect(wrong).toMatchObject({
      class: 'UnlockFailedError',
      code: 'ERR_UNLOCK_FAILED',
      instance: true,
    })
    for (const pos of [0, 12, -1]) {
      const original = await flipByte(db, 'wrapped_root_passphrase', pos)
      expect(await failure(() => tv.vault.unlock(PASSPHRASE))).toEqual(wrong)
      await db
        .updateTable('vault_meta')
        .set({ wrapped_root_passphrase: Buffer.from(original) })
        .where('id', '=', 1)
        .execute()
    }
    await tv.vault.unlock(PASSPHRASE)
    expect((await tv.vault.status()).state).toBe('unsealed')
  })

  it('promise 7: a wrong recovery key, a corrupted recovery wrap and edited KDF parameters give that same answer', async () => {
    const tv = await newVault()
    const db = tv.handle.db
    await tv.vault.lock()
    const wrong = await failure(() => tv.vault.unlock(WRONG))
    const sodium = await loadSodium()
    const otherKey = formatRecoveryKey(sodium, sodium.randombytes_buf(32))
    expect(await failure(() => tv.vault.unlock({ recoveryKey: otherKey }))).toEqual(wrong)
    const original = await flipByte(db, 'wrapped_root_recovery', 40)
    expect(await failure(() => tv.vault.unlock({ recoveryKey: tv.recoveryKey }))).toEqual(wrong)
    await db
      .updateTable('vault_meta')
      .set({ wrapped_root_recovery: Buffer.from(original) })
      .where('id', '=', 1)
      .execute()
    // The KDF parameters are authenticated: a downgrade below the floor, or another salt, is the same failure.
    const params = KdfParams.parse(JSON.parse((await meta(db)).kdf_params))
    await db
      .updateTable('vault_meta')
      .set({ kdf_params: JSON.stringify({ ...params, opslimit: 1 }) })
      .where('id', '=', 1)
      .execute()
    expect(await failure(() => tv.vault.unlock(PASSPHRASE))).toEqual(wrong)
    await db
      .updateTable('vault_meta')
      .set({ kdf_params: JSON.stringify(params) })
      .where('id', '=', 1)
      .execute()
    await tv.vault.unlock({ recoveryKey: tv.recoveryKey })
    expect((await tv.vault.status()).state).toBe('unsealed')
  })

  it('promise 7: no stored password hash — vault_meta has only the documented columns, and neither the KEK nor any plain hash of the passphrase is stored anywhere', async () => {
    const tv = await newVault()
    await populated(tv)
    const db = tv.handle.db
    const row = await meta(db)
    expect(Object.keys(row).sort()).toEqual(
      [
        'id',
        'vault_id',
        'created_at',
        'kdf_params',
        'wrapped_root_passphrase',
        'wrapped_root_recovery',
        'current_term',
        'failed_unlocks',
        'unlock_blocked_until',
        'audit_head_seq',
        'audit_head_hash',
        'audit_head_mac',
        'rotation_target',
        'ledger_epoch',
        'audit_anchor_seq',
        'row_auth_version',
      ].sort(),
    )
    const params = JSON.parse(row.kdf_params) as Record<string, unknown>
    expect(Object.keys(params).sort()).toEqual(['alg', 'memlimit', 'opslimit', 'salt'])
    // The wrap is an AEAD envelope (version 1, term 0, nonce, 32-byte key + padding, tag), not a hash.
    expect(Uint8Array.from(row.wrapped_root_passphrase).subarray(0, 5)).toEqual(
      new Uint8Array([1, 0, 0, 0, 0]),
    )

    const sodium = await loadSodium()
    const pass = passphraseBytes(PASSPHRASE)
    const kek = await deriveKek(sodium, pass, KdfParams.parse(params))
    const suspects: [string, Uint8Array][] = [
      ['KEK', kek],
      ['KEK[0..16]', kek.subarray(0, 16)],
      ['sha256', createHash('sha256').update(pass).digest()],
      ['sha512', createHash('sha512').update(pass).digest()],
      ['sha1', createHash('sha1').update(pass).digest()],
      ['md5', createHash('md5').update(pass).digest()],
      ['blake2b-256', sodium.crypto_generichash(32, pass, null)],
      ['blake2b-512', sodium.crypto_generichash(64, pass, null)],
      ['passphrase', pass],
    ]
    const tables = [
      'vault_meta',
      'keyring',
      'fields',
      'purchases',
      'vendors',
      'grants',
      'audit',
    ] as const
    const scanFor = async (needles: [string, Uint8Array][]): Promise<string[]> => {
      const found: string[] = []
      for (const table of tables) {
        const { rows } = await sql<
          Record<string, unknown>
        >`select * from ${sql.table(table)}`.execute(db)
        for (const r of rows) {
          for (const [column, value] of Object.entries(r)) {
            const bytes =
              value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value))
            for (const [name, s] of needles) {
              const b = Buffer.from(s)
              for (const form of [
                b,
                Buffer.from(b.toString('hex')),
                Buffer.from(b.toString('base64')),
                Buffer.from(b.toString('base64url')),
              ]) {
                if (bytes.indexOf(form) !== -1) found.push(`${table}.${column}: ${name}`)
              }
            }
          }
        }
      }
      return found
    }
    expect(await scanFor(suspects)).toEqual([])
    // Control: the same scan does find bytes that are stored (part of the wrap itself).
    expect(
      await scanFor([['control', Uint8Array.from(row.wrapped_root_passphrase).subarray(5, 37)]]),
    ).toContain('vault_meta.wrapped_root_passphrase: control')
  })
})

describe('promise 8: unlock throttling', () => {
  function fakeClock(start = Date.parse('2026-04-01T12:00:00.000Z')) {
    let t = start
    return {
      now: () => new Date(t),
      set: (ms: number) => void (t = ms),
      advance: (ms: number) => void (t += ms),
      get: () => t,
    }
  }

  async function failWrong(vault: Vault, times: number): Promise<void> {
    for (let i = 0; i < times; i++)
      expect([i, await outcome(() => vault.unlock(WRONG))]).toEqual([i, 'ERR_UNLOCK_FAILED'])
  }

  it('promise 8: after 5 failures even the correct passphrase is refused with ERR_UNLOCK_THROTTLED (Argon2 never ran), the block survives reopen(), and ends when the clock passes retryAt', async () => {
    const clock = fakeClock()
    const tv = await newVault({ now: clock.now })
    await tv.vault.lock()
    await failWrong(tv.vault, 5)
    const blocked = await sealedStatus(tv.vault)
    expect(blocked.failedUnlocks).toBe(5)
    expect(blocked.unlockBlockedUntil).toBeDefined()
    const retryAt = Date.parse(blocked.unlockBlockedUntil as string)
    expect(retryAt - clock.get()).toBe(30_000)

    // The correct secrets are refused too: nothing was checked, so no key derivation ran.
    let refusal: unknown
    await tv.vault.unlock(PASSPHRASE).catch((err: unknown) => (refusal = err))
    expect(refusal).toBeInstanceOf(UnlockThrottledError)
    expect((refusal as UnlockThrottledError).code).toBe('ERR_UNLOCK_THROTTLED')
    expect((refusal as UnlockThrottledError).retryAt.getTime()).toBe(retryAt)
    expect(await outcome(() => tv.vault.unlock({ recoveryKey: tv.recoveryKey }))).toBe(
      'ERR_UNLOCK_THROTTLED',
    )
    expect(
      await outcome(() => tv.vault.changePassphrase(PASSPHRASE, 'another long passphrase')),
    ).toBe('ERR_VAULT_LOCKED')
    expect(await outcome(() => tv.vault.recover(tv.recoveryKey, 'another long passphrase'))).toBe(
      'ERR_UNLOCK_THROTTLED',
    )
    expect((await sealedStatus(tv.vault)).failedUnlocks).toBe(5) // refusals are not attempts

    // A restart does not reset anything.
    const reopened = await tv.reopen()
    expect(await sealedStatus(reopened)).toMatchObject({
      failedUnlocks: 5,
      unlockBlockedUntil: blocked.unlockBlockedUntil,
    })
    expect(await outcome(() => reopened.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_THROTTLED')

    clock.set(retryAt - 1)
    expect(await outcome(() => reopened.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_THROTTLED')
    clock.set(retryAt + 1)
    await reopened.unlock(PASSPHRASE)
    expect((await reopened.status()).state).toBe('unsealed')
    await reopened.lock()
    const reset = await sealedStatus(reopened)
    expect(reset.failedUnlocks).toBe(0)
    expect(reset.unlockBlockedUntil).toBeUndefined()
  })

  it('promise 8: a failure right after a block ends blocks again, for twice as long', async () => {
    const clock = fakeClock()
    const tv = await newVault({ now: clock.now })
    await tv.vault.lock()
    await failWrong(tv.vault, 5)
    clock.advance(30_001)
    await failWrong(tv.vault, 1)
    const again = await sealedStatus(tv.vault)
    expect(again.failedUnlocks).toBe(6)
    expect(Date.parse(again.unlockBlockedUntil as string) - clock.get()).toBe(60_000)
    expect(await outcome(() => tv.vault.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_THROTTLED')
    clock.advance(60_001)
    await tv.vault.unlock(PASSPHRASE)
    expect((await tv.vault.status()).state).toBe('unsealed')
  })

  it('promise 8: a successful unlock resets the counter', async () => {
    const tv = await newVault()
    await tv.vault.lock()
    await failWrong(tv.vault, 4)
    expect((await sealedStatus(tv.vault)).failedUnlocks).toBe(4)
    await tv.vault.unlock(PASSPHRASE)
    await tv.vault.lock()
    expect((await sealedStatus(tv.vault)).failedUnlocks).toBe(0)
    // Five fresh failures are allowed again before the block.
    await failWrong(tv.vault, 5)
    expect(await outcome(() => tv.vault.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_THROTTLED')
  })

  it('promise 8: 8 wrong attempts fired in parallel cannot bypass the limit — at most 5 reach the KDF, the rest are throttled', async () => {
    const tv = await newVault()
    await tv.vault.lock()
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => tv.vault.unlock(WRONG)),
    )
    const codes = results.map((r) =>
      r.status === 'rejected' && r.reason instanceof VaultError
        ? r.reason.code
        : `unexpected ${r.status}`,
    )
    const failed = codes.filter((c) => c === 'ERR_UNLOCK_FAILED').length
    const throttled = codes.filter((c) => c === 'ERR_UNLOCK_THROTTLED').length
    expect(failed + throttled).toBe(8)
    expect(failed).toBeLessThanOrEqual(5)
    expect(throttled).toBeGreaterThanOrEqual(3)
    expect(await outcome(() => tv.vault.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_THROTTLED')
    expect((await sealedStatus(tv.vault)).failedUnlocks).toBe(failed)
  })
})

describe('promise 9: passphrase change rewraps the root key only', () => {
  const NEXT = 'a brand new passphrase'

  it('promise 9: changePassphrase leaves every field, purchase, vendor, grant and keyring row byte-identical; the old passphrase fails, the new one and the recovery key work', async () => {
    const tv = await newVault()
    const d = await populated(tv)
    const db = tv.handle.db
    const before = await snapshot(db)
    const metaBefore = await meta(db)
    expect(before.fields.length).toBeGreaterThan(0)
    expect(before.keyring.length).toBe(1)

    await tv.vault.changePassphrase(PASSPHRASE, NEXT)

    expect(await snapshot(db)).toEqual(before)
    const metaAfter = await meta(db)
    expect(
      Buffer.from(metaAfter.wrapped_root_recovery).equals(
        Buffer.from(metaBefore.wrapped_root_recovery),
      ),
    ).toBe(true)
    expect(
      Buffer.from(metaAfter.wrapped_root_passphrase).equals(
        Buffer.from(metaBefore.wrapped_root_passphrase),
      ),
    ).toBe(false)
    expect(JSON.parse(metaAfter.kdf_params).salt).not.toBe(JSON.parse(metaBefore.kdf_params).salt)
    expect({
      ...metaAfter,
      wrapped_root_passphrase: null,
      kdf_params: null,
      audit_head_seq: null,
      audit_head_hash: null,
      audit_head_mac: null,
    }).toEqual({
      ...metaBefore,
      wrapped_root_passphrase: null,
      kdf_params: null,
      audit_head_seq: null,
      audit_head_hash: null,
      audit_head_mac: null,
    })

    await tv.vault.lock()
    expect(await outcome(() => tv.vault.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_FAILED')
    await tv.vault.unlock(NEXT)
    expect(await tv.vault.fields.get('email')).toBe('ada@example.org')
    await tv.vault.lock()
    await tv.vault.unlock({ recoveryKey: tv.recoveryKey })
    expect((await tv.vault.purchases.get(d.purchase.id)).total).toBe(129.9)
    // And it is durable: a restarted vault takes the new passphrase only.
    const reopened = await tv.reopen()
    expect(await outcome(() => reopened.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_FAILED')
    await reopened.unlock(NEXT)
    expect(await snapshot(tv.handle.db)).toEqual(before)
  })

  it('promise 9: changePassphrase with a wrong current passphrase changes nothing', async () => {
    const tv = await newVault()
    await populated(tv)
    const db = tv.handle.db
    const metaBefore = await meta(db)
    expect(await outcome(() => tv.vault.changePassphrase(WRONG, NEXT))).toBe('ERR_UNLOCK_FAILED')
    const metaAfter = await meta(db)
    expect(
      Buffer.from(metaAfter.wrapped_root_passphrase).equals(
        Buffer.from(metaBefore.wrapped_root_passphrase),
      ),
    ).toBe(true)
    expect(metaAfter.kdf_params).toBe(metaBefore.kdf_params)
    await tv.vault.lock()
    expect(await outcome(() => tv.vault.unlock(NEXT))).toBe('ERR_UNLOCK_FAILED')
    await tv.vault.unlock(PASSPHRASE)
  })

  it('promise 9: recover(recoveryKey, newPassphrase) sets a new passphrase and unseals; records stay byte-identical; the forgotten passphrase no longer works', async () => {
    const tv = await newVault()
    await populated(tv)
    const before = await snapshot(tv.handle.db)
    const vault = await tv.reopen()
    await vault.recover(tv.recoveryKey, NEXT)
    expect((await vault.status()).state).toBe('unsealed')
    expect(await vault.fields.get('email')).toBe('ada@example.org')
    expect(await snapshot(tv.handle.db)).toEqual(before)
    await vault.lock()
    expect(await outcome(() => vault.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_FAILED')
    await vault.unlock(NEXT)
    await vault.lock()
    await vault.unlock({ recoveryKey: tv.recoveryKey })
    expect((await vault.status()).state).toBe('unsealed')
  })
})

describe('recovery keys and passphrase strength', () => {
  /** The recovery key's base32 body (after `CUSTOS`, without dashes): 54 key characters + checksum. */
  function body(recoveryKey: string): string {
    return recoveryKey.replace(/-/g, '').slice('CUSTOS'.length)
  }

  it('recovery-key typos give ERR_RECOVERY_KEY_FORMAT (from unlock and recover) and do not count as failed unlocks; case, dashes and O/0 look-alikes are forgiven', async () => {
    const tv = await newVault()
    await tv.vault.lock()
    const b = body(tv.recoveryKey)
    expect(b).toHaveLength(55)
    // Character 52 carries checksum bits only (key bits are 0–255, checksum 256–271): changing
    // it is a typo that a checksum must catch, whatever the key.
    const swapChar = (ch: string) => (ch === 'A' ? 'B' : 'A')
    const typos = [
      `CUSTOS${b.slice(0, 20)}${b.slice(21)}`, // a character dropped
      `CUSTOS${b.slice(0, 20)}7${b.slice(20)}`, // a character added
      `CUSTOS${b.slice(0, 52)}${swapChar(b[52] as string)}${b.slice(53)}`, // checksum character wrong
      `CUSTOS${b.slice(0, 10)}U${b.slice(11)}`, // U is not in the Crockford alphabet
      tv.recoveryKey.slice(0, -6),
      '',
      'correct horse battery staple',
    ]
    for (const typo of typos) {
      expect([typo, await outcome(() => tv.vault.unlock({ recoveryKey: typo }))]).toEqual([
        typo,
        'ERR_RECOVERY_KEY_FORMAT',
      ])
      expect([typo, await outcome(() => tv.vault.recover(typo, 'a brand new passphrase'))]).toEqual(
        [typo, 'ERR_RECOVERY_KEY_FORMAT'],
      )
    }
    expect((await sealedStatus(tv.vault)).failedUnlocks).toBe(0)
    const forgiving = tv.recoveryKey.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o')
    await tv.vault.unlock({ recoveryKey: forgiving })
    expect((await tv.vault.status()).state).toBe('unsealed')
  })

  it('weak passphrases — too short, or long but guessable — give ERR_WEAK_PASSPHRASE (initialize, changePassphrase, recover) and change nothing', async () => {
    /** The refusal's code and whether its message repeats the passphrase (it must not). */
    async function refused(
      call: () => Promise<unknown>,
      passphrase: string,
    ): Promise<[string, boolean]> {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      const code = err instanceof VaultError ? err.code : `not a VaultError: ${String(err)}`
      return [code, err instanceof Error && passphrase !== '' && err.message.includes(passphrase)]
    }
    const WEAK = [
      'hunter2',
      '1234567',
      'password',
      'correcthorse',
      'a'.repeat(20),
      'passwordpassword',
    ]
    const db = await createTestDatabase()
    databases.push(db)
    const fresh = await createVault({ database: db.open(), kdf: 'interactive' })
    bareVaults.push(fresh)
    for (const p of WEAK)
      expect([p, await refused(() => fresh.initialize(p), p)]).toEqual([
        p,
        ['ERR_WEAK_PASSPHRASE', false],
      ])
    expect(await fresh.status()).toEqual({ state: 'uninitialized' })

    const tv = await newVault()
    const metaBefore = await meta(tv.handle.db)
    for (const p of ['7 chars', '', ...WEAK]) {
      expect([p, await refused(() => tv.vault.changePassphrase(PASSPHRASE, p), p)]).toEqual([
        p,
        ['ERR_WEAK_PASSPHRASE', false],
      ])
      expect([p, await refused(() => tv.vault.recover(tv.recoveryKey, p), p)]).toEqual([
        p,
        ['ERR_WEAK_PASSPHRASE', false],
      ])
    }
    // Bytes are judged as the text they encode.
    expect(
      await outcome(() =>
        tv.vault.changePassphrase(PASSPHRASE, new TextEncoder().encode('a'.repeat(20))),
      ),
    ).toBe('ERR_WEAK_PASSPHRASE')
    const metaAfter = await meta(tv.handle.db)
    expect(metaAfter.wrapped_root_passphrase).toEqual(metaBefore.wrapped_root_passphrase)
    expect(metaAfter.kdf_params).toBe(metaBefore.kdf_params)
    // The refused changes came with the right passphrase or recovery key: none may count as a
    // failed unlock (five of them would otherwise throttle the owner's next unlock).
    expect(metaAfter.failed_unlocks).toBe(0)
    await tv.vault.lock()
    expect((await sealedStatus(tv.vault)).failedUnlocks).toBe(0)
    await tv.vault.unlock(PASSPHRASE)
    await tv.vault.changePassphrase(PASSPHRASE, 'fig yak quartz') // 14 characters, hard to guess: enough
    await tv.vault.lock()
    await tv.vault.unlock('fig yak quartz')
  })
})
