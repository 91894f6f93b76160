/**
 * `custos export FILE`: the portable `custos-export` JSON (README "Formats") — plaintext, so
 * written 0600 and atomically, with a warning.
 */
import { resolve } from 'node:path'
import type { Command, Invocation } from '../args.js'
import { writeFileAtomically } from '../atomic-file.js'
import { STORAGE_OPTIONS } from '../config.js'
import { EXIT } from '../exit-codes.js'
import { PASSPHRASE_OPTIONS, withUnlockedVault } from '../unlocked-vault.js'

async function run(invocation: Invocation): Promise<number> {
  const file = resolve(invocation.positionals[0] as string)
  return withUnlockedVault(invocation, async ({ vault }) => {
    const doc = await vault.exportJson()
    await writeFileAtomically(file, [new TextEncoder().encode(`${JSON.stringify(doc, null, 2)}\n`)])
    invocation.io.stdout.write(
      `Exported ${Object.keys(doc.fields).length} fields, ${doc.purchases.length} purchases, ${doc.vendors.length} vendors, ${doc.grants.length} grants to ${file}.\n`,
    )
    invocation.io.stderr.write(
      'custos: the export is NOT encrypted; keep it safe or delete it after use (custos backup makes an encrypted copy).\n',
    )
    return EXIT.ok
  })
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Write the portable JSON export (plaintext) to FILE.',
  positionals: ['FILE'],
  options: { ...STORAGE_OPTIONS, ...PASSPHRASE_OPTIONS },
  run,
}
