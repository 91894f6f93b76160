/**
 * Runs in a fresh child process (started by run.ts with `--expose-gc --import tsx`): creates a
 * vault at the default KDF preset, then times `unlock` on a reopened handle and reports the
 * resident set size once the Argon2id worker (256 MiB of WASM memory at `moderate`) has exited.
 * Last, the baseline: the same Argon2id hash computed directly with libsodium (the vault's own
 * build), no worker, no key unwrap — done after the RSS reading because libsodium's WASM memory
 * never shrinks. Prints one JSON line, {@link UnlockMemoryReport}, on stdout.
 *
 * Usage: node --expose-gc --import tsx unlock-memory.ts <sqlite file> <unlock runs>
 */
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { KDF_PRESETS, type Vault, createVault, openSqlite } from '@custos/vault'
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
  /** Direct `crypto_pwhash` (Argon2id13) at the same opslimit/memlimit, one per unlock run, in ms. */
  readonly argon2Ms: readonly number[]
}

/** The part of libsodium this file uses (its types live with @custos/vault, not here). */
interface Sodium {
  ready: Promise<void>
  crypto_pwhash(
    keyLength: number,
    password: string,
    salt: Uint8Array,
    opsLimit: number,
    memLimit: number,
    algorithm: number,
  ): Uint8Array
  randombytes_buf(length: number): Uint8Array
  crypto_pwhash_ALG_ARGON2ID13: number
}

/** libsodium-wrappers-sumo resolved from the vault's directory: the very build the vault runs. */
async function directArgon2(runs: number): Promise<number[]> {
  const require = createRequire(import.meta.resolve('@custos/vault'))
  const sodium = require('libsodium-wrappers-sumo') as Sodium
  await sodium.ready
  const { opslimit, memlimit } = KDF_PRESETS.moderate
  const out: number[] = []
  for (let i = 0; i < runs; i++) {
    const salt = sodium.randombytes_buf(16)
    const t0 = performance.now()
    sodium.crypto_pwhash(
      32,
      PASSPHRASE,
      salt,
      opslimit,
      memlimit,
      sodium.crypto_pwhash_ALG_ARGON2ID13,
    )
    out.push(performance.now() - t0)
  }
  return out
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
  if ((await vault.fields.get('email')) !== 'ada@example.org')
    throw new Error('unlocked vault did not read back a field')
  const gcForced = await collectGarbage()
  await sleep(300)
  const { rss, heapUsed } = process.memoryUsage()
  const maxRssBytes = process.resourceUsage().maxRSS * 1024
  await vault.close()
  const argon2Ms = await directArgon2(runs)
  return {
    preset: 'moderate',
    unlockMs,
    rssBytes: rss,
    rssBeforeKdfBytes,
    heapUsedBytes: heapUsed,
    maxRssBytes,
    gcForced,
    argon2Ms,
  }
}

const [file, runsArg] = process.argv.slice(2)
if (file === undefined) throw new TypeError('usage: unlock-memory.ts <sqlite file> [unlock runs]')
const report = await main(file, Number(runsArg ?? '3'))
process.stdout.write(`${JSON.stringify(report)}\n`)
