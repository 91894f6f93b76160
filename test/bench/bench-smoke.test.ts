/**
 * The benchmark's logic without its timing: the table and BENCHMARKS.md writers on made-up
 * figures, the pass/fail rules (targets, the soak's memory growth) and the command line.
 * Nothing here measures anything: speed is `pnpm bench`'s business, never the test suite's.
 */
import { describe, expect, it } from 'vitest'
import { BENCHMARKS, parseBenchArgs } from './args.js'
import { renderReport, verdictLine } from './report.js'
import { type RssSample, rssTrend, soakHolds } from './rss-trend.js'
import { type Row, formatTable, info, verdict } from './table.js'
import { median } from './vendor-read.js'

const met: Row = {
  what: 'vendor read',
  figure: '9,000 req/s',
  baseline: '30,000 req/s hello-world',
  ratio: '30%',
  target: '≥ 20%',
  result: verdict(9000 / 30000 >= 0.2),
}
const missed: Row = {
  what: '   its latency p50 / p99',
  figure: '4.00 ms / 22 ms',
  baseline: '1.00 ms / 3.00 ms',
  ratio: '—',
  target: 'p99 < 15 ms',
  result: verdict(22 < 15),
}
const plain = info('server RSS idle', '120 MB')

describe('pass/fail', () => {
  it('passes a row only when every condition of its target holds', () => {
    expect(verdict(true, true)).toBe('pass')
    expect(verdict(true, false)).toBe('FAIL')
    expect(met.result).toBe('pass')
    expect(missed.result).toBe('FAIL')
  })

  it('names the missed targets (an indented row after the row it continues), and counts only rows that have one', () => {
    expect(verdictLine([met, missed, plain])).toBe(
      'Targets met: 1 of 2. Missed: vendor read — its latency p50 / p99.',
    )
    expect(verdictLine([plain, { ...met, result: 'FAIL' }])).toBe(
      'Targets met: 0 of 1. Missed: vendor read.',
    )
    expect(verdictLine([met, plain])).toBe('Targets met: 1 of 1.')
  })

  it('reports the middle round of the HTTP rounds, not the best one', () => {
    expect(median([17, 11, 13])).toBe(13)
    expect(median([0.24, 0.19, 0.21])).toBe(0.21)
    expect(median([12])).toBe(12)
  })
})

describe('the table', () => {
  it('is a Markdown table with aligned columns and a pass/fail header', () => {
    const lines = formatTable([met, missed, plain]).split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[0]).toMatch(
      /^\| what +\| figure +\| baseline \(same run\) +\| ratio +\| target +\| pass\/fail \|$/,
    )
    expect(lines[1]).toMatch(/^\|(-+\|){6}$/)
    expect(new Set(lines.map((l) => l.length)).size).toBe(1)
    expect(lines[2]).toMatch(/\| pass +\|$/)
    expect(lines[3]).toMatch(/\| FAIL +\|$/)
  })

  it('escapes a | inside a cell so it cannot split the row', () => {
    const [, , row] = formatTable([info('a | b', 'x')]).split('\n')
    expect(row).toContain('a \\| b')
    expect(row?.split(/(?<!\\)\|/)).toHaveLength(8)
  })
})

describe('BENCHMARKS.md', () => {
  const doc = renderReport({
    machine: {
      cpu: 'Test CPU 3000',
      cores: 2,
      memoryGb: 24,
      node: 'v20.0.0',
      platform: 'linux x64',
    },
    date: '2026-01-02T03:04:05.000Z',
    wallSeconds: 754,
    settings: 'all benchmarks, full, soak 5 min',
    conditions: 'shared with six other jobs.',
    rows: [met, missed, plain],
    notes: ['Vendor read: how it was measured.'],
  })

  it('states the machine, the date and the conditions of the run', () => {
    expect(doc).toContain('- CPU: Test CPU 3000, 2 cores')
    expect(doc).toContain('- Node.js: v20.0.0 (linux x64)')
    expect(doc).toContain('- Date: 2026-01-02T03:04:05.000Z')
    expect(doc).toContain('- Run: all benchmarks, full, soak 5 min; wall time 12.6 min')
    expect(doc).toContain('- Conditions: shared with six other jobs.')
  })

  it('holds the table, the verdict line and the method notes', () => {
    expect(doc).toContain(formatTable([met, missed, plain]))
    expect(doc).toContain('Targets met: 1 of 2. Missed: vendor read — its latency p50 / p99.')
    expect(doc).toContain('- Vendor read: how it was measured.')
    expect(doc.indexOf('## Results')).toBeLessThan(doc.indexOf('## How each figure is measured'))
  })
})

