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

const HEADER: Row = { what: 'what', figure: 'figure', baseline: 'baseline (same run)', ratio: 'ratio', target: 'target', result: '—' }
const COLUMNS = ['what', 'figure', 'baseline', 'ratio', 'target', 'result'] as const

export function formatTable(rows: readonly Row[]): string {
  const all = [HEADER, ...rows]
  const cell = (row: Row, column: (typeof COLUMNS)[number]) => (row === HEADER && column === 'result' ? 'pass/fail' : row[column])
  const widths = COLUMNS.map((c) => Math.max(...all.map((r) => cell(r, c).length)))
  const line = (row: Row) => `| ${COLUMNS.map((c, i) => cell(row, c).padEnd(widths[i] as number)).join(' | ')} |`
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`
  return [line(HEADER), rule, ...rows.map(line)].join('\n')
}

export const opsPerSecond = (n: number) => `${Math.round(n).toLocaleString('en-US')} ops/s`
export const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`
/** Decimal megabytes (10^6 bytes), the unit the memory target is stated in. */
export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`
