/**
 * `custos backup FILE`: the encrypted backup (`vault.backup()`), streamed into FILE atomically —
 * FILE.partial, fsync, rename, mode 0600 — so FILE is never a half-written backup.
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
    const bytes = await writeFileAtomically(file, vault.backup())
    invocation.io.stdout.write(
      `Backup written to ${file} (${bytes} bytes, encrypted). It opens with the passphrase current now, or the recovery key.\n`,
    )
    return EXIT.ok
  })
}

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Write an encrypted backup of the whole vault to FILE.',
  positionals: ['FILE'],
  options: { ...STORAGE_OPTIONS, ...PASSPHRASE_OPTIONS },
  details:
    'Consistent even while the server runs (one read transaction). Restore with custos restore FILE.',
  run,
}
