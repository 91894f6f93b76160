/**
 * A server-side estimate of a new passphrase's strength, 0–4, and the bar a new one must clear.
 * Deliberately simple and explainable (length first, then variety or several words) — the
 * passphrase guards an offline-attackable Argon2id wrap (SECURITY.md), so length matters most.
 * `assets/custos.js` mirrors `passphraseScore` exactly for the live meter; change both together.
 */
export const STRENGTH_LABELS = ['Too weak', 'Weak', 'Fair', 'Good', 'Strong'] as const

/** The lowest score a new passphrase may have ("Fair"). */
export const MIN_SCORE = 2

export const WEAK_PASSPHRASE_MESSAGE =
  'That passphrase is too easy to guess. Use at least 14 characters — four or more ordinary words work well — or at least 10 characters mixing capitals, small letters, digits and symbols.'

export function passphraseScore(passphrase: string): 0 | 1 | 2 | 3 | 4 {
  if (passphrase.length < 10) return 0
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(passphrase)).length
  const words = passphrase.trim().split(/\s+/).length
  let score = passphrase.length >= 20 ? 3 : passphrase.length >= 14 ? 2 : 1
  if (classes >= 3 || words >= 4) score++
  return Math.min(4, score) as 0 | 1 | 2 | 3 | 4
}

/** Why a new passphrase (and its confirmation) is refused, or undefined when it may be used. */
export function newPassphraseProblem(passphrase: string, confirmation: string): { field: 'new' | 'confirm'; message: string } | undefined {
  if (passphrase.length === 0) return { field: 'new', message: 'Choose a passphrase.' }
  if (new TextEncoder().encode(passphrase).length > 1024) return { field: 'new', message: 'That passphrase is too long (at most 1024 bytes).' }
  if (passphraseScore(passphrase) < MIN_SCORE) return { field: 'new', message: WEAK_PASSPHRASE_MESSAGE }
  if (passphrase !== confirmation) return { field: 'confirm', message: 'The two passphrases are not the same. Type the same passphrase twice.' }
  return undefined
}
