/**
 * Unlock at the DEFAULT KDF preset and the memory it leaves behind, in a fresh child process
 * (unlock-memory.ts) so that nothing else of the run is in its RSS; the baseline is the bare
 * Argon2id hash at the same parameters, computed directly with libsodium in that child.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { KDF_PRESETS } from '@custos/vault'
import type { BenchContext } from './context.js'
import { percentile } from './measure.js'
import { type Section, info, mb, ms, ratio, verdict } from './table.js'
import type { UnlockMemoryReport } from './unlock-memory.js'

const RSS_TARGET_BYTES = 400e6

export async function unlockBench(ctx: BenchContext): Promise<Section> {
  const runs = ctx.quick ? 1 : 3
  ctx.progress(
    `unlock at the default KDF preset in a child process (${runs} unlocks, then ${runs} bare Argon2id hashes)`,
  )
  const child = fileURLToPath(new URL('./unlock-memory.ts', import.meta.url))
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      import.meta.resolve('tsx'),
      child,
      join(ctx.dir, 'unlock.db'),
      String(runs),
    ],
    { timeout: 300_000 },
  )
  const mem = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as UnlockMemoryReport
  const median = (xs: readonly number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      0.5,
    )
  const unlock = median(mem.unlockMs)
  const argon2 = median(mem.argon2Ms)
  const { opslimit, memlimit } = KDF_PRESETS.moderate
  return {
    rows: [
      {
        what: `unlock, default KDF (Argon2id, ${opslimit} passes, ${memlimit / 2 ** 20} MiB), median of ${runs}`,
        figure: ms(unlock),
        baseline: `${ms(argon2)} bare Argon2id`,
        ratio: ratio(unlock, argon2),
        target: '—',
        result: '—',
      },
      {
        what: '   RSS after unlock (KDF worker gone, vault unsealed)',
        figure: mb(mem.rssBytes),
        baseline: `${mb(mem.rssBeforeKdfBytes)} before the KDF`,
        ratio: ratio(mem.rssBytes, mem.rssBeforeKdfBytes),
        target: `< ${mb(RSS_TARGET_BYTES)}`,
        result: verdict(mem.rssBytes < RSS_TARGET_BYTES),
      },
      info('   peak RSS during unlock (KDF worker alive)', mb(mem.maxRssBytes)),
    ],
    notes: [
      `Unlock: a vault created at the default preset (\`moderate\`), reopened sealed as after a restart, then \`unlock(passphrase)\` timed ${runs}× (${mem.unlockMs.map((t) => ms(t)).join(', ')}): Argon2id in a worker thread that exits afterwards, the key unwrap, the keyring load. The baseline is \`crypto_pwhash\` at the same opslimit/memlimit called directly on the child's main thread with the vault's libsodium build (${mem.argon2Ms.map((t) => ms(t)).join(', ')}), so the ratio is the price of the worker and the unwrap. RSS is read with the vault unsealed after forced GC (${mem.gcForced ? 'gc exposed' : 'gc NOT exposed'}); its baseline is the same process before any KDF ran (vault module loaded, database open). 1 MB = 10^6 bytes.`,
    ],
  }
}
