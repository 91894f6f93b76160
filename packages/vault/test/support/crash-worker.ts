/**
 * A child process for the SIGKILL tests (SECURITY.md promises 10 and 11). Run with tsx:
 *
 *   node --import tsx packages/vault/test/support/crash-worker.ts '<CrashWorkerConfig as JSON>'
 *
 * It opens the vault on a SQLite file, unlocks it, prints `{"type":"ready"}` and then either
 * writes forever (`writes`) or rotates the data key (`rotate`). It prints one JSON line to
 * stdout *after* each write is acknowledged (its promise resolved), so everything the parent
 * has read is something the vault promised to keep; the parent SIGKILLs it at a moment of its
 * choosing. For overwrites it also prints an `attempt` line *before* the write, so the parent
 * knows which newer values may legitimately have committed without being acknowledged.
 *
 * Stdout to a pipe is synchronous on Linux, so a line is out of the process before the next
 * write starts. The script is not a test file: vitest never collects it.
 */
import { randomBytes } from 'node:crypto'
import { type Vault, createVault, openSqlite } from '../../src/index.js'

export interface CrashWorkerConfig {
  readonly file: string
  readonly passphrase: string
  readonly mode: 'writes' | 'rotate'
  /** First number of this run's `custom.crash.n<i>` paths (so runs on one vault never collide). */
  readonly start?: number
  /** A registered vendor, for purchases and grants (`writes`). */
  readonly vendorId?: string
  /** Records per rotation batch (`rotate`). */
  readonly batchSize?: number
}

/** A purchase as the worker submits it (a valid `OrderInput`). */
export interface CrashOrder {
  readonly seller: string
  readonly orderDate: string
  readonly currency: string
  readonly total: number
  readonly items: { name: string; quantity: number; price: number }[]
}

/** One line of the worker's stdout. */
export type CrashLine =
  | { readonly type: 'ready' }
  | { readonly type: 'field'; readonly path: string; readonly value: string }
  | { readonly type: 'counter-attempt'; readonly path: string; readonly value: number }
  | { readonly type: 'counter'; readonly path: string; readonly value: number }
  | { readonly type: 'purchase'; readonly id: string; readonly order: CrashOrder }
  | { readonly type: 'grant-created'; readonly id: string; readonly fields: string[] }
  | {
      readonly type: 'grant-narrowed'
      readonly id: string
      readonly fields: string[]
      readonly revision: number
    }
  | { readonly type: 'grant-read'; readonly id: string }
  | { readonly type: 'grant-revoked'; readonly id: string }
  | {
      readonly type: 'rotation-progress'
      readonly term: number
      readonly done: number
      readonly total: number
    }
  | { readonly type: 'rotation-done'; readonly term: number; readonly retiredTerms: number[] }

/** The overwritten field: its value only ever grows, one attempt at a time. */
export const COUNTER_PATH = 'custom.crash.counter'

function say(line: CrashLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

async function writeForever(vault: Vault, config: CrashWorkerConfig): Promise<never> {
  const vendorId = config.vendorId
  if (vendorId === undefined) throw new TypeError('writes mode needs a vendorId')
  for (let i = config.start ?? 0; ; i++) {
    for (let k = 0; k < 3; k++) {
      const n = i * 3 + k
      const path = `custom.crash.n${n}` as const
      const value = `v${n}-${randomBytes(6).toString('hex')}`
      await vault.fields.set(path, value)
      say({ type: 'field', path, value })
    }

    say({ type: 'counter-attempt', path: COUNTER_PATH, value: i })
    await vault.fields.set(COUNTER_PATH, i)
    say({ type: 'counter', path: COUNTER_PATH, value: i })

    const order: CrashOrder = {
      seller: `Seller ${i % 7}`,
      orderDate: `2026-01-${String((i % 28) + 1).padStart(2, '0')}`,
      currency: 'EUR',
      total: i + 0.5,
      items: [{ name: `Item ${i}`, quantity: 1 + (i % 3), price: i + 0.5 }],
    }
    const purchase = await vault.purchases.add(order, { vendorId })
    say({ type: 'purchase', id: purchase.id, order })

    // Narrow selectors: a grant over every crash field would outgrow the audit entry's path list.
    const fields = [COUNTER_PATH, 'email']
    const grant = await vault.grants.create({
      vendorId,
      fields,
      actions: ['read'],
      purpose: `crash test ${i}`,
      durationSeconds: 3600,
    })
    say({ type: 'grant-created', id: grant.id, fields })
    const narrowed = await vault.grants.narrow(grant.id, { fields: [COUNTER_PATH] })
    say({
      type: 'grant-narrowed',
      id: grant.id,
      fields: narrowed.fields,
      revision: narrowed.revision,
    })
    await vault.readThroughGrant(grant.id, { include: ['fields'] })
    say({ type: 'grant-read', id: grant.id })
    if (i % 2 === 1) {
      await vault.grants.revoke(grant.id)
      say({ type: 'grant-revoked', id: grant.id })
    }
  }
}

async function rotate(vault: Vault, config: CrashWorkerConfig): Promise<void> {
  const result = await vault.rotateKeys({
    batchSize: config.batchSize ?? 5,
    onProgress: (p) =>
      say({ type: 'rotation-progress', term: p.term, done: p.done, total: p.total }),
  })
  say({ type: 'rotation-done', term: result.term, retiredTerms: result.retiredTerms })
}

async function main(): Promise<void> {
  const raw = process.argv[2]
  if (raw === undefined) throw new TypeError('usage: crash-worker.ts <config JSON>')
  const config = JSON.parse(raw) as CrashWorkerConfig
  const vault = await createVault({ database: openSqlite(config.file), kdf: 'interactive' })
  await vault.unlock(config.passphrase)
  say({ type: 'ready' })
  if (config.mode === 'writes') await writeForever(vault, config)
  else await rotate(vault, config)
  await vault.close()
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `crash-worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    )
    process.exit(1)
  },
)
