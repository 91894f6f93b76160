/**
 * `custos rotate-keys`: a new data key; older records re-encrypted in batches, old keys
 * crypto-erased when unused (SECURITY.md promise 10). Online and resumable: safe beside a
 * running server, and an interrupted run continues where it stopped.
 */
import type { RotationProgress } from '@custos/vault'
import type { Command, Invocation } from '../args.js'
import { STORAGE_OPTIONS } from '../config.js'
import { EXIT } from '../exit-codes.js'
import { PASSPHRASE_OPTIONS, withUnlockedVault } from '../unlocked-vault.js'

const BAR = 30

/** On a terminal, one bar redrawn in place; otherwise plain lines a log file can keep. */
export function progressReporter(stderr: NodeJS.WriteStream): {
  report(p: RotationProgress): void
  end(): void
} {
  let last = -1
  return {
    report({ term, done, total }) {
      const ratio = total === 0 ? 1 : Math.min(1, done / total)
      if (stderr.isTTY) {
        const filled = Math.round(ratio * BAR)
        stderr.write(
          `\r[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${Math.floor(ratio * 100)}% ${done}/${total} records (term ${term})`,
        )
        return
      }
      if (done === last) return
      last = done
      stderr.write(`rotate-keys: ${done}/${total} records re-encrypted (term ${term})\n`)
    },
    end() {
      if (stderr.isTTY) stderr.write('\n')
    },
  }
}

async function run(invocation: Invocation): Promise<number> {
  return withUnlockedVault(invocation, async ({ vault }) => {
    const progress = progressReporter(invocation.io.stderr)
    const result = await vault.rotateKeys({ onProgress: (p) => progress.report(p) })
    progress.end()
    const retired =
      result.retiredTerms.length > 0
        ? `; retired (crypto-erased) term${result.retiredTerms.length > 1 ? 's' : ''} ${result.retiredTerms.join(', ')}`
        : ''
    invocation.io.stdout.write(
      `Keys rotated: new term ${result.term}, ${result.reencrypted} records re-encrypted${retired}.\n`,
    )
    return EXIT.ok
  })
}

export const rotateKeysCommand: Command = {
  name: 'rotate-keys',
  summary: 'Rotate the data key and re-encrypt every record (with progress).',
  positionals: [],
  options: { ...STORAGE_OPTIONS, ...PASSPHRASE_OPTIONS },
  details: 'Safe while the server runs; an interrupted rotation resumes when run again.',
  run,
}
