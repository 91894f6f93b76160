/**
 * Issue 14 (P6): `custos import-purchases FILE --format …` as the real process — a preview that
 * writes nothing, `--yes` that writes the purchases once, a mailbox with progress on stderr, and
 * bad input refused in words with the vault unchanged.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createVault, openSqlite } from '@custos/vault'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSPHRASE, runCli, tempDir } from './support/run-cli.js'

const temp = tempDir()
const data = join(temp.dir, 'data')
const withPass = ['--data', data, '--passphrase-file', temp.passFile]
const fixture = (name: string) =>
  new URL(`../../../consent-api/test/fixtures/imports/${name}`, import.meta.url).pathname

async function stored(): Promise<{ seller: string; provenance: string; importSource?: string }[]> {
  const vault = await createVault({ database: openSqlite(join(data, 'custos.db')) })
  try {
    await vault.unlock(PASSPHRASE)
    return (await vault.purchases.list({ limit: 500 })).items
  } finally {
    await vault.close()
  }
}

beforeAll(async () => {
  const init = await runCli(['init', '--kdf', 'interactive', ...withPass])
  expect(init.stderr).toBe('')
  expect(init.code).toBe(0)
})
afterAll(() => temp.dispose())

describe('custos import-purchases', () => {
  it('previews a PayPal download without writing, then imports it with --yes, once', async () => {
    const file = fixture('paypal-activity-en-GB.csv')
    const preview = await runCli(['import-purchases', file, ...withPass])
    expect(preview.code).toBe(0)
    expect(preview.stdout).toContain(
      '(paypal): 2 purchases, 0 with issues, 4 not purchases, 0 already in the vault or repeated.',
    )
    expect(preview.stdout).toContain('row 3: left out, a refund')
    expect(preview.stdout).toContain(
      'Nothing was written. Run again with --yes to import 2 purchases.',
    )
    expect(await stored()).toEqual([])

    const done = await runCli([
      'import-purchases',
      file,
      '--format',
      'paypal',
      '--yes',
      ...withPass,
    ])
    expect(done.code).toBe(0)
    expect(done.stdout).toContain('Imported 2 purchases')
    const again = await runCli(['import-purchases', file, '--yes', ...withPass])
    expect(again.stdout).toContain('2 already in the vault or repeated')
    expect(again.stdout).toContain('Imported 0 purchases')
    const items = await stored()
    expect(items).toHaveLength(2)
    expect(new Set(items.map((p) => p.provenance))).toEqual(new Set(['import']))
    // Each records the file it came from.
    expect(new Set(items.map((p) => p.importSource))).toEqual(
      new Set(['paypal: paypal-activity-en-GB.csv']),
    )
  })

  it('imports an Amazon export and a mailbox (told from the file), progress on stderr', async () => {
    const amazon = await runCli([
      'import-purchases',
      fixture('amazon-Retail.OrderHistory.1.csv'),
      '--yes',
      ...withPass,
    ])
    expect(amazon.code).toBe(0)
    expect(amazon.stdout).toContain('(amazon): 3 purchases, 1 with issues, 1 not purchases')
    expect(amazon.stdout).toContain('Imported 3 purchases')
    const mail = await runCli(['import-purchases', fixture('orders.mbox'), '--yes', ...withPass])
    expect(mail.code).toBe(0)
    expect(mail.stdout).toContain('(email): 3 purchases, 0 with issues, 2 not purchases')
    expect(mail.stdout).toContain('message 2: left out, no order markup')
    expect(mail.stderr).toContain('import-purchases: 1 messages read')
    expect(await stored()).toHaveLength(2 + 3 + 3)
  })

  it('refuses the wrong format, a truncated file and a mailbox with nothing importable, writing nothing', async () => {
    const before = (await stored()).length
    const wrong = await runCli([
      'import-purchases',
      fixture('paypal-activity-en-GB.csv'),
      '--format',
      'amazon',
      '--yes',
      ...withPass,
    ])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('This is not an Amazon order history file')
    const truncated = join(temp.dir, 'cut.csv')
    writeFileSync(truncated, 'Date,Name,Type,Status,Currency,Gross\n"01/02/2026,"Shop')
    const cut = await runCli(['import-purchases', truncated, '--format', 'paypal', ...withPass])
    expect(cut.code).toBe(1)
    expect(cut.stderr).toContain('The CSV is malformed')
    const none = await runCli(['import-purchases', fixture('no-markup.eml'), ...withPass])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('no schema.org order markup')
    const usage = await runCli([
      'import-purchases',
      fixture('orders.mbox'),
      '--format',
      'ebay',
      ...withPass,
    ])
    expect(usage.code).toBe(2)
    expect((await stored()).length).toBe(before)
  })

  it('takes a column mapping with --map, remembers it for the header, and uses it for the next file of that shape', async () => {
    const before = (await stored()).length
    const header = 'Händler,Datum,Betrag,Kassenbon'
    const march = join(temp.dir, 'kassenbuch-03.csv')
    writeFileSync(march, `${header}\nFjord Outdoor,2026-03-14,"129,90",K-17\n`)
    const unmapped = await runCli(['import-purchases', march, '--format', 'csv', ...withPass])
    expect(unmapped.code).toBe(1)
    expect(unmapped.stderr).toContain('Column 4 has a name this import does not know')

    const missing = await runCli(['import-purchases', march, '--map', 'order=Beleg', ...withPass])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--map: the file has no column called “Beleg”')

    const mapped = await runCli([
      'import-purchases',
      march,
      '--format',
      'csv',
      '--map',
      'order=Kassenbon',
      '--currency',
      'EUR',
      '--yes',
      ...withPass,
    ])
    expect(mapped.code).toBe(0)
    expect(mapped.stdout).toContain('Imported 1 purchase')

    // April's file has the same header: the mapping and currency confirmed in March are used.
    const april = join(temp.dir, 'kassenbuch-04.csv')
    writeFileSync(april, `${header}\nNordic Books,2026-04-02,"31,00",K-18\n`)
    const recalled = await runCli([
      'import-purchases',
      april,
      '--format',
      'csv',
      '--yes',
      ...withPass,
    ])
    expect(recalled.code).toBe(0)
    expect(recalled.stdout).toContain(
      'Read with the columns, currency and date order confirmed before',
    )
    expect(recalled.stdout).toContain('Imported 1 purchase')
    const items = (await stored()) as { seller: string; orderNumber?: string; currency?: string }[]
    expect(items.length).toBe(before + 2)
    expect(
      items
        .filter((p) => p.orderNumber?.startsWith('K-'))
        .map((p) => [p.seller, p.orderNumber, p.currency])
        .sort(),
    ).toEqual([
      ['Fjord Outdoor', 'K-17', 'EUR'],
      ['Nordic Books', 'K-18', 'EUR'],
    ])
  })
})
