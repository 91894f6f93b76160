/**
 * Auto-unseal: the file holds the passphrase, so the server can unlock at start without the owner.
 * The trade-off (README): whoever can read this file and the database reads everything — fine on
 * a machine the owner alone controls, wrong on a shared host. So a file that group or others can
 * read (or that is not a regular file) is refused before it is read.
 */
import { statSync } from 'node:fs'
import { CliError, EXIT } from './exit-codes.js'
import { readSecretFile } from './passphrase-input.js'

export function readUnsealKeyFile(file: string): string {
  let mode: number
  try {
    const stat = statSync(file)
    if (!stat.isFile())
      throw new CliError(EXIT.usage, `custos: the unseal key file ${file} is not a regular file`)
    mode = stat.mode
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(
      EXIT.usage,
      `custos: cannot read the unseal key file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  if ((mode & 0o077) !== 0) {
    throw new CliError(
      EXIT.usage,
      `custos: the unseal key file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`,
    )
  }
  return readSecretFile(file, 'unseal key', '--unseal-key-file')
}
