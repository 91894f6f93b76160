/**
 * SECURITY.md promises 10 (key rotation online and resumable), 11 (no acknowledged write lost
 * to SIGKILL) and 12 (consistent, verified, refusable backups; a restore drill on a fresh
 * database).
 *
 * The SIGKILL tests run a writer in a child process (test/support/crash-worker.ts) that prints
 * one line per acknowledged write, kill it with SIGKILL and reopen the SQLite file here; they
 * are SQLite-only because they kill the process that owns the database file. Everything else
 * runs on both engines.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type AuditEntry,
  type Credentials,
  type DatabaseHandle,
  type OrderInput,
  type Vault,
  type VaultExport,
  VaultError,
  createVault,
} from '../../src/index.js'
import type { CrashLine, CrashOrder, CrashWorkerConfig } from '../support/crash-worker.js'
import {
  PASSPHRASE,
  type TestDatabase,
  createTestDatabase,
  createTestVault,
  engine,
} from '../support/test-vault.js'

const WORKER = fileURLToPath(new URL('../support/crash-worker.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

const children = new Set<ChildProcess>()
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
  }
  children.clear()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

/** A fresh database, disposed after the test. */
async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase()
  cleanups.push(() => db.dispose())
  return db
}

/** A vault on a new handle of `db`; closed after the test unless closed before. */
async function openVault(db: TestDatabase): Promise<{ vault: Vault; handle: DatabaseHandle }> {
  const handle = db.open()
  const vault = await createVault({ database: handle, kdf: 'interactive' })
  cleanups.push(() => vault.close())
  return { vault, handle }
}

/** The export without what legitimately differs between two exports of the same data. */
function comparable(doc: VaultExport): Omit<VaultExport, 'exportedAt' | 'audit'> {
  const { exportedAt: _exportedAt, audit: _audit, ...rest } = doc
  return rest
}

const TABLES = [
  'vault_meta',
  'keyring',
  'fields',
  'purchases',
  'vendors',
  'grants',
  'audit',
] as const

/** Every row of every table, bytes as hex, in a stable order: "untouched" means this is equal. */
async function rawSnapshot(handle: DatabaseHandle): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const table of TABLES) {
    const rows = (await handle.db.selectFrom(table).selectAll().execute()) as Record<
      string,
      unknown
    >[]
    out[table] = rows
      .map((row) =>
        JSON.stringify(
          Object.fromEntries(
            Object.entries(row).map(([k, v]) => [
              k,
              v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : v,
            ]),
          ),
        ),
      )
      .sort()
  }
  return out
}

async function allAudit(vault: Vault): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = []
  for (let before: number | undefined; ; ) {
    const page = await vault.audit.list({ limit: 1000, ...(before ? { before } : {}) })
    entries.push(...page)
    if (page.length < 1000) return entries
    before = page[page.length - 1]?.seq
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'resolved'
  } catch (err) {
    return err instanceof VaultError ? err.code : `not a VaultError: ${String(err)}`
  }
}

// ---------------------------------------------------------------------------------------------
// The child process
// ---------------------------------------------------------------------------------------------

interface WorkerRun {
  readonly lines: CrashLine[]
  readonly signal: NodeJS.Signals | null
  readonly code: number | null
  readonly stderr: string
}

/**
 * Runs the crash worker and SIGKILLs it once `killWhen` says so (given every line so far), or
 * `afterReadyMs` after it reported ready. Resolves when the process and its pipes are closed,
 * so every line it printed has been read.
 */
function runWorker(
  config: CrashWorkerConfig,
  kill: { afterReadyMs?: number; killWhen?: (lines: readonly CrashLine[]) => boolean },
): Promise<WorkerRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  const lines: CrashLine[] = []
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const killNow = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  // Never wait forever on a worker that hangs before it is ready.
  const guard = setTimeout(killNow, 30_000)
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as CrashLine
    lines.push(line)
    if (line.type === 'ready' && kill.afterReadyMs !== undefined)
      setTimeout(killNow, kill.afterReadyMs)
    if (kill.killWhen?.(lines)) killNow()
  })
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      children.delete(child)
      resolve({ lines, signal, code, stderr })
    })
  })
}

