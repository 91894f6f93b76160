/** The result table: one row per figure, printed as Markdown so it reads in a terminal and pastes into docs. */

export type Verdict = 'pass' | 'FAIL' | '—'

export interface Row {
  readonly what: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: string
  readonly target: string
  readonly result: Verdict
}

const HEADER: Row = {
  what: 'what',
  figure: 'figure',
  baseline: 'baseline (same run)',
  ratio: 'ratio',
  target: 'target',
  result: '—',
}
const COLUMNS = ['what', 'figure', 'baseline', 'ratio', 'target', 'result'] as const

export function formatTable(rows: readonly Row[]): string {
  const all = [HEADER, ...rows]
  // A `|` inside a cell would end the cell in Markdown: escape it.
  const cell = (row: Row, column: (typeof COLUMNS)[number]) =>
    row === HEADER && column === 'result' ? 'pass/fail' : row[column].replaceAll('|', '\\|')
  const widths = COLUMNS.map((c) => Math.max(...all.map((r) => cell(r, c).length)))
  const line = (row: Row) =>
    `| ${COLUMNS.map((c, i) => cell(row, c).padEnd(widths[i] as number)).join(' | ')} |`
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`
  return [line(HEADER), rule, ...rows.map(line)].join('\n')
}

/** One verdict for a row: pass only when every condition of its target holds. */
export const verdict = (...conditions: boolean[]): Verdict =>
  conditions.every(Boolean) ? 'pass' : 'FAIL'

/** A row with no baseline, ratio or target: a figure reported for the record. */
export const info = (what: string, figure: string): Row => ({
  what,
  figure,
  baseline: '—',
  ratio: '—',
  target: '—',
  result: '—',
})

/** Rows that have a target, split by verdict. */
export function tally(rows: readonly Row[]): { passed: Row[]; failed: Row[] } {
  return {
    passed: rows.filter((r) => r.result === 'pass'),
    failed: rows.filter((r) => r.result === 'FAIL'),
  }
}

export const opsPerSecond = (n: number) => `${Math.round(n).toLocaleString('en-US')} ops/s`
export const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`
export const perSecond = (n: number, unit: string) =>
  `${Math.round(n).toLocaleString('en-US')} ${unit}/s`
export const mbPerSecond = (bytesPerSecond: number) =>
  `${(bytesPerSecond / 1e6).toFixed(bytesPerSecond < 1e7 ? 1 : 0)} MB/s`
export const percent = (fraction: number) =>
  `${(fraction * 100).toFixed(fraction !== 0 && Math.abs(fraction) < 0.1 ? 1 : 0)}%`
/** Decimal megabytes (10^6 bytes), the unit the memory target is stated in. */
export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`

/** What one benchmark contributes to the report: its rows and how they were measured. */
export interface Section {
  readonly rows: readonly Row[]
  readonly notes: readonly string[]
}
