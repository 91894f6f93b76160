import { describe, expect, it } from 'vitest'
import { FREE_ATTEMPTS, blockedUntilAfter } from './throttle.js'

describe('unlock throttle schedule', () => {
  const now = new Date('2026-01-01T00:00:00Z')
  it('lets four attempts through and blocks from the fifth, doubling up to an hour', () => {
    for (let attempt = 1; attempt < FREE_ATTEMPTS; attempt++)
      expect(blockedUntilAfter(attempt, now)).toBeNull()
    const delays = [5, 6, 7, 8, 20, 1000].map(
      (a) => (blockedUntilAfter(a, now)?.getTime() ?? 0) - now.getTime(),
    )
    expect(delays.slice(0, 4)).toEqual([30_000, 60_000, 120_000, 240_000])
    expect(delays[4]).toBe(3_600_000)
    expect(delays[5]).toBe(3_600_000)
  })
})
