/**
 * Signals (issue 12): how long a revocation takes to reach a listening vendor, and whether a
 * burst of field changes stays within the outbox's bound.
 *
 * - Revocation: a real app (`createApp` with push delivery on, as `custos serve` runs it) and a
 *   vendor's RFC 8935 receiver on a loopback port; the owner revokes through the owner API and
 *   the clock runs until the SET naming that grant arrives. The baseline is one bare POST to the
 *   same receiver in the same run: what the network part alone costs. Target: p99 < 1 s.
 * - Fan-out: 50 vendors, each with a grant covering `email`; 1,000 changes of `email` with
 *   delivery stopped. Coalescing must keep the outbox at one pending `field.changed` per grant.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createApp } from '@custos/consent-api'
import { createVault, openSqlite } from '@custos/vault'
import { type BenchContext, check } from './context.js'
import { BENCH_ISSUER, PASSPHRASE } from './fixtures.js'
import { percentile } from './measure.js'
import { type Section, ms, ratio, verdict } from './table.js'

const TARGET_MS = 1000
const FAN_OUT_VENDORS = 50
const FAN_OUT_CHANGES = 1000

async function receiver() {
  const arrivals = new Map<string, number>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      const at = performance.now()
      res.statusCode = 202
      res.end()
      if (body === '') return
      try {
        // The SET's claims (its signature is the tests' business, not the clock's).
        const claims = JSON.parse(Buffer.from(body.split('.')[1] ?? '', 'base64url').toString())
        const events = claims.events as Record<string, { grant_id?: string }>
        for (const e of Object.values(events)) if (e.grant_id) arrivals.set(e.grant_id, at)
      } catch {
        // the baseline's empty POSTs
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/events`, arrivals, close: () => server.close() }
}

export async function signalsBench(ctx: BenchContext): Promise<Section> {
  const database = openSqlite(join(ctx.dir, 'signals.db'))
  const vault = await createVault({ database, kdf: 'interactive' })
  await vault.initialize(PASSPHRASE)
  const stop = new AbortController()
  const app = await createApp({
    vault,
    database,
    config: { issuer: BENCH_ISSUER },
    signalDelivery: { stop: stop.signal },
  })
  const vendor = await receiver()
  try {
    const session = await app.request('/owner/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ passphrase: PASSPHRASE }),
    })
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] as string
    const { csrf_token: csrf } = (await session.json()) as { csrf_token: string }
    const reg = await app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Listening Shop',
        redirect_uris: ['https://shop.example/cb'],
        custos_events_endpoint: vendor.url,
      }),
    })
    const { client_id: vendorId } = (await reg.json()) as { client_id: string }
    await vault.fields.set('email', 'ada@example.org')

    // The network part alone: bare POSTs to the same receiver.
    const bare: number[] = []
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now()
      await fetch(vendor.url, { method: 'POST', body: '' })
      bare.push(performance.now() - t0)
    }
    bare.sort((a, b) => a - b)

    const runs = ctx.quick ? 10 : 40
    const latencies: number[] = []
    for (let i = 0; i < runs; i++) {
      const grant = await vault.grants.create({
        vendorId,
        fields: ['email'],
        actions: ['read'],
        purpose: 'Order updates',
        durationSeconds: 3600,
      })
      const t0 = performance.now()
      const res = await app.request(`/owner/grants/${grant.id}/revoke`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf },
      })
      check(res.status === 200, `revoke answered ${res.status}`)
      const deadline = t0 + 10_000
      while (!vendor.arrivals.has(grant.id) && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 1))
      check(vendor.arrivals.has(grant.id), 'a revocation never arrived')
      latencies.push((vendor.arrivals.get(grant.id) as number) - t0)
    }
    latencies.sort((a, b) => a - b)
    const p50 = percentile(latencies, 0.5)
    const p99 = percentile(latencies, 0.99)
    const bareP50 = percentile(bare, 0.5)

    // Fan-out with delivery stopped: what the outbox holds after a burst.
    stop.abort()
    for (let v = 0; v < FAN_OUT_VENDORS; v++) {
      const other = await vault.vendors.register({ name: `Shop ${v}` })
      await vault.grants.create({
        vendorId: other.id,
        fields: ['email'],
        actions: ['read'],
        purpose: 'Receipts',
        durationSeconds: 3600,
      })
    }
    const t0 = performance.now()
    for (let i = 0; i < FAN_OUT_CHANGES; i++)
      await vault.fields.set('email', `ada+${i}@example.org`)
    const fanOutMs = performance.now() - t0
    const pending = (await vault.signals.due(1000)).filter((s) => s.kind === 'field.changed')
    // One per grant; the listening shop's grants are all revoked, so none for it.
    const bound = FAN_OUT_VENDORS
    return {
      rows: [
        {
          what: `revocation reaches a listening vendor (push, RFC 8935), p50 / p99 of ${runs}`,
          figure: `${ms(p50)} / ${ms(p99)}`,
          baseline: `${ms(bareP50)} bare POST`,
          ratio: ratio(p50, bareP50),
          target: `p99 < ${TARGET_MS} ms`,
          result: verdict(p99 < TARGET_MS),
        },
        {
          what: `${FAN_OUT_CHANGES.toLocaleString('en-US')} changes of a field granted to ${FAN_OUT_VENDORS} vendors: pending signals`,
          figure: `${pending.length} (${ms(fanOutMs / FAN_OUT_CHANGES)} per change)`,
          baseline: '—',
          ratio: '—',
          target: `≤ ${bound} (one per grant)`,
          result: verdict(pending.length <= bound),
        },
      ],
      notes: [
        'Signals: the owner revokes through the owner API of an app with push delivery on (250 ms rounds, and a round at once after every owner change); the time runs to the moment the vendor’s receiver has the SET naming that grant. The fan-out runs with delivery stopped and counts the pending field-changed signals.',
      ],
    }
  } finally {
    stop.abort()
    vendor.close()
    await vault.close()
  }
}
