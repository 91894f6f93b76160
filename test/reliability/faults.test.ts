/**
 * Reliability campaign, fault injection (issue 5): the database becomes read-only, full, locked
 * by another process, refuses the audit log, or becomes unreachable, while vendors and the owner
 * keep calling. Every answer during the fault is a success or a 503 problem+json with Retry-After
 * — never a 500, never a driver message — and a vendor read that was answered has its audit
 * entry (SECURITY.md: reads are audited durably before data leaves). When the fault clears, the
 * same process serves again without a restart, every acknowledged write is there, and the audit
 * chain verifies. Runs on SQLite files and on the suite's real PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { sql } from 'kysely'
import pg from 'pg'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { type DatabaseHandle, openPostgres, openSqlite } from '@custos/vault'
import { type World, inProcessWorld } from './support/in-process-world.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const ORDER = { seller: 'Fjord Outdoor', orderDate: '2026-03-14', currency: 'EUR', total: 42 }
/** What a 503 body may never contain: driver, SQL or engine words. */
const LEAK = /sqlite|postgres|select |insert |update |relation|constraint|trigger|stack|at .*\.ts/i

/** What the probes saw, checked once the fault has cleared. */
class Ledger {
  servedReads = 0
  faults = 0
  readonly fields = new Map<string, string>()
  readonly purchases = new Set<string>()
  #n = 0