describe('the soak verdict', () => {
  const MB = 1e6
  const series = (rss: (t: number) => number, seconds = 300, every = 2): RssSample[] =>
    Array.from({ length: seconds / every + 1 }, (_, i) => ({
      atSeconds: i * every,
      rssBytes: rss(i * every),
    }))

  it('holds for flat memory, with a slope near zero', () => {
    const trend = rssTrend(
      series(() => 200 * MB),
      60,
    )
    expect(trend.growth).toBe(0)
    expect(trend.slopeMbPerMinute).toBe(0)
    expect(soakHolds(trend)).toBe(true)
  })

  it('fails steady growth: +50 % over the soak, 10 MB a minute', () => {
    const trend = rssTrend(
      series((t) => 200 * MB + (t / 60) * 10 * MB),
      60,
    )
    expect(trend.slopeMbPerMinute).toBeCloseTo(10, 6)
    expect(trend.growth).toBeGreaterThan(0.1)
    expect(soakHolds(trend)).toBe(false)
  })

  it('ignores what happens during the warm-up, and a lone garbage-collection peak', () => {
    const trend = rssTrend(
      series((t) => (t < 60 ? 100 * MB + t * MB : t === 290 ? 400 * MB : 160 * MB)),
      60,
    )
    expect(trend.startBytes).toBe(160 * MB)
    expect(trend.endBytes).toBe(160 * MB)
    expect(soakHolds(trend)).toBe(true)
  })

  it('draws the line at 10 % growth', () => {
    const at = (end: number) =>
      soakHolds(
        rssTrend(
          [0, 1, 2, 3, 4].map((i) => ({ atSeconds: i, rssBytes: i === 4 ? end : 100 * MB })),
          0,
        ),
      )
    expect(at(109 * MB)).toBe(true)
    expect(at(110 * MB)).toBe(false)
  })

  it('refuses a verdict on too few samples', () => {
    expect(() =>
      rssTrend(
        series(() => MB, 6, 2),
        0,
      ),
    ).toThrow(RangeError)
    expect(() =>
      rssTrend(
        series(() => MB, 300, 2),
        295,
      ),
    ).toThrow(RangeError)
  })
})

describe('the command line', () => {
  const OUT = '/repo/BENCHMARKS.md'

  it('runs everything and writes BENCHMARKS.md by default, with a five-minute soak', () => {
    const o = parseBenchArgs([], OUT)
    expect(o.all).toBe(true)
    expect([...o.selected].sort()).toEqual([
      'backup',
      'cli',
      'http',
      'library',
      'listing',
      'mailbox',
      'memory',
      'rotation',
      'signals',
      'token',
      'unlock',
    ])
    expect(o.out).toBe(OUT)
    expect(o.soakMinutes).toBe(5)
  })

  it('takes the arguments pnpm passes after --; a quick run shortens the soak and writes nothing', () => {
    const o = parseBenchArgs(['--', '--quick'], OUT)
    expect(o.quick).toBe(true)
    expect(o.soakMinutes).toBe(0.5)
    expect(o.out).toBeUndefined()
  })

  it('runs only the named benchmarks, comma-separated or repeated', () => {
    const o = parseBenchArgs(
      ['--only', 'token,memory', '--only', 'unlock', '--soak-minutes', '2'],
      OUT,
    )
    expect([...o.selected].sort()).toEqual(['memory', 'token', 'unlock'])
    expect(o.all).toBe(false)
    expect(o.out).toBeUndefined()
    expect(o.soakMinutes).toBe(2)
  })

  it('measures a peer only when asked: --peers beside the rest, --only peers alone', () => {
    expect(parseBenchArgs([], OUT).peers).toBe(false)
    const beside = parseBenchArgs(['--peers'], OUT)
    expect(beside.peers).toBe(true)
    expect(beside.all).toBe(true)
    expect([...beside.selected].sort()).toEqual([...BENCHMARKS].sort())
    const alone = parseBenchArgs(['--only', 'peers'], OUT)
    expect(alone.peers).toBe(true)
    expect([...alone.selected]).toEqual([])
    expect(alone.out).toBeUndefined()
  })

  it('refuses unknown benchmarks, bad numbers and unknown flags', () => {
    expect(() => parseBenchArgs(['--only', 'tokens'], OUT)).toThrow(/--only/)
    expect(() => parseBenchArgs(['--soak-minutes', 'five'], OUT)).toThrow(/--soak-minutes/)
    expect(() => parseBenchArgs(['--fast'], OUT)).toThrow()
  })
})
