/**
 * Issue 14 (P6): a 100 MB mailbox imports with bounded memory. Each import runs in a fresh child
 * process (mailbox-memory.ts) so nothing else of the run is in its RSS; the figure is how far the
 * RSS rose above the unlocked vault's while a generated 100 MB mbox was read, previewed and its
 * orders written, and the baseline the same for a 10 MB mbox in the same run. Memory that held
 * the file would rise ten times as far; a streaming import rises about as far for both.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type BenchContext, check } from './context.js'
import type { MailboxMemoryReport } from './mailbox-memory.js'
import { writeMailbox } from './mbox-fixture.js'
import { type Section, info, mb, ratio, verdict } from './table.js'

/** The 100 MB run may rise at most this many times the 10 MB run's rise. */
const RISE_LIMIT = 2
/**
 * The JavaScript heap each import runs under (V8's old space). The process needs about 46 MB
 * of it before the import (the vault, libsodium, the TypeScript loader), which leaves about
 * 50 MB for the import — half the large file: an import that held the mailbox could not finish. It also makes V8 collect as it goes rather than
 * grow first, so the RSS rise shows what the import keeps, not how lazily garbage is collected.
 */
const HEAP_CAP_MB = 96

async function importInChild(ctx: BenchContext, name: string, bytes: number) {
  const file = join(ctx.dir, `${name}.mbox`)
  const made = await writeMailbox(file, bytes)
  ctx.progress(
    `mailbox import: ${mb(made.bytes)} mbox, ${made.messages} messages, in a child process`,
  )
  const child = fileURLToPath(new URL('./mailbox-memory.ts', import.meta.url))
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      `--max-old-space-size=${HEAP_CAP_MB}`,
      '--expose-gc',
      '--import',
      import.meta.resolve('tsx'),
      child,
      join(ctx.dir, `${name}.db`),
      file,
    ],
    { timeout: 1_800_000, maxBuffer: 1024 * 1024 },
  )
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as MailboxMemoryReport
  check(
    report.messagesRead === made.messages && report.ordersWritten === made.orders,
    `the ${name} import read every message and wrote every order (${report.messagesRead}/${made.messages} messages, ${report.ordersWritten}/${made.orders} orders)`,
  )
  return { ...report, bytes: made.bytes }
}

export async function mailboxBench(ctx: BenchContext): Promise<Section> {
  const large = ctx.quick ? 25e6 : 100e6
  const small = large / 10
  const base = await importInChild(ctx, 'small', small)
  const big = await importInChild(ctx, 'large', large)
  const rise = (r: MailboxMemoryReport) => Math.max(1, r.rssPeakBytes - r.rssBeforeBytes)
  const within = rise(big) < RISE_LIMIT * rise(base)
  return {
    rows: [
      {
        what: `mailbox import (custos import-purchases --format email), ${mb(big.bytes)} mbox: RSS rise over the unlocked vault`,
        figure: `${mb(rise(big))} (peak ${mb(big.rssPeakBytes)})`,
        baseline: `${mb(rise(base))} for a ${mb(base.bytes)} mbox`,
        ratio: ratio(rise(big), rise(base)),
        target: `< ${RISE_LIMIT}× the ${mb(base.bytes)} rise, under a ${HEAP_CAP_MB} MB heap cap`,
        result: verdict(within),
      },
      info(
        `mailbox import, ${mb(big.bytes)}: ${big.messagesRead} messages, ${big.ordersWritten} orders written`,
        `${big.seconds.toFixed(1)} s (${(big.bytes / 1e6 / big.seconds).toFixed(1)} MB/s)`,
      ),
    ],
    notes: [
      `Mailbox import: a generated mbox (mbox-fixture.ts: newsletters padded to about 7 kB, one message in ten an order confirmation with schema.org Order JSON-LD) imported in a fresh child process as \`custos import-purchases FILE --format email --yes\` does — streamed, previewed with duplicates checked, the orders written in one transaction — its RSS sampled every 20 ms, under \`--max-old-space-size=${HEAP_CAP_MB}\` (an import holding the file could not finish). The figure is the peak above the RSS of the unlocked vault before the import; the baseline is the same for a mailbox a tenth the size.`,
    ],
  }
}
