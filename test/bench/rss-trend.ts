/**
 * Whether a server's memory grows under a long load: the soak's verdict, as pure arithmetic on
 * RSS samples so the rule itself is tested (bench-smoke.test.ts) apart from any timing.
 */
import { percentile } from './measure.js'

export interface RssSample {
  /** Seconds since the soak's load started. */
  readonly atSeconds: number
  readonly rssBytes: number
}

export interface RssTrend {
  /** Median RSS over the first fifth of the samples after the warm-up. */
  readonly startBytes: number
  /** Median RSS over the last fifth of the samples. */
  readonly endBytes: number
  /** (end − start) / start: 0.05 is 5 % growth; negative when memory went down. */
  readonly growth: number
  /** Least-squares slope of RSS over the samples after the warm-up, in MB (10^6 bytes) per minute. */
  readonly slopeMbPerMinute: number
  readonly samples: number
}

/** The soak passes when memory after the warm-up grows by less than this fraction. */
export const SOAK_GROWTH_LIMIT = 0.1

const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  )

/**
 * The trend of `samples` after `warmupSeconds`. Medians of fifths, not single samples, so one
 * garbage-collection peak neither fails nor passes the soak. Needs at least five samples after
 * the warm-up.
 */
export function rssTrend(samples: readonly RssSample[], warmupSeconds: number): RssTrend {
  const steady = samples.filter((s) => s.atSeconds >= warmupSeconds)
  if (steady.length < 5)
    throw new RangeError(`a trend needs at least 5 samples after the warm-up, got ${steady.length}`)
  const fifth = Math.max(1, Math.floor(steady.length / 5))
  const startBytes = median(steady.slice(0, fifth).map((s) => s.rssBytes))
  const endBytes = median(steady.slice(-fifth).map((s) => s.rssBytes))
  const meanT = steady.reduce((a, s) => a + s.atSeconds, 0) / steady.length
  const meanR = steady.reduce((a, s) => a + s.rssBytes, 0) / steady.length
  const covariance = steady.reduce((a, s) => a + (s.atSeconds - meanT) * (s.rssBytes - meanR), 0)
  const variance = steady.reduce((a, s) => a + (s.atSeconds - meanT) ** 2, 0)
  const bytesPerSecond = variance === 0 ? 0 : covariance / variance
  return {
    startBytes,
    endBytes,
    growth: (endBytes - startBytes) / startBytes,
    slopeMbPerMinute: (bytesPerSecond * 60) / 1e6,
    samples: steady.length,
  }
}

/** Whether the trend shows no growth worth the name (below {@link SOAK_GROWTH_LIMIT}). */
export function soakHolds(trend: RssTrend): boolean {
  return trend.growth < SOAK_GROWTH_LIMIT
}
