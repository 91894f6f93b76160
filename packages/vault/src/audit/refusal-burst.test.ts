/**
 * RefusalBurst (issue "P1 — Trust"): refusals of one (actor, grant, reason) in a window are one
 * entry at once plus one entry with the count of the rest — so a flood of refused requests
 * cannot grow the log without bound, and the total is never lost.
 */
import { describe, expect, it } from 'vitest'
import type { AuditEntryInput } from './audit-entry.js'
import { RefusalBurst } from './refusal-burst.js'

function burst(windowMs = 60_000) {
  let t = 0
  const written: AuditEntryInput[] = []
  let fail = false
  const b = new RefusalBurst({
    append: async (input) => {
      if (fail) throw new Error('disk full')
      written.push(input)
    },
    now: () => new Date(t),
    windowMs,
  })
  return {
    b,
    written,
    advance: (ms: number) => void (t += ms),
    failWrites: (on: boolean) => void (fail = on),
  }
}

const R = {
  actor: 'vendor:ven_a',
  vendorId: 'ven_a',
  grantId: 'grt_a',
  detail: 'ERR_GRANT_REVOKED',
} as const

describe('RefusalBurst', () => {
  it('writes the first refusal of a window at once and the rest as one counted entry when the next window opens', async () => {
    const { b, written, advance } = burst()
    for (let i = 0; i < 100; i++) await b.refuse(R)
    expect(written).toEqual([{ action: 'grant.refused', outcome: 'refused', ...R }])
    advance(60_000)
    await b.refuse(R)
    expect(written.slice(1)).toEqual([
      { action: 'grant.refused', outcome: 'refused', ...R, count: 99 },
      { action: 'grant.refused', outcome: 'refused', ...R },
    ])
    await b.flush()
    expect(written).toHaveLength(3)
  })

  it('a single further refusal is written without a count; different reasons and grants are separate bursts', async () => {
    const { b, written } = burst()
    await b.refuse(R)
    await b.refuse(R)
    await b.refuse({ ...R, detail: 'ERR_GRANT_SCOPE' })
    await b.refuse({ ...R, grantId: 'grt_b' })
    await b.flush()
    expect(written.map((e) => [e.grantId, e.detail, e.count])).toEqual([
      ['grt_a', 'ERR_GRANT_REVOKED', undefined],
      ['grt_a', 'ERR_GRANT_SCOPE', undefined],
      ['grt_b', 'ERR_GRANT_REVOKED', undefined],
      ['grt_a', 'ERR_GRANT_REVOKED', undefined],
    ])
  })

  it('a first refusal that cannot be written fails its caller and opens no window; a count that cannot be written is kept for the next flush', async () => {
    const { b, written, failWrites } = burst()
    failWrites(true)
    await expect(b.refuse(R)).rejects.toThrow('disk full')
    failWrites(false)
    await b.refuse(R)
    expect(written).toHaveLength(1)
    await b.refuse(R)
    await b.refuse(R)
    failWrites(true)
    await b.flush()
    failWrites(false)
    await b.flush()
    expect(written.map((e) => e.count)).toEqual([undefined, 2])
  })

  it('the window closes on its own: pending counts are written by a timer', async () => {
    const { b, written, advance } = burst(50)
    await b.refuse(R)
    await b.refuse(R)
    await b.refuse(R)
    advance(50)
    await new Promise((r) => setTimeout(r, 200))
    expect(written.map((e) => e.count)).toEqual([undefined, 2])
    await b.flush()
  })
})
