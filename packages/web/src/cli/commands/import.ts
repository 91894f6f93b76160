/**
 * `custos import FILE`: a `custos-export` document, validated whole before anything is written
 * (one transaction, ids kept). `--mode replace` empties the vault's data first; `merge` (default)
 * adds and updates.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import type { Command, Invocation } from '../args.js'
import { STORAGE_OPTIONS } from '../config.js'
import { CliError, EXIT } from '../exit-codes.js'
import { PASSPHRASE_OPTIONS, withUnlockedVault } from '../unlocked-vault.js'

const ImportMode = z.enum(['merge', 'replace'])

async function run(invocation: Invocation): Promise<number> {
  const file = resolve(invocation.positionals[0] as string)
  const mode = ImportMode.safeParse(invocation.values.mode ?? 'merge')
  if (!mode.success)
    throw new CliError(EXIT.usage, 'custos import: --mode must be merge or replace')
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(
      EXIT.failure,
      code ? `custos: cannot read ${file}: ${code}` : `custos: ${file} is not valid JSON`,
    )
  }
  return withUnlockedVault(invocation, async ({ vault }) => {
    const result = await vault.importJson(doc, { mode: mode.data })
    invocation.io.stdout.write(
      `Imported ${result.fields} fields, ${result.purchases} purchases, ${result.vendors} vendors, ${result.grants} grants from ${file} (${mode.data}).\n`,
    )
    return EXIT.ok
  })
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Import a portable JSON export from FILE into the vault.',
  positionals: ['FILE'],
  options: {
    ...STORAGE_OPTIONS,
    ...PASSPHRASE_OPTIONS,
    mode: { type: 'string', arg: 'MODE', help: 'merge (default) or replace' },
  },
  details:
    'The whole document is validated before anything is written; an invalid one changes nothing.',
  run,
}
