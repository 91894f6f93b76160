/**
 * For the commands that work directly on the data (offline, or beside a running server on the
 * same SQLite file — WAL lets both in): open the vault, read the owner's secret, unlock, run,
 * and always close (which drains the audit group commit).
 */
import type { Credentials, Vault, DatabaseHandle } from '@custos/vault'
import type { Invocation, OptionSpecs } from './args.js'
import { type Settings, resolveSettings } from './config.js'
import { CliError, EXIT } from './exit-codes.js'
import { openVault, unlockVault } from './open-vault.js'
import { type SecretReader, createSecretReader } from './passphrase-input.js'

export const PASSPHRASE_OPTIONS: OptionSpecs = {
  'passphrase-file': {
    type: 'string',
    arg: 'FILE',
    help: 'read the passphrase from FILE (trailing newline ignored) instead of a prompt or stdin',
  },
  'recovery-key': {
    type: 'boolean',
    help: 'unlock with the recovery key instead (prompt or stdin)',
  },
  'recovery-key-file': { type: 'string', arg: 'FILE', help: 'read the recovery key from FILE' },
}

const str = (v: string | boolean | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined

/** The owner's credentials as the flags ask: passphrase (default) or recovery key. */
export async function readCredentials(
  values: Invocation['values'],
  secrets: SecretReader,
): Promise<Credentials> {
  const keyFile = str(values['recovery-key-file'])
  if (values['recovery-key'] || keyFile !== undefined) {
    if (values['passphrase-file'] !== undefined)
      throw new CliError(EXIT.usage, 'custos: give either a passphrase or a recovery key, not both')
    const recoveryKey = await secrets.read({
      prompt: 'Recovery key: ',
      what: 'recovery key',
      fileFlag: '--recovery-key-file',
      ...(keyFile ? { file: keyFile } : {}),
    })
    return { recoveryKey: recoveryKey.trim() }
  }
  const file = str(values['passphrase-file'])
  return secrets.read({
    prompt: 'Passphrase: ',
    what: 'passphrase',
    fileFlag: '--passphrase-file',
    ...(file ? { file } : {}),
  })
}

export interface UnlockedContext {
  readonly vault: Vault
  readonly database: DatabaseHandle
  readonly settings: Settings
  readonly location: string
  readonly credentials: Credentials
  readonly secrets: SecretReader
}

export async function withUnlockedVault<T>(
  invocation: Invocation,
  work: (ctx: UnlockedContext) => Promise<T>,
): Promise<T> {
  const settings = resolveSettings(invocation.values, invocation.io.env)
  const opened = await openVault(settings, { create: false })
  try {
    const status = await opened.vault.status()
    if (status.state === 'uninitialized')
      throw new CliError(
        EXIT.failure,
        `custos: the vault in ${opened.location} is not initialized yet (custos init)`,
      )
    const secrets = createSecretReader(invocation.io)
    const credentials = await readCredentials(invocation.values, secrets)
    await unlockVault(opened.vault, credentials)
    return await work({ ...opened, settings, credentials, secrets })
  } finally {
    await opened.vault.close()
  }
}
