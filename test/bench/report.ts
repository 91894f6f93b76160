/**
 * BENCHMARKS.md: the machine and the conditions of the run, the table, which targets were met or
 * missed, and how each figure and its baseline were measured. Pure text from the figures, so the
 * document is tested on made-up figures (bench-smoke.test.ts) without timing anything.
 */
import { cpus, totalmem } from 'node:os'
import { type Row, formatTable, tally } from './table.js'

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryGb: number
  readonly node: string
  readonly platform: string
}

export interface Report {
  readonly machine: Machine
  /** When the run started (ISO 8601). */
  readonly date: string
  readonly wallSeconds: number
  /** Which benchmarks ran and with what settings (quick, soak minutes, only). */
  readonly settings: string
  /** What else the machine was doing: figures are only as quiet as the machine was. */
  readonly conditions: string
  readonly rows: readonly Row[]
  /** How each figure and its baseline were measured, one paragraph each. */
  readonly notes: readonly string[]
}

export function thisMachine(): Machine {
  const cpu = cpus()
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown CPU',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  }
}

/**
 * A row's name on its own: an indented row ("   its latency p50 / p99") continues the row above
 * it, so it is named after that row.
 */
function fullName(rows: readonly Row[], row: Row): string {
  if (!row.what.startsWith(' ')) return row.what
  const parent = rows.slice(0, rows.indexOf(row)).findLast((r) => !r.what.startsWith(' '))
  return parent ? `${parent.what} — ${row.what.trim()}` : row.what.trim()
}

/** One line for the terminal: which targets were missed, or that all were met. */
export function verdictLine(rows: readonly Row[]): string {
  const { passed, failed } = tally(rows)
  const total = passed.length + failed.length
  if (failed.length === 0) return `Targets met: ${passed.length} of ${total}.`
  return `Targets met: ${passed.length} of ${total}. Missed: ${failed.map((r) => fullName(rows, r)).join('; ')}.`
}

export function renderReport(report: Report): string {
  const { machine } = report
  return [
    '# Benchmarks',
    '',
    'Written by `pnpm bench` (test/bench/run.ts); run it again to refresh this file. Every baseline is measured in the same run, on the same machine, right before or after its figure. A missed target reads FAIL: these are measurements, not tests, and the suite never asserts a time.',
    '',
    '## Machine and conditions',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores`,
    `- Memory: ${machine.memoryGb} GiB`,
    `- Node.js: ${machine.node} (${machine.platform})`,
    `- Date: ${report.date}`,
    `- Run: ${report.settings}; wall time ${(report.wallSeconds / 60).toFixed(1)} min`,
    `- Conditions: ${report.conditions}`,
    '',
    '## Results',
    '',
    formatTable(report.rows),
    '',
    verdictLine(report.rows),
    '',
    '## How each figure is measured',
    '',
    ...report.notes.map((n) => `- ${n}`),
    '',
  ].join('\n')
}
