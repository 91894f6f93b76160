/**
 * Runs in a fresh child process (started by mailbox.ts with `--expose-gc --import tsx`): unlocks a
 * vault, then imports a mailbox the way `custos import-purchases FILE --format email --yes` does —
 * read as it streams, previewed, the orders written — while sampling this process's RSS. Prints
 * one JSON line, {@link MailboxMemoryReport}, on stdout.
 *
 * Usage: node --expose-gc --import tsx mailbox-memory.ts <sqlite file> <mbox file>
 */
import { createReadStream } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { previewImport, purchasesToImport } from '@custos/consent-api'
import { createVault, openSqlite } from '@custos/vault'
import { PASSPHRASE } from './fixtures.js'

export interface MailboxMemoryReport {
  /** RSS with the vault unlocked, before the import (after forced garbage collection). */
  readonly rssBeforeBytes: number
  /** The highest RSS sampled (every 20 ms) while the import ran. */
  readonly rssPeakBytes: number
  readonly messagesRead: number
  readonly ordersWritten: number
  readonly seconds: number
}

async function collectGarbage(): Promise<void> {
  if (typeof gc !== 'function') return
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(100)
  }
}

async function main(dbFile: string, mbox: string): Promise<MailboxMemoryReport> {
  const vault = await createVault({ database: openSqlite(dbFile), kdf: 'interactive' })
  await vault.initialize(PASSPHRASE)
  await collectGarbage()
  const rssBeforeBytes = process.memoryUsage().rss
  let rssPeakBytes = rssBeforeBytes
  const sample = setInterval(() => {
    rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage().rss)
  }, 20)
  let messagesRead = 0
  const t0 = performance.now()
  try {
    const preview = await previewImport(vault, {
      format: 'email',
      chunks: createReadStream(mbox, { highWaterMark: 1024 * 1024 }),
      onProgress: (p) => {
        messagesRead = p.messages
      },
    })
    const { orders, options } = purchasesToImport(preview.rows, 'skip')
    const ordersWritten = (await vault.purchases.addMany(orders, options)).length
    rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage().rss)
    const seconds = (performance.now() - t0) / 1000
    return { rssBeforeBytes, rssPeakBytes, messagesRead, ordersWritten, seconds }
  } finally {
    clearInterval(sample)
    await vault.close()
  }
}

const [dbFile, mbox] = process.argv.slice(2)
if (dbFile === undefined || mbox === undefined)
  throw new TypeError('usage: mailbox-memory.ts <sqlite file> <mbox file>')
process.stdout.write(`${JSON.stringify(await main(dbFile, mbox))}\n`)
