/**
 * Timing primitives for the benchmark: throughput over a bounded time with N callers in
 * flight, and latency percentiles over a fixed number of runs. Wall-clock only, on purpose:
 * the figures are what a caller of the vault sees, fsyncs included.
 */
import { performance } from 'node:perf_hooks'

export interface Throughput {
  readonly ops: number
  readonly seconds: number
  readonly opsPerSecond: number
  /** Per-operation latency as each caller saw it, in ms (queueing in the group commit included). */
  readonly p50Ms: number
  readonly p99Ms: number
  /** Process CPU time (user + system, all threads) per completed operation, warm-up included, in µs. */
  readonly cpuMicrosPerOp: number
}

export interface ThroughputOptions {
  /** Callers with an operation in flight at all times (1 = sequential awaits). */
  readonly concurrency: number
  readonly warmupMs: number
  readonly durationMs: number
}

/**
 * Runs `op` from `concurrency` loops: first for the warm-up (not counted), then for the
 * measured window; counts the operations that *complete* inside the window. Phases go by the
 * clock, not by timers: an operation that settles through microtasks alone (a synchronous
 * SQLite driver behind promises) never lets a timer fire, so a timer could never end the loop.
 */
export async function throughput(
  op: (i: number) => Promise<unknown>,
  options: ThroughputOptions,
): Promise<Throughput> {
  const measureFrom = performance.now() + options.warmupMs
  const measureTo = measureFrom + options.durationMs
  let started = 0
  let completed = 0
  const latencies: number[] = []
  const cpuBefore = process.cpuUsage()
  const loop = async () => {
    for (;;) {
      const t0 = performance.now()
      if (t0 >= measureTo) return
      await op(started++)
      completed++
      const t1 = performance.now()
      if (t1 >= measureFrom && t1 < measureTo) latencies.push(t1 - t0)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, loop))
  const cpu = process.cpuUsage(cpuBefore)
  latencies.sort((a, b) => a - b)
  const seconds = options.durationMs / 1000
  return {
    ops: latencies.length,
    seconds,
    opsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuMicrosPerOp: (cpu.user + cpu.system) / completed,
  }
}

/** The `q`-quantile of an ascending array (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

/** Runs `op` sequentially `runs` times after `warmup` untimed runs; returns the sorted latencies in ms. */
export async function latencies(
  op: (i: number) => Promise<unknown>,
  runs: number,
  warmup: number,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await op(i)
  const out: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await op(warmup + i)
    out.push(performance.now() - t0)
  }
  return out.sort((a, b) => a - b)
}

/** A small seeded PRNG (mulberry32): the same data set every run, so runs compare. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