  /** One round of calls a busy server sees: vendor read and refresh, owner reads and writes, readiness. */
  async round(world: World): Promise<number[]> {
    const n = this.#n++
    const value = `probe value ${n}`
    const calls: [string, Promise<Response> | Response][] = [
      ['vendor read', world.readProfile()],
      ['refresh', world.refresh()],
      ['owner fields', world.ownerCall('GET', '/owner/fields')],
      ['owner field write', world.ownerCall('PUT', `/owner/fields/custom.probe${n}`, { value })],
      [
        'owner purchase',
        world.ownerCall('POST', '/owner/purchases', { ...ORDER, orderNumber: `P-${n}` }),
      ],
      ['owner audit', world.ownerCall('GET', '/owner/audit?limit=5')],
      ['readiness', world.app.request('/readyz')],
    ]
    const statuses: number[] = []
    for (const [what, pending] of calls) {
      const res = await pending
      const text = await res.text()
      statuses.push(res.status)
      expect(
        res.status === 503 || res.status < 500,
        `${what} → ${res.status} ${text.slice(0, 200)}`,
      ).toBe(true)
      if (res.status === 503) {
        this.faults++
        if (what !== 'readiness') {
          expect(res.headers.get('content-type'), what).toBe('application/problem+json')
          expect(res.headers.get('retry-after') ?? 'none', `${what}: ${text}`).toMatch(/^\d+$/)
        }
        expect(text, what).not.toMatch(LEAK)
        continue
      }
      expect(res.status, `${what} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(300)
      if (what === 'vendor read') {
        this.servedReads++
        expect(JSON.parse(text)).toMatchObject({ fields: { email: 'ada@example.org' } })
      }
      if (what === 'owner field write') this.fields.set(`custom.probe${n}`, value)
      if (what === 'owner purchase') this.purchases.add((JSON.parse(text) as { id: string }).id)
    }
    return statuses
  }

  /** Rounds until one is all successes: the same process recovers once the fault is gone. */
  async recovers(world: World): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const statuses = await this.round(world)
      if (statuses.every((s) => s < 300)) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('the server did not recover after the fault cleared')
  }

  /** Every acknowledged write is there; every served read was audited; the chain verifies. */
  async audit(world: World): Promise<void> {
    for (const [path, value] of this.fields)
      expect(await world.vault.fields.get(path as `custom.${string}`), path).toBe(value)
    for (const id of this.purchases) expect((await world.vault.purchases.get(id)).id).toBe(id)
    const reads = await world.vault.audit.list({
      action: 'grant.read',
      grantId: world.grantId,
      limit: 1000,
    })
    expect(reads.filter((e) => e.outcome === 'ok')).toHaveLength(this.servedReads)
    expect(await world.vault.audit.verify()).toMatchObject({ ok: true })
  }
}

/** Runs: healthy round, fault on, rounds during the fault (some 503 required), fault off, recovery, final audit. */
async function campaign(
  world: World,
  fault: { on(): Promise<void> | void; off(): Promise<void> | void; rounds?: number },
): Promise<Ledger> {
  const ledger = new Ledger()
  expect((await ledger.round(world)).every((s) => s < 300)).toBe(true)
  await fault.on()
  const before = ledger.faults
  for (let i = 0; i < (fault.rounds ?? 3); i++) await ledger.round(world)
  expect(ledger.faults - before, 'the fault was felt').toBeGreaterThan(0)
  await fault.off()
  await ledger.recovers(world)
  await ledger.audit(world)
  return ledger
}

function sqliteFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'custos-faults-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'vault.db')
}

async function sqliteWorld(file: string): Promise<{ world: World; handle: DatabaseHandle }> {
  const handle = openSqlite(file)
  const world = await inProcessWorld(handle)
  cleanups.push(() => world.vault.close())
  return { world, handle }
}

describe('fault injection on SQLite', () => {
  it('read-only database (PRAGMA query_only): writes and vendor reads 503, recovery without restart', async () => {
    const { world, handle } = await sqliteWorld(sqliteFile())
    const ledger = await campaign(world, {
      on: () => sql`pragma query_only = on`.execute(handle.db).then(() => undefined),
      off: () => sql`pragma query_only = off`.execute(handle.db).then(() => undefined),
    })
    expect(ledger.fields.size).toBeGreaterThan(0)
  })

  it('full disk (max_page_count reached): 503 until space is back', async () => {
    const file = sqliteFile()
    const { world, handle } = await sqliteWorld(file)
    const pages = async () =>
      Number(
        (await sql<{ page_count: number }>`pragma page_count`.execute(handle.db)).rows[0]
          ?.page_count,
      )
    await campaign(world, {
      // Each round writes new rows; 12 rounds of 1 KiB notes outgrow any free space left in the pages.
      on: async () =>
        void (await sql.raw(`pragma max_page_count = ${await pages()}`).execute(handle.db)),
      off: async () =>
        void (await sql.raw('pragma max_page_count = 1073741823').execute(handle.db)),
      rounds: 12,
    })
  })

  // Each write waits out SQLite's 5 s busy_timeout before failing: the slowest case here.
  it('locked by another process (a writer holding the lock past busy_timeout): 503, then served again', {
    timeout: 180_000,
  }, async () => {
    const file = sqliteFile()
    const { world } = await sqliteWorld(file)
    const other = new BetterSqlite3(file)
    cleanups.push(() => void other.close())
    await campaign(world, {
      on: () => void other.exec('begin immediate'),
      off: () => void other.exec('rollback'),
      rounds: 1,
    })
  })

  it('audit log refuses writes (a trigger aborts every insert): no vendor data leaves without its entry', async () => {
    const file = sqliteFile()
    const { world } = await sqliteWorld(file)
    const other = new BetterSqlite3(file)
    cleanups.push(() => void other.close())
    const ledger = await campaign(world, {
      on: () =>
        void other.exec(
          `create trigger audit_fault before insert on audit begin select raise(abort, 'injected fault'); end`,
        ),
      off: () => void other.exec('drop trigger audit_fault'),
    })
    expect(ledger.servedReads).toBeGreaterThan(0)
  })
})

describe('fault injection on PostgreSQL', () => {
  /**
   * A role and schema of the test's own, so the faults (set on the role) touch nobody else on
   * the shared server; the vault opens with a connection string like `custos serve` does.
   */
  async function postgresWorld(): Promise<{ world: World; admin: pg.Client; role: string }> {
    const url = new URL(inject('postgresUrl'))
    const role = `fault_${process.pid}_${Date.now().toString(36)}`
    const admin = new pg.Client({ connectionString: url.href })
    await admin.connect()
    await admin.query(`create role ${role} login`)
    await admin.query(`create schema ${role} authorization ${role}`)
    await admin.query(`alter role ${role} set search_path = ${role}`)
    const own = new URL(url.href)
    own.username = role
    const handle = openPostgres({ connectionString: own.href, max: 4 })
    const world = await inProcessWorld(handle)
    cleanups.push(async () => {
      await world.vault.close().catch(() => undefined)
      await admin.query(`alter role ${role} login`)
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`,
        [role],
      )
      await admin.query(`drop schema ${role} cascade`)
      await admin.query(`drop role ${role}`)
      await admin.end()
    })
    return { world, admin, role }
  }

  const terminate = (admin: pg.Client, role: string) =>
    admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`, [role])

  it('read-only database (default_transaction_read_only, connections cut): 503, recovery without restart', async () => {
    const { world, admin, role } = await postgresWorld()
    await campaign(world, {
      on: async () => {
        await admin.query(`alter role ${role} set default_transaction_read_only = on`)
        await terminate(admin, role)
      },
      off: async () => {
        await admin.query(`alter role ${role} reset default_transaction_read_only`)
        await terminate(admin, role)
      },
    })
  })

  it('database unreachable (connections cut and refused): 503 on every data route, served again when it returns', async () => {
    const { world, admin, role } = await postgresWorld()
    const ledger = await campaign(world, {
      on: async () => {
        await admin.query(`alter role ${role} nologin`)
        await terminate(admin, role)
      },
      off: () => admin.query(`alter role ${role} login`).then(() => undefined),
    })
    expect(ledger.purchases.size).toBeGreaterThan(0)
  })
})
