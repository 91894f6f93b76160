/**
 * `pnpm bench`: every benchmark of this machine in one run (about a quarter of an hour; see
 * args.ts for --quick, --only, --soak-minutes), on SQLite files in a temp dir removed afterwards.
 * Prints one table — figure, a baseline measured in the same run, their ratio, the target and
 * pass/fail — and writes it with the machine, the conditions and the method to BENCHMARKS.md.
 * A missed target shows as FAIL; the exit code stays 0 (only a broken run exits non-zero),
 * because this is a measurement, never a timed assertion in the test suite.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { type BenchmarkName, parseBenchArgs } from './args.js'
import { cliBench } from './cli.js'
import type { BenchContext } from './context.js'
import { libraryBench } from './library.js'
import { mailboxBench } from './mailbox.js'
import { memoryBench } from './memory.js'
import { peersBench } from './peers.js'
import { renderReport, thisMachine, verdictLine } from './report.js'
import { type ScalePart, scaleBench } from './scale.js'
import { type Row, type Section, formatTable } from './table.js'
import { signalsBench } from './signals.js'
import { tokenBench } from './token.js'
import { unlockBench } from './unlock.js'
import { vendorReadBench } from './vendor-read.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const options = parseBenchArgs(process.argv.slice(2), join(root, 'BENCHMARKS.md'))
const dir = mkdtempSync(join(tmpdir(), 'custos-bench-'))
const cleanUp = () => rmSync(dir, { recursive: true, force: true })
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp()
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15))
  })
}

const startedAt = new Date()
const t0 = performance.now()
const progress = (text: string) =>
  process.stderr.write(
    `… [${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${text}\n`,
  )
const ctx: BenchContext = { dir, quick: options.quick, soakMinutes: options.soakMinutes, progress }
const has = (name: BenchmarkName) => options.selected.has(name)

/**
 * Runs one benchmark; a broken one (a failed sanity check, a server that would not start)
 * becomes a FAIL row and a non-zero exit code, and the others still run.
 */
async function attempt(name: string, bench: () => Promise<Section>): Promise<Section> {
  try {
    return await bench()
  } catch (err) {
    process.exitCode = 1
    const message = err instanceof Error ? err.message : String(err)
    progress(`${name} broke: ${err instanceof Error ? (err.stack ?? message) : message}`)
    return {
      rows: [
        {
          what: `${name}: the benchmark broke`,
          figure: message.slice(0, 160),
          baseline: '—',
          ratio: '—',
          target: 'runs',
          result: 'FAIL',
        },
      ],
      notes: [],
    }
  }
}

/** Sections in report order, each run only when selected. */
async function runAll(): Promise<Section[]> {
  const sections: Section[] = []
  const heading = (what: string): Section => ({
    rows: [{ what: `**${what}**`, figure: '', baseline: '', ratio: '', target: '', result: '—' }],
    notes: [],
  })
  if (has('cli'))
    sections.push(heading('The custos command'), await attempt('cli', () => cliBench(ctx)))
  if (has('library'))
    sections.push(heading('Library'), await attempt('library', () => libraryBench(ctx)))
  if (has('unlock')) sections.push(await attempt('unlock', () => unlockBench(ctx)))
  const scaleParts = (['listing', 'rotation', 'backup'] as const).filter(has) as ScalePart[]
  if (scaleParts.length > 0)
    sections.push(
      heading('Growth, rotation, backup'),
      await attempt(scaleParts.join(', '), () => scaleBench(ctx, new Set(scaleParts))),
    )
  if (has('http') || has('token')) sections.push(heading('HTTP'))
  if (has('http')) sections.push(await attempt('http', () => vendorReadBench(ctx)))
  if (has('token')) sections.push(await attempt('token', () => tokenBench(ctx)))
  if (has('signals'))
    sections.push(heading('Signals'), await attempt('signals', () => signalsBench(ctx)))
  if (has('memory'))
    sections.push(heading('Server memory'), await attempt('memory', () => memoryBench(ctx)))
  if (has('mailbox'))
    sections.push(heading('Import'), await attempt('mailbox', () => mailboxBench(ctx)))
  if (options.peers)
    sections.push(heading('A peer, same run'), await attempt('peers', () => peersBench(ctx)))
  return sections
}

// Hold the event loop for the whole run: a benchmark may be awaiting work in a thread that does
// not (an unref'd worker), and Node would end the run mid-await with exit code 13.
const keepAlive = setInterval(() => {}, 60_000)
try {
  progress(`temp dir ${dir}`)
  const loadBefore = loadavg()[0] as number
  const sections = await runAll()
  const loadAfter = loadavg()[0] as number
  const rows: Row[] = sections.flatMap((s) => s.rows)
  const wallSeconds = (performance.now() - t0) / 1000
  const machine = thisMachine()
  const settings = [
    options.all
      ? 'all benchmarks'
      : options.selected.size > 0
        ? `only ${[...options.selected].join(', ')}`
        : 'only the peer',
    options.quick ? 'quick (shortened: rough figures)' : 'full',
    has('memory') ? `soak ${options.soakMinutes} min` : '',
    options.peers ? 'with a peer' : '',
  ]
    .filter(Boolean)
    .join(', ')
  const conditions = `${options.conditions ? `${options.conditions} ` : ''}1-minute load average ${loadBefore.toFixed(1)} at the start and ${loadAfter.toFixed(1)} at the end, on ${machine.cores} cores.`
  process.stdout.write(
    `\nCustos benchmarks — ${machine.cpu} × ${machine.cores}, Node ${machine.node}, ${startedAt.toISOString()}; ${settings}\n\n${formatTable(rows)}\n\n${verdictLine(rows)}\n`,
  )
  if (options.out) {
    writeFileSync(
      options.out,
      renderReport({
        machine,
        date: startedAt.toISOString(),
        wallSeconds,
        settings,
        conditions,
        rows,
        notes: sections.flatMap((s) => s.notes),
      }),
    )
    process.stdout.write(
      `Written to ${options.out} (wall time ${(wallSeconds / 60).toFixed(1)} min).\n`,
    )
  } else {
    process.stdout.write(
      `Not written to BENCHMARKS.md (${options.quick ? '--quick' : '--only'}); pass --out FILE to keep it.\n`,
    )
  }
} finally {
  clearInterval(keepAlive)
  cleanUp()
}
