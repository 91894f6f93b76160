import type { OptionsType, TranslationKeys, ZxcvbnFactory } from '@zxcvbn-ts/core'
import { VaultError } from '../errors.js'

/**
 * The one rule a new passphrase must pass — in the library (`initialize`, `changePassphrase`,
 * `recover`), and so in the CLI, the owner API and the web pages, which ask it rather than keep
 * rules of their own. The passphrase wraps the root key with Argon2id, and a stolen database
 * file or backup lets an attacker guess offline at their own pace: no throttle applies there,
 * only the cost of each guess and the number of guesses needed.
 */

/** Counted in Unicode characters after NFKC normalization, as the vault compares passphrases. */
export const MIN_PASSPHRASE_CHARS = 14
/** In UTF-8 bytes after NFKC normalization: what Argon2 hashes. */
export const MAX_PASSPHRASE_BYTES = 1024
/**
 * zxcvbn's 3 is "safely unguessable": at least 10^8 guesses expected, the band its authors set
 * for an offline attack on a slow hash — our case. At the `moderate` preset one guess costs
 * 256 MiB and roughly a second of a CPU core, so 10^8 guesses are about three core-years (and
 * still months at the `interactive` floor); a 2 means 10^6 guesses, under two core-weeks.
 * Four ordinary words chosen at random clear 3 easily.
 */
export const MIN_PASSPHRASE_SCORE = 3

/** zxcvbn's estimate: 0 (too guessable) to 4 (very unguessable). Our own type, so the public API does not lean on the estimator's. */
export type PassphraseScore = 0 | 1 | 2 | 3 | 4

/**
 * The verdict on a new passphrase. `reason` is plain words from a fixed set — never the
 * passphrase or any part of it — fit to show beside the form field. A refused passphrase's
 * score is always below {@link MIN_PASSPHRASE_SCORE}, so a meter never praises what is refused.
 */
export type PassphraseCheck =
  | { readonly ok: true; readonly score: PassphraseScore }
  | { readonly ok: false; readonly reason: string; readonly score: PassphraseScore }

/**
 * zxcvbn judges this many characters at most. Its matching cost grows steeply with length
 * (about 3 s for 256 random characters on a two-core machine, against a tenth of that at 100),
 * and the set-up form reaches this check before any vault — or sign-in — exists. Judging only
 * the first 100 characters errs on the safe side: it can refuse a long passphrase whose start
 * is weak, never accept one whose start is weak.
 */
const ESTIMATED_CHARS = 100

/**
 * zxcvbn's English wording, except four texts that quote an example ("aaa", "abc", "@" for
 * "a"): an example can coincide with the owner's own characters, and a reason must never repeat
 * any part of the passphrase — it is shown on a page and may reach a log.
 */
function advice(english: TranslationKeys): TranslationKeys {
  return {
    warnings: {
      ...english.warnings,
      simpleRepeat: 'Repeated characters are easy to guess.',
      extendedRepeat: 'Repeated patterns of characters are easy to guess.',
      sequences: 'Common sequences of letters or digits are easy to guess.',
    },
    suggestions: {
      ...english.suggestions,
      l33t: 'Avoid predictable substitutions of symbols or digits for letters.',
    },
    timeEstimation: english.timeEstimation,
  }
}

let estimator: Promise<ZxcvbnFactory> | undefined

/**
 * Loads zxcvbn and its dictionaries once per process, on the first check: importing them and
 * ranking the dictionaries takes a few hundred milliseconds and tens of megabytes, which a vault
 * that never sets a passphrase (a server already set up) should not pay. The estimator holds no
 * state between checks, so one instance serves every vault in the process.
 */
function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ])
    .then(([core, common, english]) => {
      const options: OptionsType = {
        translations: advice(english.translations),
        graphs: common.adjacencyGraphs,
        dictionary: { ...common.dictionary, ...english.dictionary },
        maxLength: ESTIMATED_CHARS,
        // The default (100) lets a long run of symbols and digits try a combinatorial number of
        // letter readings — seconds per check; 12 still undoes the substitutions people use.
        l33tMaxSubstitutions: 12,
        // Off: it compares the whole passphrase with every dictionary word, a quarter of a second
        // per check and up to seconds, for little gain once the length floor applies.
        useLevenshteinDistance: false,
      }
      return new core.ZxcvbnFactory(options)
    })
    .catch((err: unknown) => {
      estimator = undefined
      throw err
    })
  return estimator
}

const decoder = new TextDecoder()

/** The UTF-8 length, counted without encoding the secret into yet another buffer that nobody wipes. */
function utf8Length(text: string): number {
  let bytes = 0
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
  }
  return bytes
}

const TOO_SHORT = `The passphrase is too short: use at least ${MIN_PASSPHRASE_CHARS} characters. Four or more ordinary words are easy to remember and hard to guess.`
const TOO_LONG = `The passphrase is too long: at most ${MAX_PASSPHRASE_BYTES} bytes.`
const TOO_EASY = 'The passphrase is too easy to guess.'
const WORDS_HINT = 'Four or more ordinary words, chosen at random, work well.'

/**
 * Judges a new passphrase: at least 14 characters, at most 1024 bytes, and a zxcvbn score of
 * at least 3. Takes a few milliseconds, at most a few hundred for a long, odd passphrase; the
 * first call also loads the dictionaries. Strings are NFKC-normalized as the vault does; bytes
 * are read as UTF-8.
 *
 * @example
 * const verdict = await checkPassphrase(form.passphrase)
 * if (!verdict.ok) showError(verdict.reason) // "The passphrase is too easy to guess. …"
 */
export async function checkPassphrase(passphrase: string | Uint8Array): Promise<PassphraseCheck> {
  let text: string
  let bytes: number
  if (typeof passphrase === 'string') {
    text = passphrase.normalize('NFKC')
    bytes = utf8Length(text)
  } else if (passphrase instanceof Uint8Array) {
    text = decoder.decode(passphrase)
    bytes = passphrase.length
  } else {
    throw new TypeError('passphrase must be a string or Uint8Array')
  }
  if (bytes > MAX_PASSPHRASE_BYTES) return { ok: false, reason: TOO_LONG, score: 0 }
  const { score, feedback } = (await loadEstimator()).check(text)
  const refusedScore = Math.min(score, MIN_PASSPHRASE_SCORE - 1) as PassphraseScore
  if ([...text].length < MIN_PASSPHRASE_CHARS)
    return { ok: false, reason: TOO_SHORT, score: refusedScore }
  if (score < MIN_PASSPHRASE_SCORE) {
    const why = [TOO_EASY, feedback.warning ?? '', feedback.suggestions[0] ?? WORDS_HINT]
      .filter(Boolean)
      .join(' ')
    return { ok: false, reason: why, score: refusedScore }
  }
  return { ok: true, score }
}

/**
 * Throws `VaultError('ERR_WEAK_PASSPHRASE', reason)` unless {@link checkPassphrase} accepts the
 * passphrase. The library calls it before any Argon2 work or unlock attempt.
 */
export async function assertPassphraseAllowed(passphrase: string | Uint8Array): Promise<void> {
  const verdict = await checkPassphrase(passphrase)
  if (!verdict.ok) throw new VaultError('ERR_WEAK_PASSPHRASE', verdict.reason)
}
