/**
 * Reliability campaign, load (issue 5): 64 vendors, each with its own grant and tokens from the
 * real consent flow, hammer one `custos serve` process concurrently for 60 s (5 minutes with
 * CUSTOS_LONG=1) with a mix of profile and purchase reads, receipt appends, refreshes (rotation)
 * and revocations (RFC 7009) followed by a new authorization. The only non-2xx answers allowed
 * are the 401s a vendor gets when it uses a token it has just revoked. Afterwards the server
 * holds no more file descriptors than before (no leaked sockets or files), its RSS did not keep
 * growing through the run, and the audit chain verifies.
 *
 * The figures here are not asserted as speeds (no timed assertions in tests; `pnpm bench` measures
 * speed); with CUSTOS_RELIABILITY_FIGURES=FILE they are written there for RELIABILITY.md.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type ServerProcess, initVault, startServer } from '../support/server-process.js'
import { LOAD_TEST_LIMITS } from '../support/load-test-limits.js'
import { recordFigures } from './support/figures.js'
import {
  OwnerBrowser,
  type Vendor,
  authorizeVendor,
  discover,
  rawRefresh,
  registerVendor,
} from './support/vendor-flow.js'

const PASSPHRASE = 'sixty-four vendors walk into a vault'
const VENDORS = 64
const DURATION_MS = process.env.CUSTOS_LONG === '1' ? 300_000 : 60_000

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** File descriptors once idle keep-alive sockets have timed out (the server closes them after 5 s). */
async function idleFds(server: ServerProcess, atMost?: number): Promise<number> {
  let fds = server.fdCount()
  for (let i = 0; i < 40 && (atMost === undefined ? i < 14 : fds > atMost); i++) {
    await sleep(500)
    fds = server.fdCount()
  }
  return fds
}

