/**
 * The token endpoint under a `refresh_token` grant load over real HTTP (64 connections, each
 * request spending one refresh token and rotating it), and the consent page rendered for a
 * signed-in owner; both against a bare hono hello-world served the same way in the same run.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { type BenchContext, check } from './context.js'
import { GRANTED_FIELDS } from './fixtures.js'
import { CONNECTIONS, type LoadResult, RefreshPool, load, loadGet, refreshRequest } from './load.js'
import { latencies, percentile } from './measure.js'
import { connectVendor } from './oauth-client.js'
import { startServer } from './server-child.js'
import { singleRowCommitsPerSecond } from './sqlite-baseline.js'
import { type Section, ms, perSecond, percent } from './table.js'

/** Sequential GETs with `fetch` (keep-alive), each checked; sorted latencies in ms. */
async function sequentialGets(
  url: string,
  headers: Record<string, string>,
  runs: number,
  expect: string,
): Promise<number[]> {
  return latencies(
    async () => {
      const res = await fetch(url, { headers })
      const body = await res.text()
      if (res.status !== 200 || !body.includes(expect))
        throw new Error(`GET ${url}: HTTP ${res.status}`)
    },
    runs,
    20,
  )
}

export async function tokenBench(ctx: BenchContext): Promise<Section> {
  const seconds = ctx.quick ? 2 : 5
  const pageRuns = ctx.quick ? 50 : 300

  ctx.progress(
    `hello-world baseline: ${CONNECTIONS} connections, 1 s warm-up + ${seconds} s; ${pageRuns} sequential GETs`,
  )
  const hello = await startServer('hello')
  let helloLoad: LoadResult
  let helloPage: number[]
  try {
    await loadGet(hello.base, '/', {}, 1)
    helloLoad = await loadGet(hello.base, '/', {}, seconds)
    helloPage = await sequentialGets(`${hello.base}/`, {}, pageRuns, 'Hello')
  } finally {
    await hello.stop()
  }

  const dir = join(ctx.dir, 'token-server')
  mkdirSync(dir)
  const server = await startServer('custos', dir)
  let refresh: LoadResult
  let consent: number[]
  let poolLeft: number
  try {
    // Two runs (warm-up, measure) each strand up to one token per connection: see RefreshPool.
    const families = CONNECTIONS * 3 + 16
    ctx.progress(
      `connecting the vendor over HTTP (${families} authorization-code flows through the consent page)`,
    )
    const t0 = performance.now()
    const vendor = await connectVendor(server.base, families)
    ctx.progress(
      `connected in ${((performance.now() - t0) / 1000).toFixed(1)} s; refresh_token grants, ${CONNECTIONS} connections, 1 s warm-up + ${seconds} s`,
    )
    const pool = new RefreshPool(vendor.refreshTokens)
    await load(server.base, [refreshRequest(pool, vendor.clientAuthorization)], 1)
    refresh = await load(server.base, [refreshRequest(pool, vendor.clientAuthorization)], seconds)
    poolLeft = pool.size
    check(
      refresh.errors === 0 && refresh.non2xx === 0,
      `every refresh succeeded (${refresh.non2xx} non-2xx, ${refresh.errors} errors)`,
    )

    ctx.progress(`consent page for a signed-in owner, ${pageRuns} sequential GETs`)
    consent = await sequentialGets(
      `${server.base}${vendor.pendingPath}`,
      { cookie: vendor.ownerCookie },
      pageRuns,
      String(GRANTED_FIELDS['name.family']),
    )
  } finally {
    await server.stop()
  }

  // The disk's durable-commit rate right after: a rotation commits (claim the old token, insert
  // the new pair), so this floor explains a token figure on a busy disk.
  const commits = singleRowCommitsPerSecond(join(ctx.dir, 'token-commits.db'), {
    warmupMs: 300,
    durationMs: ctx.quick ? 500 : 2000,
  })
  const p = (xs: number[], q: number) => percentile(xs, q)
  return {
    rows: [
      {
        what: `token endpoint, refresh_token grant (rotating), ${CONNECTIONS} conns`,
        figure: perSecond(refresh.requestsPerSecond, 'req'),
        baseline: `${perSecond(helloLoad.requestsPerSecond, 'req')} hello-world`,
        ratio: percent(refresh.requestsPerSecond / helloLoad.requestsPerSecond),
        target: '—',
        result: '—',
      },
      {
        what: '   its latency p50 / p99',
        figure: `${ms(refresh.p50Ms)} / ${ms(refresh.p99Ms)}`,
        baseline: `${ms(helloLoad.p50Ms)} / ${ms(helloLoad.p99Ms)}`,
        ratio: '—',
        target: '—',
        result: '—',
      },
      {
        what: 'consent page render, signed-in owner (10 fields), p50 / p99',
        figure: `${ms(p(consent, 0.5))} / ${ms(p(consent, 0.99))}`,
        baseline: `${ms(p(helloPage, 0.5))} / ${ms(p(helloPage, 0.99))} hello-world`,
        ratio: `${(p(consent, 0.5) / p(helloPage, 0.5)).toFixed(1)}×`,
        target: '—',
        result: '—',
      },
    ],
    notes: [
      `Token endpoint: a confidential client (client_secret_basic) connected through ${CONNECTIONS * 3 + 16} real authorization-code flows over HTTP; each request spends one live refresh token and its answer hands back the rotated one to a shared pool, so every request is a genuine rotation (claim the old token, insert the new pair). ${refresh.requests.toLocaleString('en-US')} refreshes in ${seconds} s after 1 s of warm-up, all 200 (${poolLeft} families still live at the end). The server runs in its own child process with the vault at the default KDF; autocannon runs in the parent. The baseline is a bare hono hello-world (@hono/node-server) under the same load. For scale, this disk did ${Math.round(commits).toLocaleString('en-US')} one-row durable SQLite commits/s right afterwards (see the library rows).`,
      `Consent page: \`GET /oauth/authorize/pending/:id\` with the owner's session cookie — session lookup and touch (one write), the pending request, the vendor, the ten current values decrypted, the HTML — ${pageRuns} sequential requests with fetch (keep-alive) after 20 unmeasured; the baseline is the same sequence of GETs to the hello-world.`,
    ],
  }
}
