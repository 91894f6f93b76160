/**
 * `pnpm bench -- --peers`: a peer measured in the same run, the same way. In each round, a bare
 * hono hello-world, then Custos's vendor read (http.ts: `GET /v1/profile`, ten granted fields,
 * token checked, read durably audited), then Community Solid Server's authenticated read of a
 * private ten-field resource (solid-peer.ts) — each after 1 s of warm-up, each driven by
 * autocannon at 64 connections against 127.0.0.1 for the same bounded time.
 */
import { join } from 'node:path'
import type autocannon from 'autocannon'
import { type BenchContext, check } from './context.js'
import { type HttpResult, measureHttp } from './http.js'
import { type LoadResult, load } from './load.js'
import {
  SOLID_VERSION,
  installSolid,
  type SolidReader,
  solidReader,
  startSolid,
} from './solid-peer.js'
import { type Row, type Section, ms, percent, perSecond } from './table.js'
import { median } from './vendor-read.js'

/**
 * Proofs signed before a timed run: signing in autocannon's synchronous request hook is not
 * possible, and signing while measuring would take the peer's CPU. Far more than the peer answers
 * in one run (it serves tens of reads a second here); should the pool run dry, the repeated `jti`
 * is refused and shows as non-2xx answers in the row, not as a better figure.
 */
const PROOFS_PER_RUN = 3000

async function solidLoad(reader: SolidReader, seconds: number): Promise<LoadResult> {
  const proofs = await Promise.all(
    Array.from({ length: PROOFS_PER_RUN }, () =>
      reader.signer.proof('GET', reader.url, reader.accessToken),
    ),
  )
  const url = new URL(reader.url)
  const request: autocannon.Request = {
    method: 'GET',
    path: url.pathname,
    // The pod's base names localhost (solid-peer.ts); the connection is to 127.0.0.1.
    headers: { host: url.host, authorization: `DPoP ${reader.accessToken}` },
    setupRequest: (req) => ({
      ...req,
      headers: { ...req.headers, dpop: proofs.pop() ?? 'exhausted' },
    }),
  }
  return load(`http://127.0.0.1:${url.port}`, [request], seconds)
}

interface Round {
  readonly hello: HttpResult
  readonly custos: HttpResult
  readonly solid: LoadResult
}

export async function peersBench(ctx: BenchContext): Promise<Section> {
  const seconds = ctx.quick ? 2 : 5
  const rounds = ctx.quick ? 1 : 3
  const dir = join(ctx.dir, 'solid')
  ctx.progress(`installing ${'@solid/community-server'}@${SOLID_VERSION} from npm into ${dir}`)
  const installStarted = Date.now()
  await installSolid(dir)
  ctx.progress(`installed in ${((Date.now() - installStarted) / 1000).toFixed(0)} s; starting it`)
  const solid = await startSolid(dir)
  const results: Round[] = []
  try {
    const reader = await solidReader(solid.base)
    for (let round = 1; round <= rounds; round++) {
      ctx.progress(
        `peer round ${round} of ${rounds}: hello-world, Custos GET /v1/profile, Community Solid Server read; 1 s warm-up + ${seconds} s each`,
      )
      const { hello, profile } = await measureHttp(seconds)
      await solidLoad(reader, 1)
      const read = await solidLoad(reader, seconds)
      ctx.progress(
        `Community Solid Server: ${read.requests} reads, ${read.non2xx} non-2xx, ${read.errors} errors`,
      )
      check(read.requests > 0, 'Community Solid Server answered no read in the timed run')
      results.push({ hello, custos: profile, solid: read })
    }
  } finally {
    solid.stop()
  }
  const shareOf = (pick: (r: Round) => HttpResult) =>
    median(results.map((r) => pick(r).requestsPerSecond / r.hello.requestsPerSecond))
  const custosShare = shareOf((r) => r.custos)
  const solidShare = shareOf((r) => r.solid)
  const failures = (pick: (r: Round) => HttpResult) =>
    results.reduce((n, r) => n + pick(r).non2xx + pick(r).errors, 0)
  const helloRps = median(results.map((r) => r.hello.requestsPerSecond))
  const row = (what: string, pick: (r: Round) => HttpResult, share: number): Row => {
    const bad = failures(pick)
    return {
      what,
      figure: `${perSecond(median(results.map((r) => pick(r).requestsPerSecond)), 'req')}, p99 ${ms(median(results.map((r) => pick(r).p99Ms)))}${bad > 0 ? ` (${bad} non-2xx or errors)` : ''}`,
      baseline: `${perSecond(helloRps, 'req')} hello-world`,
      // A peer's share can be a small fraction of a per cent: two decimals, and the one-in-N.
      ratio: `${share < 0.01 ? `${(share * 100).toFixed(2)}%` : percent(share)} (1/${Math.round(1 / share).toLocaleString('en-US')})`,
      target: '—',
      result: '—',
    }
  }
  const perRound = results
    .map(
      (r, i) =>
        `round ${i + 1}: hello-world ${perSecond(r.hello.requestsPerSecond, 'req')}, Custos ${perSecond(r.custos.requestsPerSecond, 'req')}, Community Solid Server ${perSecond(r.solid.requestsPerSecond, 'req')} (${r.solid.requests} reads, p50 ${ms(r.solid.p50Ms)})`,
    )
    .join('; ')
  return {
    rows: [
      row(
        `peer: Community Solid Server ${SOLID_VERSION}, DPoP-authenticated read of a private 10-field resource (64 conns${rounds > 1 ? `, median of ${rounds}` : ''})`,
        (r) => r.solid,
        solidShare,
      ),
      row('   Custos GET /v1/profile in the same rounds', (r) => r.custos, custosShare),
      {
        what: '   Custos ÷ Community Solid Server',
        figure: `${(custosShare / solidShare).toFixed(0)}×`,
        baseline: '—',
        ratio: '—',
        target: '—',
        result: '—',
      },
    ],
    notes: [
      `Peers (\`pnpm bench -- --peers\`, test/bench/peers.ts): Community Solid Server ${SOLID_VERSION} installed from npm into the run's temporary folder, started with its file backend (\`@css:config/file.json\`) on a free port, set up through its account API (account, pod, client credentials), a DPoP-bound access token from its token endpoint (client_credentials, Solid-OIDC), and a private JSON resource holding the same ten fields Custos grants, readable only by the pod's owner (checked: an anonymous read answers 401). Every request carries the token and a fresh DPoP proof (${PROOFS_PER_RUN} signed before each timed run, since CSS refuses a replayed jti). Custos's row is its Bearer read, which a confidential client uses; with DPoP Custos checks a proof as well. Every round: ${perRound}.`,
    ],
  }
}
