/**
 * The library's hot calls against the disk's own floor: `readThroughGrant` (ten fields, durable
 * audit entry) under 64 concurrent callers, with and without the grant read cache, and the
 * single-record writes `fields.set` and `purchases.add` — each compared with one-row durable
 * SQLite commits per second measured in the same run on the same disk.
 */
import { join } from 'node:path'
import type { BenchContext } from './context.js'
import { check } from './context.js'
import {
  FIELD_FOR_SET,
  GRANTED_FIELDS,
  OTHER_FIELDS,
  generatePurchases,
  openBenchVault,
} from './fixtures.js'
import { throughput } from './measure.js'
import { singleRowCommitsPerSecond } from './sqlite-baseline.js'
import { type Section, info, ms, opsPerSecond, ratio, verdict } from './table.js'

const READ_TARGET_OPS = 10_000
const CONCURRENCY = 64

export async function libraryBench(ctx: BenchContext): Promise<Section> {
  const seconds = ctx.quick
    ? { warmup: 200, read: 1000, write: 700, baseline: 500 }
    : { warmup: 1000, read: 3000, write: 2000, baseline: 2000 }
  const baselines: number[] = []
  const baseline = () => {
    baselines.push(
      singleRowCommitsPerSecond(join(ctx.dir, `baseline-${baselines.length}.db`), {
        warmupMs: 300,
        durationMs: seconds.baseline,
      }),
    )
  }
  ctx.progress('baseline: one-row durable SQLite commits')
  baseline()

  const { read, set, add, groupSize, auditEntries } = await readsAndWrites(ctx, seconds, baseline)

  ctx.progress('readThroughGrant with the read cache off')
  const cold = await coldReads(ctx, seconds)
  const commit = baselines.reduce((a, b) => a + b, 0) / baselines.length
  const against = (opsPerSec: number) => ({
    baseline: opsPerSecond(commit),
    ratio: ratio(opsPerSec, commit),
  })

  return {
    rows: [
      {
        what: `readThroughGrant, 10 fields + durable audit entry (${CONCURRENCY} in flight)`,
        figure: opsPerSecond(read.opsPerSecond),
        ...against(read.opsPerSecond),
        target: `≥ ${opsPerSecond(READ_TARGET_OPS)}`,
        result: verdict(read.opsPerSecond >= READ_TARGET_OPS),
      },
      info(
        '   its latency per call p50 / p99; process CPU per read',
        `${ms(read.p50Ms)} / ${ms(read.p99Ms)}; ${Math.round(read.cpuMicrosPerOp)} µs`,
      ),
      {
        what: 'readThroughGrant with the read cache off (every read decrypts)',
        figure: opsPerSecond(cold.opsPerSecond),
        ...against(cold.opsPerSecond),
        target: '—',
        result: '—',
      },
      info(
        '   its latency p50 / p99; CPU per read',
        `${ms(cold.p50Ms)} / ${ms(cold.p99Ms)}; ${Math.round(cold.cpuMicrosPerOp)} µs`,
      ),
      {
        what: 'fields.set, one field (sequential)',
        figure: opsPerSecond(set.opsPerSecond),
        ...against(set.opsPerSecond),
        target: '—',
        result: '—',
      },
      {
        what: 'purchases.add, one purchase (sequential)',
        figure: opsPerSecond(add.opsPerSecond),
        ...against(add.opsPerSecond),
        target: '—',
        result: '—',
      },
    ],
    notes: [
      `readThroughGrant / fields.set / purchases.add: the baseline is one-row durable commits per second — better-sqlite3 (the vault's own build), WAL, synchronous=FULL, one autocommit insert of 100 bytes per op, sequential, on a separate file (${baselines.map((b) => Math.round(b).toLocaleString('en-US')).join(', ')} ops/s before the reads, after them and after the writes; the mean is shown). A ratio above 1× beats one commit per operation, which only group commit can do. Each read's audit entry is durable before the read resolves; ${auditEntries.toLocaleString('en-US')} chained entries verified afterwards; mean group commit ${groupSize.toFixed(1)} entries. Reads of an unchanged grant reuse its decrypted slice; the cache-off row pays the select and ten decryptions every time. CPU per read is the whole process's user+system time divided by the reads.`,
    ],
  }
}

