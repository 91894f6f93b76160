/**
 * A new passphrase (`init`, `passwd`) is judged by the vault's policy as soon as it is read —
 * before a database is created, a key file written or any Argon2 runs — so a refused one costs
 * nothing and changes nothing. The reason is the vault's: it never repeats the passphrase.
 */
import { CliError, EXIT } from './exit-codes.js'

export async function refuseWeakPassphrase(passphrase: string, what: string): Promise<void> {
  // Imported here, not at the top: `--help` and usage errors answer without loading the library.
  const { checkPassphrase } = await import('@custos/vault')
  const verdict = await checkPassphrase(passphrase)
  if (!verdict.ok)
    throw new CliError(
      EXIT.failure,
      `custos: ${what} refused. ${verdict.reason} Nothing was changed.`,
    )
}
