/**
 * `custos passwd`: a new passphrase, proven by the current one — or, when it is forgotten, by
 * the recovery key (`--recovery-key`). Only the root key's wrap changes; no data is re-encrypted.
 */
import type { Command, Invocation } from '../args.js'
import { KDF_OPTION, STORAGE_OPTIONS, resolveSettings } from '../config.js'
import { CliError, EXIT } from '../exit-codes.js'
import { refuseWeakPassphrase } from '../new-passphrase.js'
import { openVault } from '../open-vault.js'
import { createSecretReader } from '../passphrase-input.js'
import { PASSPHRASE_OPTIONS, readCredentials } from '../unlocked-vault.js'

async function run({ values, io }: Invocation): Promise<number> {
  const settings = resolveSettings(values, io.env)
  const { vault, location } = await openVault(settings, { create: false })
  try {
    const status = await vault.status()
    if (status.state === 'uninitialized')
      throw new CliError(
        EXIT.failure,
        `custos: the vault in ${location} is not initialized yet (custos init)`,
      )
    const secrets = createSecretReader(io)
    const current = await readCredentials(values, secrets)
    const file =
      typeof values['new-passphrase-file'] === 'string' ? values['new-passphrase-file'] : undefined
    const next = await secrets.read({
      prompt: 'New passphrase: ',
      what: 'new passphrase',
      fileFlag: '--new-passphrase-file',
      confirm: true,
      ...(file ? { file } : {}),
    })
    // Before the current passphrase is tried: a refused change must not run Argon2 or count an attempt.
    await refuseWeakPassphrase(next, 'new passphrase')
    if (typeof current === 'object' && 'recoveryKey' in current) {
      await vault.recover(current.recoveryKey, next, { origin: 'cli' })
    } else {
      await vault.unlock(current, { origin: 'cli' })
      await vault.changePassphrase(current as string, next)
    }
    io.stdout.write(`Passphrase changed (KDF ${settings.kdf}). The recovery key is unchanged.\n`)
    return EXIT.ok
  } finally {
    await vault.close()
  }
}

export const passwdCommand: Command = {
  name: 'passwd',
  summary: 'Change the passphrase (with the current one, or the recovery key).',
  positionals: [],
  options: {
    ...STORAGE_OPTIONS,
    ...KDF_OPTION,
    ...PASSPHRASE_OPTIONS,
    'new-passphrase-file': {
      type: 'string',
      arg: 'FILE',
      help: 'read the new passphrase from FILE',
    },
  },
  details: `On stdin (not a terminal): the current passphrase (or recovery key) on the first line, the new one on the second.
A weak new passphrase is refused with the reason (exit 1) before the current one is tried: at least
14 characters, and hard to guess.`,
  run,
}