/** What the killed writers were told was stored, accumulated over rounds on one vault. */
class Ledger {
  readonly fields = new Map<string, string>()
  readonly purchases = new Map<string, CrashOrder>()
  readonly grants = new Map<
    string,
    { fields: string[]; revision: number; revoked: boolean; read: boolean }
  >()
  counterPath = ''
  lastCounterAck: number | undefined
  lastCounterAttempt: number | undefined
  acks = 0
  nextStart = 0

  record(lines: readonly CrashLine[]): void {
    for (const line of lines) {
      switch (line.type) {
        case 'field':
          this.fields.set(line.path, line.value)
          this.nextStart = Math.max(
            this.nextStart,
            Math.floor(Number(line.path.split('.n')[1]) / 3) + 1,
          )
          break
        case 'counter-attempt':
          this.counterPath = line.path
          this.lastCounterAttempt = line.value
          this.nextStart = Math.max(this.nextStart, line.value + 1)
          continue
        case 'counter':
          this.lastCounterAck = line.value
          break
        case 'purchase':
          this.purchases.set(line.id, line.order)
          break
        case 'grant-created':
          this.grants.set(line.id, {
            fields: line.fields,
            revision: 1,
            revoked: false,
            read: false,
          })
          break
        case 'grant-narrowed':
          Object.assign(this.grants.get(line.id) ?? {}, {
            fields: line.fields,
            revision: line.revision,
          })
          break
        case 'grant-read':
          Object.assign(this.grants.get(line.id) ?? {}, { read: true })
          break
        case 'grant-revoked':
          Object.assign(this.grants.get(line.id) ?? {}, { revoked: true })
          break
        default:
          continue
      }
      this.acks++
    }
  }

  /** Every acknowledged write is in `vault`, with its value. */
  async check(vault: Vault): Promise<void> {
    const stored = new Map(
      (await vault.fields.list(['custom.crash.*'])).map((f) => [f.path as string, f.value]),
    )
    for (const [path, value] of this.fields) expect(stored.get(path), path).toBe(value)

    // The overwritten counter holds the last acknowledged value or a later attempted one.
    if (this.lastCounterAttempt !== undefined) {
      const counter = stored.get(this.counterPath)
      if (this.lastCounterAck === undefined)
        expect(
          counter === undefined ||
            (typeof counter === 'number' && counter <= this.lastCounterAttempt),
        ).toBe(true)
      else {
        expect(counter).toBeTypeOf('number')
        expect(counter as number).toBeGreaterThanOrEqual(this.lastCounterAck)
        expect(counter as number).toBeLessThanOrEqual(this.lastCounterAttempt)
      }
    }

    for (const [id, order] of this.purchases)
      expect(await vault.purchases.get(id)).toMatchObject(order)

    const grants = new Map((await vault.grants.list()).map((g) => [g.id, g]))
    const audit = await allAudit(vault)
    const created = new Set(audit.filter((e) => e.action === 'grant.created').map((e) => e.grantId))
    const read = new Set(audit.filter((e) => e.action === 'grant.read').map((e) => e.grantId))
    for (const [id, acked] of this.grants) {
      const grant = grants.get(id)
      expect(grant, id).toBeDefined()
      expect(grant?.revision).toBeGreaterThanOrEqual(acked.revision)
      if (acked.revision > 1) expect(grant?.fields).toEqual(acked.fields)
      if (acked.revoked) expect(grant?.status).toBe('revoked')
      expect(created.has(id)).toBe(true)
      // A read acknowledged to the vendor has its audit entry (promise 19 meets promise 11).
      if (acked.read) expect(read.has(id)).toBe(true)
    }
  }
}