async function readsAndWrites(
  ctx: BenchContext,
  seconds: { warmup: number; read: number; write: number },
  baseline: () => void,
) {
  let auditedReads = 0
  let flushes = 0
  let flushedEntries = 0
  const vault = await openBenchVault(ctx.dir, 'library', (event) => {
    if (event.type === 'grant.read') auditedReads++
    if (event.type === 'audit.flushed') {
      flushes++
      flushedEntries += event.entries
    }
  })
  try {
    await vault.fields.setMany({ ...GRANTED_FIELDS, ...OTHER_FIELDS })
    const shop = await vault.vendors.register({ name: 'Benchmark Shop' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: Object.keys(GRANTED_FIELDS),
      actions: ['read'],
      purpose: 'Benchmark',
      durationSeconds: 86_400,
    })
    const sample = await vault.readThroughGrant(grant.id)
    check(
      Object.keys(sample.fields).length === 10 && sample.fields.email === GRANTED_FIELDS.email,
      'the grant read returns exactly the ten granted fields',
    )

    ctx.progress(`readThroughGrant, ${CONCURRENCY} in flight`)
    const before = { auditedReads, flushes, flushedEntries }
    let completed = 0
    const read = await throughput(
      async () => {
        await vault.readThroughGrant(grant.id)
        completed++
      },
      { concurrency: CONCURRENCY, warmupMs: seconds.warmup, durationMs: seconds.read },
    )
    const groupSize = (flushedEntries - before.flushedEntries) / (flushes - before.flushes)
    check(
      auditedReads - before.auditedReads === completed,
      'every completed read emitted its grant.read event',
    )
    baseline()

    ctx.progress('fields.set, sequential')
    const set = await throughput((i) => vault.fields.set(FIELD_FOR_SET, `EU ${36 + (i % 10)}`), {
      concurrency: 1,
      warmupMs: 300,
      durationMs: seconds.write,
    })
    ctx.progress('purchases.add, sequential')
    const [order] = generatePurchases(1, 10, 7)
    check(order !== undefined, 'a purchase to add')
    const add = await throughput(() => vault.purchases.add(order), {
      concurrency: 1,
      warmupMs: 300,
      durationMs: seconds.write,
    })
    baseline()

    ctx.progress('verifying the audit chain')
    const verification = await vault.audit.verify()
    check(
      verification.ok && verification.entries >= completed,
      'the audit chain verifies and holds an entry per read',
    )
    return { read, set, add, groupSize, auditEntries: verification.entries }
  } finally {
    await vault.close()
  }
}

async function coldReads(ctx: BenchContext, seconds: { warmup: number; read: number }) {
  const vault = await openBenchVault(ctx.dir, 'cold', undefined, false)
  try {
    await vault.fields.setMany({ ...GRANTED_FIELDS, ...OTHER_FIELDS })
    const shop = await vault.vendors.register({ name: 'Benchmark Shop' })
    const grant = await vault.grants.create({
      vendorId: shop.id,
      fields: Object.keys(GRANTED_FIELDS),
      actions: ['read'],
      purpose: 'Benchmark',
      durationSeconds: 86_400,
    })
    check(
      Object.keys((await vault.readThroughGrant(grant.id)).fields).length === 10,
      'the cold grant read returns the ten granted fields',
    )
    return await throughput(() => vault.readThroughGrant(grant.id), {
      concurrency: CONCURRENCY,
      warmupMs: seconds.warmup,
      durationMs: seconds.read,
    })
  } finally {
    await vault.close()
  }
}
