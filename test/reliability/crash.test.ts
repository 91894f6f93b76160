/**
 * Reliability campaign, crash (issue 5; SECURITY.md promise 11, durability): a real `custos serve`
 * on a SQLite file is killed with SIGKILL at random moments while the owner writes fields and
 * purchases, vendors append receipts and read, new vendors get grants through the consent flow,
 * and keys rotate or a backup streams. After each kill the same data folder is served again; at
 * the end the file passes `PRAGMA integrity_check`, every write that was acknowledged (a 2xx
 * reached the client) is there, every acknowledged backup restores, and the audit chain verifies.
 *
 * Kill moments come from a seeded generator; the seed is in every failure message. 20 kills in the
 * default suite (each after 0.3–1.3 s of load), 200 with CUSTOS_LONG=1 (each after 0.6–2.4 s).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createVault, openSqlite } from '@custos/vault'
import { type ServerProcess, freePort, initVault, startServer } from '../support/server-process.js'
import { LOAD_TEST_LIMITS } from '../support/load-test-limits.js'
import { recordFigures } from './support/figures.js'
import { seeded } from './support/seeded.js'
import { OwnerBrowser, authorizeVendor, discover, registerVendor } from './support/vendor-flow.js'

const PASSPHRASE = 'crash me if you can, the disk remembers'
const LONG = process.env.CUSTOS_LONG === '1'
const ROUNDS = LONG ? 200 : 20
const SEED = Number(process.env.CUSTOS_CRASH_SEED ?? Date.now() % 2 ** 31)

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** What the server acknowledged: each must survive every crash. */
interface Acknowledged {
  readonly fields: Map<string, string>
  readonly purchases: Set<string>
  readonly receipts: Set<string>
  readonly grantsForVendor: Set<string>
  readonly backups: Buffer[]
  reads: number
}

/** Runs `step` until it throws (the server died) or `stop()` says so; a non-2xx answer is a failure. */
async function until(stopped: () => boolean, step: (k: number) => Promise<void>): Promise<void> {
  for (let k = 0; !stopped(); k++) {
    try {
      await step(k)
    } catch (err) {
      if (
        err instanceof TypeError ||
        (err as { code?: string }).code === 'ECONNRESET' ||
        /fetch failed|terminated|other side closed|socket/i.test(String(err))
      )
        return
      throw err
    }
  }
}

