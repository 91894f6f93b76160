/**
 * Several `custos serve` started at the same instant on a new data folder (a service manager starting
 * two workers, an owner double-clicking) must both come up: the schema migrations of the vault
 * and of the API run under the database's write lock, so exactly one process applies them and the
 * other finds them applied. Before, a loser failed "table already exists" and exited 1 — in about
 * half of the runs of this test (a race: five rounds of three processes make missing it unlikely).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type ServerProcess, startServer } from './support/server-process.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('first start', () => {
  it('three servers started together on a new SQLite data folder both come up and answer', async () => {
    for (let round = 0; round < 5; round++) {
      const data = mkdtempSync(join(tmpdir(), 'custos-first-start-'))
      dirs.push(data)
      const started = await Promise.allSettled([
        startServer({ data }),
        startServer({ data }),
        startServer({ data }),
      ])
      const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      const answers = await Promise.all(
        servers.map((s: ServerProcess) => fetch(`${s.url}/readyz`).then((r) => r.json())),
      )
      await Promise.all(servers.map((s) => s.stop()))
      expect(
        started.map((r) => (r.status === 'rejected' ? String(r.reason).slice(0, 300) : 'up')),
      ).toEqual(['up', 'up', 'up'])
      expect(answers).toEqual(Array(3).fill({ ready: false, state: 'uninitialized' }))
    }
  }, 120_000)
})