describe('load: 64 concurrent vendors', () => {
  it(
    `mixed read / refresh / revoke for ${DURATION_MS / 1000} s: no errors but the expected 401s, no leaked handles, stable RSS`,
    async () => {
      const data = mkdtempSync(join(tmpdir(), 'custos-load-'))
      cleanups.push(() => rmSync(data, { recursive: true, force: true }))
      const { keyFile } = await initVault({ data }, PASSPHRASE)
      const server = await startServer({ data, keyFile, limits: LOAD_TEST_LIMITS })
      cleanups.push(async () => void (await server.kill()))
      const base = server.url
      const session = await fetch(`${base}/owner/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ passphrase: PASSPHRASE }),
      })
      const owner = {
        cookie: (session.headers.get('set-cookie') ?? '').split(';')[0] as string,
        csrf: ((await session.json()) as { csrf_token: string }).csrf_token,
      }
      await fetch(`${base}/owner/fields/email`, {
        method: 'PUT',
        headers: {
          cookie: owner.cookie,
          'x-csrf-token': owner.csrf,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ value: 'ada@example.org' }),
      })

      const as = await discover(base)
      const browser = new OwnerBrowser(base)
      interface Seat {
        vendor: Vendor
        access: string
        refresh: string
      }
      const onboard = async (i: number): Promise<Seat> => {
        const vendor = await registerVendor(as, `Vendor ${i}`)
        const t = await authorizeVendor(as, vendor, browser, PASSPHRASE)
        return { vendor, access: t.access_token, refresh: t.refresh_token as string }
      }
      // The first vendor alone, so the owner's browser signs in once (concurrent sign-ins would each
      // count as an unlock attempt until their KDF finishes, SECURITY.md 8); then eight at a time.
      const seats: Seat[] = [await onboard(0)]
      for (let i = 1; i < VENDORS; i += 9)
        seats.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(9, VENDORS - i) }, (_, j) => onboard(i + j)),
          )),
        )

      const rss: number[] = [server.rss()]
      const tally = {
        reads: 0,
        purchaseReads: 0,
        appends: 0,
        refreshes: 0,
        revocations: 0,
        expected401: 0,
        reauthorizations: 0,
      }
      const errors: string[] = []
      const sampler = setInterval(() => rss.push(server.rss()), 2_000)
      cleanups.push(() => clearInterval(sampler))
      const basic = (v: Vendor) =>
        `Basic ${Buffer.from(`${encodeURIComponent(v.client.client_id)}:${encodeURIComponent(v.secret)}`).toString('base64')}`
      const fail = async (what: string, res: Response) => {
        if (errors.length < 20)
          errors.push(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 160)}`)
        else await res.body?.cancel()
      }

      /** All 64 vendors at once until `ms` have passed. */
      const load = (ms: number) => {
        const deadline = Date.now() + ms
        return Promise.all(
          seats.map(async (seat, n) => {
            let step = n
            while (Date.now() < deadline) {
              const roll = (step++ * 7919) % 100
              const auth = { authorization: `Bearer ${seat.access}` }
              if (roll < 70) {
                const res = await fetch(`${base}/v1/profile`, { headers: auth })
                if (res.status !== 200) await fail('read', res)
                else {
                  await res.body?.cancel()
                  tally.reads++
                }
              } else if (roll < 78) {
                const res = await fetch(`${base}/v1/purchases?limit=10`, { headers: auth })
                if (res.status !== 200) await fail('purchases', res)
                else {
                  await res.body?.cancel()
                  tally.purchaseReads++
                }
              } else if (roll < 84) {
                const res = await fetch(`${base}/v1/purchases`, {
                  method: 'POST',
                  headers: { ...auth, 'content-type': 'application/json' },
                  body: JSON.stringify({
                    seller: 'Vendor',
                    orderDate: '2026-05-01',
                    currency: 'EUR',
                    total: 1,
                  }),
                })
                if (res.status !== 202) await fail('append', res)
                else {
                  await res.body?.cancel()
                  tally.appends++
                }
              } else if (roll < 97) {
                const res = await rawRefresh(base, seat.vendor, seat.refresh)
                if (res.status !== 200) await fail('refresh', res)
                else {
                  const t = (await res.json()) as { access_token: string; refresh_token: string }
                  seat.access = t.access_token
                  seat.refresh = t.refresh_token
                  tally.refreshes++
                }
              } else {
                // The vendor logs out (RFC 7009): its next read with the old token is the expected 401.
                const res = await fetch(`${base}/oauth/revoke`, {
                  method: 'POST',
                  headers: {
                    authorization: basic(seat.vendor),
                    'content-type': 'application/x-www-form-urlencoded',
                  },
                  body: new URLSearchParams({ token: seat.refresh }).toString(),
                })
                if (res.status !== 200) await fail('revoke', res)
                else {
                  await res.body?.cancel()
                  tally.revocations++
                  const after = await fetch(`${base}/v1/profile`, { headers: auth })
                  if (after.status === 401) {
                    await after.body?.cancel()
                    tally.expected401++
                  } else await fail('read after revoke', after)
                  const t = await authorizeVendor(as, seat.vendor, browser, PASSPHRASE)
                  seat.access = t.access_token
                  seat.refresh = t.refresh_token as string
                  tally.reauthorizations++
                }
              }
            }
          }),
        )
      }

      // A first quarter warms the server up (lazily opened resources, JIT, caches); the descriptors it
      // then holds idle are the baseline the remaining three quarters must not grow.
      await load(DURATION_MS / 4)
      const fdsBefore = await idleFds(server)
      const targetsBefore = server.fdTargets()
      await load((DURATION_MS * 3) / 4)
      clearInterval(sampler)
      rss.push(server.rss())

      expect(errors).toEqual([])
      expect(tally.reads).toBeGreaterThan(VENDORS)
      expect(tally.refreshes).toBeGreaterThan(0)
      expect(tally.revocations).toBeGreaterThan(0)
      expect(tally.expected401).toBe(tally.revocations)

      // No leaked handles: once idle connections have closed, no more descriptors than before the load.
      const fdsAfter = await idleFds(server, fdsBefore)
      const kinds = (targets: string[]) =>
        targets
          .map((t) => t.replace(/\[\d+\]/, ''))
          .sort()
          .join(', ')
      expect(
        fdsAfter,
        `descriptors before ${fdsBefore} (${kinds(targetsBefore)}), after ${fdsAfter} (${kinds(server.fdTargets())})`,
      ).toBeLessThanOrEqual(fdsBefore)
      // Stable RSS: the second half of the run never rises far above the first half's peak.
      const half = Math.ceil(rss.length / 2)
      const firstPeak = Math.max(...rss.slice(0, half))
      const secondPeak = Math.max(...rss.slice(half))
      expect(
        secondPeak,
        `RSS first half peak ${firstPeak}, second half peak ${secondPeak}`,
      ).toBeLessThan(firstPeak * 1.5)
      expect(secondPeak).toBeLessThan(1024 * 1024 * 1024)

      const verdict = await fetch(`${base}/owner/audit/verify`, {
        headers: { cookie: owner.cookie },
      })
      expect(await verdict.json()).toMatchObject({ ok: true })
      const requests =
        tally.reads + tally.purchaseReads + tally.appends + tally.refreshes + tally.revocations * 2
      recordFigures('load', {
        vendors: VENDORS,
        seconds: DURATION_MS / 1000,
        ...tally,
        requests,
        requestsPerSecond: Math.round(requests / (DURATION_MS / 1000)),
        errors: errors.length,
        fdsBefore,
        fdsAfter,
        rssFirstHalfPeakMB: Math.round(firstPeak / 2 ** 20),
        rssSecondHalfPeakMB: Math.round(secondPeak / 2 ** 20),
        rssEndMB: Math.round((rss.at(-1) ?? 0) / 2 ** 20),
      })
      expect(await server.stop()).toBe(0)
    },
    DURATION_MS + 240_000,
  )
})
