/**
 * `custos init`: creates the vault, prints the recovery key once. Refuses (exit 1, nothing
 * changed) when a vault exists. `--write-unseal-key-file` also stores the passphrase for
 * auto-unseal (mode 0600; see the README's trade-off).
 */
import { existsSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command, Invocation } from '../args.js'
import { writeFileAtomically } from '../atomic-file.js'
import { KDF_OPTION, STORAGE_OPTIONS, resolveSettings } from '../config.js'
import { FIX_PERMISSIONS_OPTION, OPEN_FOLDER_MESSAGE, guardDataFolder } from '../data-folder.js'
import { CliError, EXIT } from '../exit-codes.js'
import { refuseWeakPassphrase } from '../new-passphrase.js'
import { openVault, storageExists } from '../open-vault.js'
import { createSecretReader } from '../passphrase-input.js'

async function run({ values, io }: Invocation): Promise<number> {
  const settings = resolveSettings(values, io.env)
  const folder = guardDataFolder(settings.data, values['fix-permissions'] === true)
  if (folder.warning)
    io.stderr.write(
      `custos: warning: ${OPEN_FOLDER_MESSAGE} (${folder.warning.folder}, mode ${folder.warning.mode}). Fix: ${folder.warning.fix}\n`,
    )
  if (folder.fixedFiles !== undefined)
    io.stderr.write(
      `custos: data folder ${settings.data} set to mode 700, ${folder.fixedFiles} file(s) in it to 600\n`,
    )
  const keyFile =
    typeof values['write-unseal-key-file'] === 'string'
      ? resolve(values['write-unseal-key-file'])
      : undefined
  if (keyFile && existsSync(keyFile))
    throw new CliError(EXIT.failure, `custos: ${keyFile} already exists; nothing was changed`)
  // An existing vault is refused before any prompt; a missing one is created only once the
  // passphrase is in hand, so a cancelled or mistyped prompt leaves no empty database behind.
  let opened = storageExists(settings) ? await openVault(settings, { create: false }) : undefined
  try {
    const status = opened ? await opened.vault.status() : { state: 'uninitialized' as const }
    if (opened && status.state !== 'uninitialized')
      throw new CliError(
        EXIT.failure,
        `custos: ${opened.location} already holds vault ${status.vaultId}; nothing was changed`,
      )
    const file =
      typeof values['passphrase-file'] === 'string' ? values['passphrase-file'] : undefined
    const passphrase = await createSecretReader(io).read({
      prompt: 'New passphrase: ',
      what: 'passphrase',
      fileFlag: '--passphrase-file',
      confirm: true,
      ...(file ? { file } : {}),
    })
    await refuseWeakPassphrase(passphrase, 'passphrase')
    // The key file first: the recovery key is shown only once, so a file that cannot be written
    // must stop init before the vault exists, not after (an error instead of the recovery key).
    if (keyFile) await writeFileAtomically(keyFile, [new TextEncoder().encode(`${passphrase}\n`)])
    let created: { recoveryKey: string; vaultId: string }
    try {
      opened ??= await openVault(settings, { create: true })
      created = await opened.vault.initialize(passphrase)
    } catch (err) {
      // No vault, no passphrase lying in a file for it.
      if (keyFile) rmSync(keyFile, { force: true })
      throw err
    }
    const { recoveryKey, vaultId } = created
    const { location } = opened
    io.stdout.write(
      [
        `Vault ${vaultId} created in ${location} (KDF ${settings.kdf}).`,
        '',
        'Your recovery key is shown this once. Write it down or print it, and keep it apart from',
        'this computer: it opens the vault if you forget the passphrase, and nobody can recover it.',
        '',
        `Recovery key: ${recoveryKey}`,
        '',
        ...(keyFile
          ? [
              `The passphrase is also in ${keyFile} (mode 0600) for auto-unseal: custos serve --unseal-key-file ${keyFile}`,
              '',
            ]
          : []),
      ].join('\n'),
    )
    return EXIT.ok
  } finally {
    await opened?.vault.close()
  }
}

export const initCommand: Command = {
  name: 'init',
  summary: 'Create the vault and print its recovery key once.',
  positionals: [],
  options: {
    ...STORAGE_OPTIONS,
    ...KDF_OPTION,
    ...FIX_PERMISSIONS_OPTION,
    'passphrase-file': {
      type: 'string',
      arg: 'FILE',
      help: 'read the new passphrase from FILE (otherwise a prompt asking twice, or one line of stdin)',
    },
    'write-unseal-key-file': {
      type: 'string',
      arg: 'FILE',
      help: 'also write the passphrase to FILE (mode 0600) for serve --unseal-key-file',
    },
  },
  details: `Refuses, changing nothing, when the data folder or database already holds a vault (exit 1),
or when the passphrase is weak: at least 14 characters and hard to guess (the reason is printed; exit 1).
A data folder that group or others can use gets a warning on stderr; --fix-permissions makes it
0700 and its files 0600.`,
  run,
}
