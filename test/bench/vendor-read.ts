/**
 * The vendor read path over HTTP as http.ts measures it (`GET /v1/profile`: token check, ten
 * granted fields, durable audit entry, against a hono hello-world), turned into report rows.
 */
import type { BenchContext } from './context.js'
import { measureHttp } from './http.js'
import { type Section, ms, percent, perSecond, verdict } from './table.js'

const RATIO_TARGET = 0.2
const P99_TARGET_MS = 15

export async function vendorReadBench(ctx: BenchContext): Promise<Section> {
  const seconds = ctx.quick ? 2 : 5
  ctx.progress(`HTTP: hello-world, then GET /v1/profile, 64 connections, 1 s warm-up + ${seconds} s each`)
  const { hello, profile } = await measureHttp(seconds)
  const share = profile.requestsPerSecond / hello.requestsPerSecond
  const clean = profile.non2xx === 0 && profile.errors === 0
  return {
    rows: [
      {
        what: 'vendor read GET /v1/profile, 10 fields, audited (64 conns)',
        figure: `${perSecond(profile.requestsPerSecond, 'req')}${clean ? '' : ` (${profile.non2xx} non-2xx, ${profile.errors} errors)`}`,
        baseline: `${perSecond(hello.requestsPerSecond, 'req')} hello-world`,
        ratio: percent(share),
        target: `≥ ${percent(RATIO_TARGET)}`,
        result: verdict(clean, share >= RATIO_TARGET),
      },
      {
        what: '   its latency p50 / p99',
        figure: `${ms(profile.p50Ms)} / ${ms(profile.p99Ms)}`,
        baseline: `${ms(hello.p50Ms)} / ${ms(hello.p99Ms)}`,
        ratio: '—',
        target: `p99 < ${P99_TARGET_MS} ms`,
        result: verdict(profile.p99Ms < P99_TARGET_MS),
      },
    ],
    notes: [
      `Vendor read: each server in its own child process on 127.0.0.1 (test/bench/http.ts), autocannon with 64 connections for ${seconds} s after 1 s of warm-up in this process; Custos answers with the ten granted fields after checking the access token and durably auditing the read. The baseline is a bare hono hello-world served the same way (@hono/node-server).`,
    ],
  }
}