describe('crash: SIGKILL under write load', () => {
  it(
    `loses no acknowledged write and keeps the file and the audit chain sound (${ROUNDS} kills, seed ${SEED})`,
    async () => {
      const random = seeded(SEED)
      const data = mkdtempSync(join(tmpdir(), 'custos-crash-'))
      cleanups.push(() => rmSync(data, { recursive: true, force: true }))
      const { keyFile } = await initVault({ data }, PASSPHRASE)
      const port = await freePort()
      const acked: Acknowledged = {
        fields: new Map(),
        purchases: new Set(),
        receipts: new Set(),
        grantsForVendor: new Set(),
        backups: [],
        reads: 0,
      }
      let server: ServerProcess | undefined
      cleanups.push(async () => void (await server?.kill()))

      server = await startServer({ data, keyFile, port, limits: LOAD_TEST_LIMITS })
      const as = await discover(server.url)
      const browser = new OwnerBrowser(server.url)
      const reader = await registerVendor(as, 'Fjord Outdoor')
      const tokens = await authorizeVendor(as, reader, browser, PASSPHRASE)
      const vendorAuth = { authorization: `Bearer ${tokens.access_token}` }

      for (let round = 0; round < ROUNDS; round++) {
        if (round > 0) server = await startServer({ data, keyFile, port, limits: LOAD_TEST_LIMITS })
        const base = server.url
        const session = await fetch(`${base}/owner/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ passphrase: PASSPHRASE }),
        })
        expect(session.status, `seed ${SEED}`).toBe(201)
        const owner = {
          cookie: (session.headers.get('set-cookie') ?? '').split(';')[0] as string,
          csrf: ((await session.json()) as { csrf_token: string }).csrf_token,
        }
        const ownerHeaders = {
          cookie: owner.cookie,
          'x-csrf-token': owner.csrf,
          'content-type': 'application/json',
        }
        let dead = false
        const stopped = () => dead
        const expectOk = async (res: Response, what: string) => {
          if (res.status >= 300)
            throw new Error(`${what}: HTTP ${res.status} ${await res.text()} (seed ${SEED})`)
        }

        const load = [
          ...[0, 1].map((w) =>
            until(stopped, async (k) => {
              const path = `custom.crash.r${round}w${w}k${k}`
              const value = `value ${round}.${w}.${k}`
              const res = await fetch(`${base}/owner/fields/${path}`, {
                method: 'PUT',
                headers: ownerHeaders,
                body: JSON.stringify({ value }),
              })
              await expectOk(res, 'field write')
              acked.fields.set(path, value)
            }),
          ),
          until(stopped, async (k) => {
            const res = await fetch(`${base}/owner/purchases`, {
              method: 'POST',
              headers: ownerHeaders,
              body: JSON.stringify({
                seller: 'Fjord Outdoor',
                orderDate: '2026-03-14',
                currency: 'EUR',
                total: k,
                orderNumber: `R${round}-${k}`,
              }),
            })
            await expectOk(res, 'purchase')
            acked.purchases.add(((await res.json()) as { id: string }).id)
          }),
          until(stopped, async (k) => {
            const res = await fetch(`${base}/v1/purchases`, {
              method: 'POST',
              headers: { ...vendorAuth, 'content-type': 'application/json' },
              body: JSON.stringify({
                seller: 'Fjord Outdoor',
                orderDate: '2026-04-01',
                currency: 'EUR',
                total: 10 + k,
              }),
            })
            await expectOk(res, 'vendor receipt')
            acked.receipts.add(((await res.json()) as { id: string }).id)
            const read = await fetch(`${base}/v1/profile`, { headers: vendorAuth })
            await expectOk(read, 'vendor read')
            await read.body?.cancel()
            acked.reads++
          }),
          until(stopped, async (k) => {
            const vendor = await registerVendor(as, `Shop ${round}.${k}`)
            await authorizeVendor(as, vendor, browser, PASSPHRASE)
            acked.grantsForVendor.add(vendor.client.client_id)
          }),
          // Key rotation in even rounds, a streamed backup in odd ones.
          until(stopped, async () => {
            if (round % 2 === 0) {
              const res = await fetch(`${base}/owner/keys/rotate`, {
                method: 'POST',
                headers: ownerHeaders,
              })
              if (res.status !== 409) await expectOk(res, 'rotate')
              await res.body?.cancel()
            } else {
              const res = await fetch(`${base}/owner/backup`, { headers: ownerHeaders })
              await expectOk(res, 'backup')
              acked.backups.push(Buffer.from(await res.arrayBuffer()))
            }
            await new Promise((r) => setTimeout(r, 50))
          }),
        ]
        // The first round waits for one consent flow to finish (a few requests and an Argon2 sign-in,
        // slower than the short kill delays on a busy machine), so the check of grants has one.
        for (let i = 0; round === 0 && acked.grantsForVendor.size === 0; i++) {
          if (i > 600) throw new Error(`no consent flow completed within 60 s (seed ${SEED})`)
          await new Promise((r) => setTimeout(r, 100))
        }
        // Let the load run a random while, then pull the plug.
        await new Promise((r) =>
          setTimeout(
            r,
            LONG ? 600 + Math.floor(random() * 1800) : 300 + Math.floor(random() * 1000),
          ),
        )
        await server.kill()
        dead = true
        await Promise.all(load)
      }

      // The file as the crash left it: sound, and holding everything that was acknowledged.
      const handle = openSqlite(join(data, 'custos.db'))
      expect(await handle.integrityCheck(), `integrity_check (seed ${SEED})`).toBe(true)
      const vault = await createVault({ database: handle })
      cleanups.push(() => vault.close())
      await vault.unlock(PASSPHRASE)
      const lost: string[] = []
      for (const [path, value] of acked.fields)
        if ((await vault.fields.get(path as `custom.${string}`)) !== value)
          lost.push(`field ${path}`)
      for (const id of acked.purchases)
        if (!(await vault.purchases.get(id).catch(() => undefined))) lost.push(`purchase ${id}`)
      const inbox = new Set<string>()
      for (let cursor: string | undefined, first = true; first || cursor; first = false) {
        const page = await vault.inbox.list({ limit: 100, ...(cursor ? { cursor } : {}) })
        for (const p of page.items) inbox.add(p.id)
        cursor = page.nextCursor
      }
      for (const id of acked.receipts) if (!inbox.has(id)) lost.push(`receipt ${id}`)
      for (const vendorId of acked.grantsForVendor)
        if ((await vault.grants.list({ vendorId })).length !== 1) lost.push(`grant of ${vendorId}`)
      expect(lost, `seed ${SEED}`).toEqual([])
      expect(
        acked.fields.size + acked.purchases.size + acked.receipts.size,
        'the load did write',
      ).toBeGreaterThan(ROUNDS * 5)
      expect(acked.grantsForVendor.size).toBeGreaterThan(0)
      const reads = await vault.audit.list({ action: 'grant.read', limit: 1000 })
      expect(
        reads.length,
        'every acknowledged vendor read has its audit entry',
      ).toBeGreaterThanOrEqual(Math.min(acked.reads, 1000))
      expect(await vault.audit.verify(), `seed ${SEED}`).toMatchObject({ ok: true })

      recordFigures('crash', {
        seed: SEED,
        kills: ROUNDS,
        fields: acked.fields.size,
        purchases: acked.purchases.size,
        receipts: acked.receipts.size,
        grants: acked.grantsForVendor.size,
        reads: acked.reads,
        backups: acked.backups.length,
        lost: lost.length,
      })

      // A backup acknowledged under load is a complete, consistent one: it restores.
      for (const backup of acked.backups.slice(-2)) {
        const dir = mkdtempSync(join(tmpdir(), 'custos-crash-restore-'))
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
        const restored = await createVault({ database: openSqlite(join(dir, 'restored.db')) })
        await restored.restore(new Uint8Array(backup), PASSPHRASE)
        expect(await restored.audit.verify()).toMatchObject({ ok: true })
        await restored.close()
      }
    },
    ROUNDS * 60_000,
  )
})
