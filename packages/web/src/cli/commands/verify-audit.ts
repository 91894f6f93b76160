/**
 * `custos verify-audit`: walks the whole audit hash chain and its MACs (SECURITY.md, audit).
 * Exit 0 when valid; exit 4 naming the first missing, reordered, altered, unauthenticated or
 * truncated entry — which also stops vendor reads until the damage is acknowledged, here with
 * `--acknowledge` or on the Access log page (SECURITY.md, "The barrier", promise 31).
 */
import type { Command, Invocation } from '../args.js'
import { STORAGE_OPTIONS } from '../config.js'
import { EXIT } from '../exit-codes.js'
import { PASSPHRASE_OPTIONS, withUnlockedVault } from '../unlocked-vault.js'

async function run(invocation: Invocation): Promise<number> {
  return withUnlockedVault(invocation, async ({ vault }) => {
    const result = await vault.audit.verify()
    if (invocation.values.json) invocation.io.stdout.write(`${JSON.stringify(result)}\n`)
    if (result.ok) {
      if (!invocation.values.json) {
        const earlier = result.acknowledged
          ? ` Damage found earlier (${result.acknowledged.reason} at entry #${result.acknowledged.firstBadSeq}) was acknowledged at entry #${result.acknowledged.seq}.`
          : ''
        invocation.io.stdout.write(
          `Audit chain valid: ${result.entries} entries, head #${result.headSeq}.${earlier}\n`,
        )
      }
      return EXIT.ok
    }
    invocation.io.stderr.write(
      `custos: the audit chain is broken at entry #${result.firstBadSeq} (${result.reason}); ${result.entries} entries checked\n`,
    )
    if (!invocation.values.acknowledge) {
      invocation.io.stderr.write(
        'custos: vendors cannot read until the damage is acknowledged: keep a copy of the data folder if you want to investigate, then run `custos verify-audit --acknowledge` (or use the Access log page)\n',
      )
      return EXIT.integrity
    }
    await vault.audit.acknowledgeBreak()
    invocation.io.stdout.write(
      `Acknowledged: the damage at entry #${result.firstBadSeq} is recorded in the log, and vendors can read again.\n`,
    )
    return EXIT.ok
  })
}

export const verifyAuditCommand: Command = {
  name: 'verify-audit',
  summary: 'Verify the audit log hash chain (exit 4 names the first bad entry).',
  positionals: [],
  options: {
    ...STORAGE_OPTIONS,
    ...PASSPHRASE_OPTIONS,
    json: { type: 'boolean', help: 'print the result as JSON' },
    acknowledge: {
      type: 'boolean',
      help: 'if the log is damaged, record that you have seen it (a new signed entry) so vendors can read again',
    },
  },
  run,
}
