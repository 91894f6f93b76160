/**
 * `custos restore FILE`: replaces the vault with a backup. The library verifies the whole stream
 * and the rows before replacing anything, in one transaction; so a truncated or altered file is
 * refused (exit 4) with the vault exactly as it was. Works on an empty data folder too (moving
 * to a new machine).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Credentials } from '@custos/vault'
import type { Command, Invocation } from '../args.js'
import { KDF_OPTION, STORAGE_OPTIONS, resolveSettings } from '../config.js'
import { CliError, EXIT } from '../exit-codes.js'
import { describeError, openVault } from '../open-vault.js'
import { createSecretReader, readSecretFile } from '../passphrase-input.js'
import { PASSPHRASE_OPTIONS, readCredentials } from '../unlocked-vault.js'

async function run({ values, positionals, io }: Invocation): Promise<number> {
  const settings = resolveSettings(values, io.env)
  const file = resolve(positionals[0] as string)
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (err) {
    throw new CliError(
      EXIT.failure,
      `custos: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  const { vault, location } = await openVault(settings, { create: true })
  try {
    const secrets = createSecretReader(io)
    const status = await vault.status()
    const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined)
    const backupFile = str(values['backup-passphrase-file'])
    const wantsRecoveryKey =
      values['recovery-key'] === true || values['recovery-key-file'] !== undefined
    let current: string | undefined
    if (status.state !== 'uninitialized') {
      // Replacing a vault needs its owner: unlock it first (the library refuses a sealed one).
      const file = str(values['passphrase-file'])
      current = await secrets.read({
        prompt: 'Passphrase of this vault: ',
        what: 'passphrase',
        fileFlag: '--passphrase-file',
        ...(file ? { file } : {}),
      })
      await vault.unlock(current, { origin: 'cli' })
    }
    // What opens the backup: its own passphrase file, the recovery key, this vault's passphrase
    // (the usual case: a backup of this same vault), or — into an empty folder — the passphrase asked now.
    const backupCredentials: Credentials = backupFile
      ? readSecretFile(backupFile, 'backup passphrase', '--backup-passphrase-file')
      : wantsRecoveryKey
        ? await readCredentials({ ...values, 'passphrase-file': undefined }, secrets)
        : (current ?? (await readCredentials(values, secrets)))
    try {
      await vault.restore(bytes, backupCredentials, { origin: 'cli' })
    } catch (err) {
      const { exitCode, message } = describeError(err)
      throw new CliError(exitCode, `${message}; nothing was changed`)
    }
    const restored = await vault.status()
    io.stdout.write(
      `Restored vault ${'vaultId' in restored ? restored.vaultId : ''} from ${file} into ${location}.\n`,
    )
    return EXIT.ok
  } finally {
    await vault.close()
  }
}

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Replace the vault with an encrypted backup (verified whole first).',
  positionals: ['FILE'],
  options: {
    ...STORAGE_OPTIONS,
    ...KDF_OPTION,
    ...PASSPHRASE_OPTIONS,
    'backup-passphrase-file': {
      type: 'string',
      arg: 'FILE',
      help: "the backup's passphrase, when it differs from this vault's",
    },
  },
  details: `Over an existing vault: the current passphrase unlocks it, and also opens the backup
unless --backup-passphrase-file or --recovery-key(-file) says otherwise. Into an empty data
folder: the backup's passphrase (or --recovery-key). A truncated or altered backup is refused
(exit 4) and the vault is left as it was.`,
  run,
}