describe.skipIf(engine !== 'sqlite')(
  'durability under SIGKILL (SQLite file, child process)',
  () => {
    it('promise 11: SIGKILL at random moments loses no acknowledged write; the file passes integrity_check, unlocks, and the audit chain verifies', async () => {
      const db = await freshDatabase()
      const file = db.file as string
      const setup = await openVault(db)
      await setup.vault.initialize(PASSPHRASE)
      const vendor = await setup.vault.vendors.register({ name: 'Crash Outdoor' })
      await setup.vault.close()

      const ledger = new Ledger()
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 200, max: 1500 }), async (afterReadyMs) => {
          const run = await runWorker(
            {
              file,
              passphrase: PASSPHRASE,
              mode: 'writes',
              start: ledger.nextStart,
              vendorId: vendor.id,
            },
            { afterReadyMs },
          )
          // Killed by us while writing, not dead of its own error.
          expect(run.signal, run.stderr).toBe('SIGKILL')
          expect(run.lines[0]?.type).toBe('ready')
          ledger.record(run.lines)

          const { vault, handle } = await openVault(db)
          expect(await handle.integrityCheck()).toBe(true)
          await vault.unlock(PASSPHRASE)
          await ledger.check(vault)
          expect(await vault.audit.verify()).toMatchObject({ ok: true })
          await vault.close()
        }),
        { numRuns: 5, endOnFailure: true },
      )
      // The rounds really wrote: hundreds of acknowledged writes of every kind were checked.
      expect(ledger.acks).toBeGreaterThan(100)
      expect(ledger.purchases.size).toBeGreaterThan(5)
      expect([...ledger.grants.values()].filter((g) => g.read && g.revoked).length).toBeGreaterThan(
        2,
      )
    })

    it('promise 10: SIGKILL at random points of rotateKeys leaves a vault that unlocks with every record intact; rotating again completes and retires the old terms', async () => {
      const db = await freshDatabase()
      const file = db.file as string
      const setup = await openVault(db)
      const { vault: v0 } = setup
      await v0.initialize(PASSPHRASE)
      await seedEveryKind(v0, { fields: 200, vendors: 30, purchases: 200, grants: 120 })
      const baseline = comparable(await v0.exportJson())
      await v0.close()

      let interrupted = 0
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            { arbitrary: fc.constant(-1), weight: 1 },
            { arbitrary: fc.double({ min: 0, max: 0.9, noNaN: true }), weight: 4 },
          ),
          async (fraction) => {
            // -1: kill as soon as it is unlocked (inside the first transaction or before it);
            // otherwise once the reported progress passes `fraction` of the records to move.
            const run = await runWorker(
              { file, passphrase: PASSPHRASE, mode: 'rotate', batchSize: 5 },
              {
                killWhen: (lines) => {
                  const last = lines[lines.length - 1]
                  if (fraction < 0) return last?.type === 'ready'
                  return last?.type === 'rotation-progress' && last.done >= fraction * last.total
                },
              },
            )
            // Killed by us, or finished the rotation before the kill landed; never failed on its own.
            expect(run.signal === 'SIGKILL' || run.code === 0, run.stderr).toBe(true)
            const progress = run.lines.filter((l) => l.type === 'rotation-progress')
            const finished = run.lines.some((l) => l.type === 'rotation-done')
            const last = progress[progress.length - 1]

            const { vault, handle } = await openVault(db)
            expect(await handle.integrityCheck()).toBe(true)
            await vault.unlock(PASSPHRASE)
            const status = await vault.status()
            if (finished)
              expect(status).toMatchObject({ state: 'unsealed', rotationPending: false })
            else if (last && last.done < last.total) {
              // Killed with records still to move: the rotation is recorded as pending.
              expect(status).toMatchObject({
                state: 'unsealed',
                rotationPending: true,
                currentTerm: last.term,
              })
              interrupted++
            }
            expect(comparable(await vault.exportJson())).toEqual(baseline)
            expect(await vault.audit.verify()).toMatchObject({ ok: true })
            await vault.close()
          },
        ),
        // The examples make sure a long rotation is cut early and one is cut before it starts.
        { numRuns: 4, endOnFailure: true, examples: [[0.3], [-1]] },
      )
      expect(interrupted).toBeGreaterThan(0)

      const { vault, handle } = await openVault(db)
      await vault.unlock(PASSPHRASE)
      const result = await vault.rotateKeys()
      expect(await vault.status()).toMatchObject({
        state: 'unsealed',
        rotationPending: false,
        currentTerm: result.term,
      })
      await expectRotatedTo(handle, result.term)
      expect(comparable(await vault.exportJson())).toEqual(baseline)
      expect(await vault.audit.verify()).toMatchObject({ ok: true })

      // And after a restart the retired terms are not needed: everything opens with the new one.
      await vault.close()
      const again = await openVault(db)
      await again.vault.unlock(PASSPHRASE)
      expect(comparable(await again.vault.exportJson())).toEqual(baseline)
    })
  },
)

