import { checkPassphrase } from '@custos/vault'

/**
 * The set-up and settings forms' check of a new passphrase. The rule is the vault's
 * (`checkPassphrase`: at least 14 characters and a zxcvbn score of 3 or more), so the pages refuse
 * exactly what the library, the CLI and the owner API refuse, with the same reason. The live
 * meter in `assets/custos.js` is only an approximation for feedback while typing: the server
 * decides.
 */
export const STRENGTH_LABELS = ['Too weak', 'Weak', 'Fair', 'Good', 'Strong'] as const

/** Why a new passphrase (and its confirmation) is refused, or undefined when it may be used. */
export async function newPassphraseProblem(
  passphrase: string,
  confirmation: string,
): Promise<{ field: 'new' | 'confirm'; message: string } | undefined> {
  if (passphrase.length === 0) return { field: 'new', message: 'Choose a passphrase.' }
  const verdict = await checkPassphrase(passphrase)
  if (!verdict.ok) return { field: 'new', message: verdict.reason }
  if (passphrase !== confirmation)
    return {
      field: 'confirm',
      message: 'The two passphrases are not the same. Type the same passphrase twice.',
    }
  return undefined
}
