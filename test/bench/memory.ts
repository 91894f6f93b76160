/**
 * The server's memory, read from outside its process: idle (unsealed at the default KDF, after
 * the vendor connected), under load (64 connections reading `GET /v1/profile`), after the load,
 * and over a soak of several minutes of mixed load (three profile reads to one token refresh)
 * whose RSS must not keep growing once warmed up.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BenchContext, check } from './context.js'
import { CONNECTIONS, RefreshPool, load, loadGet, refreshRequest } from './load.js'
import { percentile } from './measure.js'
import { connectVendor } from './oauth-client.js'
import { SOAK_GROWTH_LIMIT, type RssSample, rssTrend, soakHolds } from './rss-trend.js'
import { type ServerChild, startServer } from './server-child.js'
import { type Section, info, mb, percent, perSecond, ratio, verdict } from './table.js'

/** RSS samples of `server` every `everyMs` while `work` runs. */
async function sampled<T>(
  server: ServerChild,
  everyMs: number,
  work: Promise<T>,
): Promise<{ result: T; samples: RssSample[] }> {
  const t0 = performance.now()
  const samples: RssSample[] = []
  const take = () =>
    samples.push({ atSeconds: (performance.now() - t0) / 1000, rssBytes: server.rssBytes() })
  take()
  const timer = setInterval(take, everyMs)
  try {
    const result = await work
    return { result, samples }
  } finally {
    clearInterval(timer)
  }
}

async function quietRss(server: ServerChild, waitMs: number): Promise<number> {
  await sleep(waitMs)
  const samples: number[] = []
  for (let i = 0; i < 5; i++) {
    samples.push(server.rssBytes())
    await sleep(200)
  }
  return percentile(
    samples.sort((a, b) => a - b),
    0.5,
  )
}

export async function memoryBench(ctx: BenchContext): Promise<Section> {
  const loadSeconds = ctx.quick ? 3 : 10
  const soakSeconds = Math.round(ctx.soakMinutes * 60)
  const warmupSeconds = Math.max(5, Math.round(soakSeconds * 0.2))
  const dir = join(ctx.dir, 'memory-server')
  mkdirSync(dir)
  const server = await startServer('custos', dir)
  try {
    const vendor = await connectVendor(server.base, CONNECTIONS + 16)
    const profile = { authorization: `Bearer ${vendor.accessToken}` }

    ctx.progress('server RSS idle')
    const idle = await quietRss(server, ctx.quick ? 1000 : 3000)

    ctx.progress(
      `server RSS under load: GET /v1/profile, ${CONNECTIONS} connections, ${loadSeconds} s`,
    )
    const loaded = await sampled(
      server,
      250,
      loadGet(server.base, '/v1/profile', profile, loadSeconds),
    )
    check(
      loaded.result.non2xx === 0 && loaded.result.errors === 0,
      `the profile load had no failures (${loaded.result.non2xx} non-2xx, ${loaded.result.errors} errors)`,
    )
    const underLoad = loaded.samples.map((s) => s.rssBytes).sort((a, b) => a - b)
    const peak = underLoad.at(-1) as number
    const after = await quietRss(server, ctx.quick ? 1000 : 5000)
    const heapBefore = await server.heapAfterGc()

    ctx.progress(
      `soak: ${ctx.soakMinutes} min of mixed load (3 profile reads : 1 refresh), ${CONNECTIONS} connections, RSS every 2 s`,
    )
    const pool = new RefreshPool(vendor.refreshTokens)
    const read = { method: 'GET' as const, path: '/v1/profile', headers: profile }
    const soak = await sampled(
      server,
      ctx.quick ? 500 : 2000,
      load(
        server.base,
        [read, read, read, refreshRequest(pool, vendor.clientAuthorization)],
        soakSeconds,
      ),
    )
    const trend = rssTrend(soak.samples, warmupSeconds)
    const clean = soak.result.non2xx === 0 && soak.result.errors === 0
    await sleep(1000)
    const heapAfter = await server.heapAfterGc()

    return {
      rows: [
        info('server RSS idle (unsealed, default KDF)', mb(idle)),
        {
          what: `server RSS under load (${CONNECTIONS} conns, GET /v1/profile), median / peak`,
          figure: `${mb(percentile(underLoad, 0.5))} / ${mb(peak)}`,
          baseline: `${mb(idle)} idle`,
          ratio: ratio(peak, idle),
          target: '—',
          result: '—',
        },
        {
          what: 'server RSS after the load',
          figure: mb(after),
          baseline: `${mb(idle)} idle`,
          ratio: ratio(after, idle),
          target: '—',
          result: '—',
        },
        {
          what: `soak, ${ctx.soakMinutes} min mixed load: RSS growth after warm-up`,
          figure: `${trend.growth >= 0 ? '+' : ''}${percent(trend.growth)} (${mb(trend.startBytes)} → ${mb(trend.endBytes)}; ${trend.slopeMbPerMinute.toFixed(2)} MB/min)`,
          baseline: `${mb(trend.startBytes)} after warm-up`,
          ratio: ratio(trend.endBytes, trend.startBytes),
          target: `< ${percent(SOAK_GROWTH_LIMIT)}, no errors`,
          result: verdict(soakHolds(trend), clean),
        },
        {
          what: '   heap after a full GC, before → after the soak',
          figure: `${mb(heapBefore.heapUsedBytes)} → ${mb(heapAfter.heapUsedBytes)} (RSS then ${mb(heapAfter.rssBytes)})`,
          baseline: `${mb(heapBefore.heapUsedBytes)} before`,
          ratio: ratio(heapAfter.heapUsedBytes, heapBefore.heapUsedBytes),
          target: '—',
          result: '—',
        },
        info(
          '   soak throughput',
          `${perSecond(soak.result.requestsPerSecond, 'req')}, ${soak.result.requests.toLocaleString('en-US')} requests, ${soak.result.non2xx} non-2xx, ${soak.result.errors} errors`,
        ),
      ],
      notes: [
        `Memory: the server (consent API over a vault at the default KDF) runs alone in a child process and its RSS is read from outside (/proc/PID/status VmRSS), so the load generator (autocannon, in the parent) is never counted. Idle is the median of 5 readings after the vendor connected and the server sat still; under load is sampled every 250 ms during ${loadSeconds} s of ${CONNECTIONS}-connection profile reads; after is read ${ctx.quick ? 1 : 5} s after that load stopped. The soak drives ${CONNECTIONS} connections for ${ctx.soakMinutes} min, each cycling three \`GET /v1/profile\` and one rotating refresh; RSS is sampled every ${ctx.quick ? 0.5 : 2} s (${soak.samples.length} samples). Growth compares the median of the first fifth of the samples after the ${warmupSeconds} s warm-up with the median of the last fifth; the slope is a least-squares fit over the same samples. It passes under ${percent(SOAK_GROWTH_LIMIT)} growth and with no failed request. The heap row asks the server (over IPC) for its V8 heap after two forced full collections, just before the soak and 1 s after it: what the server really retains, as against heap V8 has grown and not handed back to the system.`,
      ],
    }
  } finally {
    await server.stop()
  }
}