/** Fields, vendors, purchases and grants (some narrowed, some revoked), all on the current term. */
async function seedEveryKind(
  vault: Vault,
  n: { fields: number; vendors: number; purchases: number; grants: number },
): Promise<void> {
  const values: Record<string, unknown> = { email: 'ada@example.org', 'name.given': 'Ada' }
  for (let i = 0; i < n.fields; i++)
    values[`custom.seed.n${i}`] =
      i % 3 === 0 ? i : `seed value ${i} ${randomBytes(4).toString('hex')}`
  await vault.fields.setMany(values)
  const vendors = []
  for (let i = 0; i < n.vendors; i++)
    vendors.push(
      await vault.vendors.register({ name: `Vendor ${i}`, uri: `https://vendor${i}.example` }),
    )
  const orders: OrderInput[] = []
  for (let i = 0; i < n.purchases; i++) {
    orders.push({
      seller: `Seller ${i % 13}`,
      orderDate: `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
      currency: 'EUR',
      total: i * 1.25,
      category: i % 2 === 0 ? 'outdoor' : 'books',
      items: [{ name: `Thing ${i}`, quantity: 1, price: i * 1.25 }],
      notes: `note ${i} ${'x'.repeat(150)}`,
    })
  }
  await vault.purchases.addMany(orders.slice(0, n.purchases / 2))
  await vault.purchases.addMany(orders.slice(n.purchases / 2), {
    vendorId: (vendors[0] as { id: string }).id,
  })
  for (let i = 0; i < n.grants; i++) {
    const vendorId = (vendors[i % vendors.length] as { id: string }).id
    const grant = await vault.grants.create({
      vendorId,
      fields: ['custom.seed.*', 'email'],
      purchases: { madeWithVendor: true },
      actions: ['read'],
      purpose: `Grant ${i}`,
      durationSeconds: 86_400,
    })
    if (i % 3 === 1) await vault.grants.narrow(grant.id, { fields: ['email'] })
    if (i % 5 === 2) await vault.grants.revoke(grant.id)
  }
}

/** Every record is on `term`; every older term is retired (crypto-erased), the current one is not. */
async function expectRotatedTo(handle: DatabaseHandle, term: number): Promise<void> {
  for (const table of ['fields', 'purchases', 'vendors', 'grants'] as const) {
    const terms = await handle.db.selectFrom(table).select('term').distinct().execute()
    expect(
      terms.map((r) => Number(r.term)).filter((t) => t !== term),
      table,
    ).toEqual([])
  }
  const keyring = await handle.db.selectFrom('keyring').selectAll().orderBy('term').execute()
  expect(keyring.length).toBeGreaterThan(1)
  for (const row of keyring) {
    if (Number(row.term) < term) {
      expect(row.wrapped_key, `term ${row.term}`).toBeNull()
      expect(row.retired_at, `term ${row.term}`).not.toBeNull()
    } else {
      expect(Number(row.term)).toBe(term)
      expect(row.wrapped_key).not.toBeNull()
      expect(row.retired_at).toBeNull()
    }
  }
}

describe('online key rotation', () => {
  it('promise 10: concurrent fields.set calls during rotateKeys all survive, and writes after the rotation use the new term', async () => {
    const tv = await createTestVault()
    cleanups.push(() => tv.dispose())
    const { vault } = tv
    const seeded: Record<string, string> = {}
    for (let i = 0; i < 300; i++) seeded[`custom.seed.n${i}`] = `seed ${i}`
    await vault.fields.setMany(seeded)
    const before = await vault.status()
    if (before.state !== 'unsealed') throw new Error('expected an unsealed vault')

    const expected = new Map<string, string>(Object.entries(seeded))
    let rotating = true
    let progressReports = 0
    let writesDuringRotation = 0
    const rotation = vault
      .rotateKeys({ batchSize: 10, onProgress: () => progressReports++ })
      .finally(() => (rotating = false))
    // Writers of new paths, and an overwriter of seeded paths the rotation is re-encrypting.
    const writer = async (w: number) => {
      for (let j = 0; rotating || j < 3; j++) {
        const path = w === 0 ? `custom.seed.n${(j * 7) % 300}` : `custom.online.w${w}.n${j}`
        const value = `w${w} write ${j}`
        const reportsBefore = progressReports
        await vault.fields.set(path as `custom.${string}`, value)
        expected.set(path, value)
        if (rotating && reportsBefore > 0) writesDuringRotation++
      }
    }
    const [result] = await Promise.all([rotation, writer(0), writer(1), writer(2), writer(3)])
    expect(result.term).toBe(before.currentTerm + 1)
    expect(result.retiredTerms).toEqual([before.currentTerm])
    // The writes really overlapped the re-encryption.
    expect(writesDuringRotation).toBeGreaterThan(5)

    const stored = new Map(
      (await vault.fields.list(['custom.*'])).map((f) => [f.path as string, f.value]),
    )
    expect(stored).toEqual(expected)

    await vault.fields.set('custom.after.rotation', 'new term')
    await vault.purchases.add({
      seller: 'After',
      orderDate: '2026-02-01',
      currency: 'EUR',
      total: 1,
    })
    await expectRotatedTo(tv.handle, result.term)
    expect(await vault.status()).toMatchObject({ currentTerm: result.term, rotationPending: false })

    const reopened = await tv.reopen()
    await reopened.unlock(PASSPHRASE)
    const afterRestart = new Map(
      (await reopened.fields.list(['custom.*'])).map((f) => [f.path as string, f.value]),
    )
    expect(afterRestart).toEqual(new Map([...expected, ['custom.after.rotation', 'new term']]))
    expect(await reopened.audit.verify()).toMatchObject({ ok: true })
  })
})

// ---------------------------------------------------------------------------------------------
// Backups (promise 12), on both engines
// ---------------------------------------------------------------------------------------------

interface Backup {
  readonly bytes: Uint8Array
  /** Offsets where the writer's chunks end: prefix, stream header, then each frame. */
  readonly boundaries: number[]
}

async function takeBackup(
  vault: Vault,
  between?: (chunkIndex: number) => Promise<void>,
): Promise<Backup> {
  const chunks: Uint8Array[] = []
  const boundaries: number[] = []
  let length = 0
  for await (const chunk of vault.backup()) {
    chunks.push(chunk)
    length += chunk.length
    boundaries.push(length)
    await between?.(chunks.length - 1)
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks)), boundaries }
}

function withByte(bytes: Uint8Array, at: number, mask: number): Uint8Array {
  const out = bytes.slice()
  out[at] = (out[at] as number) ^ mask
  return out
}

describe('backups', () => {
  it('promise 12: a backup taken while the vault is written is one consistent snapshot that restores with a verified audit chain and every record decrypting', async () => {
    const tv = await createTestVault()
    cleanups.push(() => tv.dispose())
    const { vault } = tv
    await seedEveryKind(vault, { fields: 40, vendors: 4, purchases: 40, grants: 6 })
    const vendorId = (await vault.vendors.list())[0]?.id as string

    // Three sequential writers: each one's writes are ordered, so any consistent snapshot holds
    // a prefix of each. `started[w]` counts writes begun, `acked[w]` writes acknowledged.
    const WRITERS = 3
    const started = [0, 0, 0]
    const acked = [0, 0, 0]
    const values = new Map<string, string>()
    let stop = false
    const writer = async (w: number) => {
      while (!stop) {
        const j = started[w] as number
        started[w] = j + 1
        if (w === 2) {
          // Grants: a second table, and audited in the same transaction.
          await vault.grants.create({
            vendorId,
            fields: [`custom.bk.w${w}.n${j}`],
            actions: ['read'],
            purpose: `backup ${j}`,
            durationSeconds: 3600,
          })
        } else {
          const value = `w${w}-${j}-${randomBytes(4).toString('hex')}`
          values.set(`custom.bk.w${w}.n${j}`, value)
          await vault.fields.set(`custom.bk.w${w}.n${j}`, value)
        }
        acked[w] = (acked[w] as number) + 1
        // better-sqlite3 answers synchronously, so without this the writers would starve timers.
        await new Promise((r) => setImmediate(r))
      }
    }
    const running = [0, 1, 2].map(writer)
    cleanups.push(() => {
      stop = true
      return Promise.allSettled(running)
    })
    const waitForWrites = async (n: number) => {
      const target = acked.map((a) => a + n)
      const deadline = Date.now() + 20_000
      while (acked.some((a, w) => a < (target[w] as number))) {
        if (Date.now() > deadline) throw new Error('the writers stalled')
        await new Promise((r) => setTimeout(r, 2))
      }
    }
    await waitForWrites(3)

    const ackedBeforeBackup = [...acked]
    let startedAtSnapshot: number[] = []
    const backup = await takeBackup(vault, async (chunk) => {
      // The snapshot is taken before the first chunk; keep writing while the rest streams out.
      if (chunk === 0) {
        startedAtSnapshot = [...started]
        await waitForWrites(2)
      }
    })
    stop = true
    await Promise.all(running)
    // Writes committed after the snapshot, while the backup was still streaming.
    expect(acked.every((a, w) => a > (startedAtSnapshot[w] as number))).toBe(true)

    const fresh = await freshDatabase()
    const { vault: restored } = await openVault(fresh)
    expect(await restored.status()).toEqual({ state: 'uninitialized' })
    await restored.restore(backup.bytes, { recoveryKey: tv.recoveryKey })
    expect(await restored.audit.verify()).toMatchObject({ ok: true })
    // Every record decrypts (the export opens every envelope).
    const doc = await restored.exportJson()
    expect(doc.purchases).toHaveLength(40)

    const fields = new Map(Object.entries(doc.fields))
    const grantIds = new Set(doc.grants.map((g) => g.id))
    const grantPaths = doc.grants
      .filter((g) => g.purpose.startsWith('backup '))
      .map((g) => g.fields[0] as string)
    for (let w = 0; w < WRITERS; w++) {
      const present =
        w === 2
          ? grantPaths.map((p) => Number(p.split('.n')[1])).sort((a, b) => a - b)
          : [...fields.keys()]
              .filter((p) => p.startsWith(`custom.bk.w${w}.`))
              .map((p) => Number(p.split('.n')[1]))
              .sort((a, b) => a - b)
      // A prefix: writes 0..k-1, nothing after a gap.
      expect(present, `writer ${w}`).toEqual(present.map((_, i) => i))
      expect(present.length).toBeGreaterThanOrEqual(ackedBeforeBackup[w] as number)
      expect(present.length).toBeLessThanOrEqual(startedAtSnapshot[w] as number)
      if (w !== 2)
        for (const j of present)
          expect(fields.get(`custom.bk.w${w}.n${j}`)).toBe(values.get(`custom.bk.w${w}.n${j}`))
    }
    // Grants and their audit entries come from the same instant: each grant has its
    // grant.created entry and no entry names a grant that is missing.
    const createdInLog = new Set(
      doc.audit.filter((e) => e.action === 'grant.created').map((e) => e.grantId),
    )
    expect(createdInLog).toEqual(grantIds)
  })

  it('promise 12: a restore drill into a fresh empty database, with the passphrase or the recovery key, gives an identical vault; the backup holds no plaintext', async () => {
    const tv = await createTestVault()
    cleanups.push(() => tv.dispose())
    const { vault } = tv
    await seedEveryKind(vault, { fields: 30, vendors: 3, purchases: 30, grants: 5 })
    const canary = `canary-${randomBytes(16).toString('hex')}`
    await vault.fields.set('custom.canary', canary)
    const backup = await takeBackup(vault)
    const original = comparable(await vault.exportJson())

    const raw = Buffer.from(backup.bytes)
    const needle = Buffer.from(canary, 'utf8')
    for (const form of [
      needle,
      Buffer.from(needle.toString('hex')),
      Buffer.from(needle.toString('hex').toUpperCase()),
      Buffer.from(needle.toString('base64')),
      Buffer.from(needle.toString('base64url')),
    ]) {
      expect(raw.indexOf(form), form.toString()).toBe(-1)
    }

    for (const credentials of [PASSPHRASE, { recoveryKey: tv.recoveryKey }] as const) {
      const fresh = await freshDatabase()
      const { vault: restored } = await openVault(fresh)
      expect(await restored.status()).toEqual({ state: 'uninitialized' })
      await restored.restore(backup.bytes, credentials)
      expect(comparable(await restored.exportJson())).toEqual(original)
      expect(await restored.fields.get('custom.canary')).toBe(canary)
      expect(await restored.audit.verify()).toMatchObject({ ok: true })

      // The restored folder is a vault of its own: it survives a restart and opens with the passphrase.
      await restored.close()
      const again = await openVault(fresh)
      await again.vault.unlock(PASSPHRASE)
      expect(comparable(await again.vault.exportJson())).toEqual(original)
    }
  })

  it('promise 12: a truncated or altered backup, a wrong passphrase, or a sealed target is refused and the existing vault is left untouched', async () => {
    const source = await createTestVault()
    cleanups.push(() => source.dispose())
    // Enough data for several frames (64 KiB each), so there are frame boundaries to cut at.
    await seedEveryKind(source.vault, { fields: 60, vendors: 4, purchases: 260, grants: 8 })
    const backup = await takeBackup(source.vault)
    const { bytes, boundaries } = backup
    const original = comparable(await source.vault.exportJson())
    expect(boundaries.length).toBeGreaterThanOrEqual(5) // prefix, stream header, ≥ 3 frames
    const headerEnd = boundaries[0] as number
    const frameStarts = boundaries.slice(1, -1)

    // The vault a bad restore would replace: different data, unsealed.
    const target = await createTestVault()
    cleanups.push(() => target.dispose())
    await target.vault.fields.set('custom.target', 'keep me')
    await target.vault.purchases.add({
      seller: 'Target',
      orderDate: '2026-03-01',
      currency: 'EUR',
      total: 3,
    })
    const untouched = await rawSnapshot(target.handle)
    const recovery = { recoveryKey: source.recoveryKey }

    const refusedCodes = new Map<string, number>()
    const expectRefused = async (
      bad: Uint8Array,
      allowed: readonly string[],
      label: string,
      credentials: Credentials = recovery,
    ) => {
      const code = await codeOf(target.vault.restore(bad, credentials))
      expect(allowed, `${label}: ${code}`).toContain(code)
      refusedCodes.set(code, (refusedCodes.get(code) ?? 0) + 1)
    }

    // Truncation: at every chunk boundary (exactly before the final frame among them), at
    // fixed points, and at random offsets.
    const cuts = new Set([
      0,
      1,
      8,
      9,
      12,
      headerEnd - 1,
      headerEnd,
      headerEnd + 23,
      headerEnd + 24,
      headerEnd + 27,
      ...boundaries.slice(0, -1),
      bytes.length - 1,
    ])
    for (const cut of cuts)
      await expectRefused(bytes.slice(0, cut), ['ERR_BACKUP_INVALID'], `cut at ${cut}`)
    expect(cuts.has(boundaries[boundaries.length - 2] as number)).toBe(true)
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), async (cut) => {
        await expectRefused(bytes.slice(0, cut), ['ERR_BACKUP_INVALID'], `cut at ${cut}`)
      }),
      { numRuns: 25 },
    )

    // Alteration: magic, version, header length, header JSON, stream header, every frame's
    // length field, first and last byte, then random positions and masks.
    const positions = [
      0,
      7,
      8,
      9,
      10,
      11,
      12,
      13,
      Math.floor((13 + headerEnd) / 2),
      headerEnd - 1,
      headerEnd,
      headerEnd + 12,
      headerEnd + 23,
    ]
    for (const start of frameStarts)
      positions.push(start, start + 1, start + 2, start + 3, start + 4, start + 40)
    for (const end of boundaries.slice(2)) positions.push(end - 1)
    const allowedAt = (at: number) =>
      at < headerEnd ? ['ERR_BACKUP_INVALID', 'ERR_UNLOCK_FAILED'] : ['ERR_BACKUP_INVALID']
    for (const at of positions)
      await expectRefused(withByte(bytes, at, 0x01), allowedAt(at), `flip at ${at}`)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, mask) => {
          await expectRefused(withByte(bytes, at, mask), allowedAt(at), `xor ${mask} at ${at}`)
        },
      ),
      { numRuns: 25 },
    )
    // Frames dropped, repeated or reordered, and bytes after the final frame.
    const [f0, f1] = [frameStarts[0] as number, frameStarts[1] as number]
    const f2 = frameStarts[2] as number
    const splice = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))
    await expectRefused(
      splice(bytes.subarray(0, f0), bytes.subarray(f1)),
      ['ERR_BACKUP_INVALID'],
      'first frame dropped',
    )
    await expectRefused(
      splice(bytes.subarray(0, f1), bytes.subarray(f0, f1), bytes.subarray(f1)),
      ['ERR_BACKUP_INVALID'],
      'frame repeated',
    )
    await expectRefused(
      splice(
        bytes.subarray(0, f0),
        bytes.subarray(f1, f2),
        bytes.subarray(f0, f1),
        bytes.subarray(f2),
      ),
      ['ERR_BACKUP_INVALID'],
      'frames swapped',
    )
    await expectRefused(
      splice(bytes, new Uint8Array([0, 0, 0, 0])),
      ['ERR_BACKUP_INVALID'],
      'trailing bytes',
    )
    // The header's wraps, with the passphrase (one Argon2 run each).
    await expectRefused(
      withByte(bytes, headerEnd - 5, 0x02),
      ['ERR_BACKUP_INVALID', 'ERR_UNLOCK_FAILED'],
      'header end, passphrase',
      PASSPHRASE,
    )
    await expectRefused(
      withByte(bytes, headerEnd + 100, 0x80),
      ['ERR_BACKUP_INVALID'],
      'first frame, passphrase',
      PASSPHRASE,
    )
    await expectRefused(
      bytes.slice(0, boundaries[boundaries.length - 2]),
      ['ERR_BACKUP_INVALID'],
      'final frame cut off, passphrase',
      PASSPHRASE,
    )
    expect(refusedCodes.get('ERR_BACKUP_INVALID')).toBeGreaterThan(50)

    expect(await codeOf(target.vault.restore(bytes, 'not the passphrase at all'))).toBe(
      'ERR_UNLOCK_FAILED',
    )
    expect(await codeOf(target.vault.restore(bytes, { passphrase: `${PASSPHRASE}!` }))).toBe(
      'ERR_UNLOCK_FAILED',
    )

    // Nothing of the target changed, byte for byte.
    expect(await rawSnapshot(target.handle)).toEqual(untouched)
    expect(await target.vault.fields.get('custom.target')).toBe('keep me')

    // A sealed vault is not replaced, even with the right credentials. Locking writes its own
    // entry (vault.locked, and the head that now ends on it); nothing else changes, then or after.
    await target.vault.lock()
    const sealed = await rawSnapshot(target.handle)
    expect({ ...sealed, audit: untouched.audit, vault_meta: untouched.vault_meta }).toEqual(
      untouched,
    )
    expect((sealed.audit ?? []).filter((row) => !untouched.audit?.includes(row))).toEqual([
      expect.stringContaining('vault.locked'),
    ])
    expect(await codeOf(target.vault.restore(bytes, PASSPHRASE))).toBe('ERR_VAULT_LOCKED')
    expect(await codeOf(target.vault.restore(bytes, recovery))).toBe('ERR_VAULT_LOCKED')
    expect(await rawSnapshot(target.handle)).toEqual(sealed)

    // Control: the very same bytes, unaltered, do restore over the (unsealed) target.
    await target.vault.unlock(PASSPHRASE)
    await target.vault.restore(bytes, recovery)
    expect(comparable(await target.vault.exportJson())).toEqual(original)
    expect(await target.vault.fields.get('custom.target' as `custom.${string}`)).toBeUndefined()
  })
})
