/**
 * Runs in a fresh child process (started by run.ts with `--expose-gc --import tsx`): creates a
 * vault at the default KDF preset, then times `unlock` on a reopened handle and reports the
 * resident set size once the Argon2id worker (256 MiB of WASM memory at `moderate`) has exited.
 * Prints one JSON line, {@link UnlockMemoryReport}, on stdout.
 *
 * Usage: node --expose-gc --import tsx unlock-memory.ts <sqlite file> <unlock runs>
 */
import { performance } from 'node:perf_hooks'
import { type Vault, createVault, openSqlite } from '@custos/vault'
import { PASSPHRASE } from './fixtures.js'

export interface UnlockMemoryReport {
  readonly preset: 'moderate'
  readonly unlockMs: readonly number[]
  readonly rssBytes: number
  /** RSS of this process with the vault loaded and its database open, before any KDF ran. */
  readonly rssBeforeKdfBytes: number
  readonly heapUsedBytes: number
  /** The process's peak RSS (includes the KDF worker's memory while it ran). */
  readonly maxRssBytes: number
  readonly gcForced: boolean
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function collectGarbage(): Promise<boolean> {
  if (typeof gc !== 'function') return false
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(200)
  }
  return true
}

async function main(file: string, runs: number): Promise<UnlockMemoryReport> {
  const created = await createVault({ database: openSqlite(file) })
  await collectGarbage()
  const rssBeforeKdfBytes = process.memoryUsage().rss
  await created.initialize(PASSPHRASE)
  await created.close()

  // A reopened handle starts sealed, as after a restart: this unlock is the one users wait for.
  const vault: Vault = await createVault({ database: openSqlite(file) })
  const unlockMs: number[] = []
  for (let i = 0; i < runs; i++) {
    if (i > 0) await vault.lock()
    const t0 = performance.now()
    await vault.unlock(PASSPHRASE)
    unlockMs.push(performance.now() - t0)
  }
  // Prove the vault is usable, then measure while it stays unsealed (a server holding it open).
  await vault.fields.set('email', 'ada@example.org')
  if ((await vault.fields.get('email')) !== 'ada@example.org') throw new Error('unlocked vault did not read back a field')
  const gcForced = await collectGarbage()
  await sleep(300)
  const { rss, heapUsed } = process.memoryUsage()
  const report: UnlockMemoryReport = { preset: 'moderate', unlockMs, rssBytes: rss, rssBeforeKdfBytes, heapUsedBytes: heapUsed, maxRssBytes: process.resourceUsage().maxRSS * 1024, gcForced }
  await vault.close()
  return report
}

const [file, runsArg] = process.argv.slice(2)
if (file === undefined) throw new TypeError('usage: unlock-memory.ts <sqlite file> [unlock runs]')
const report = await main(file, Number(runsArg ?? '3'))
process.stdout.write(`${JSON.stringify(report)}\n`)
