/**
 * `custos verify-audit`: walks the whole audit hash chain and its MACs (SECURITY.md, audit).
 * Exit 0 when valid; exit 4 naming the first missing, reordered, altered, unauthenticated or
 * truncated entry.
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
      if (!invocation.values.json) invocation.io.stdout.write(`Audit chain valid: ${result.entries} entries, head #${result.headSeq}.\n`)
      return EXIT.ok
    }
    invocation.io.stderr.write(`custos: the audit chain is broken at entry #${result.firstBadSeq} (${result.reason}); ${result.entries} entries checked\n`)
    return EXIT.integrity
  })
}

export const verifyAuditCommand: Command = {
  name: 'verify-audit',
  summary: 'Verify the audit log hash chain (exit 4 names the first bad entry).',
  positionals: [],
  options: { ...STORAGE_OPTIONS, ...PASSPHRASE_OPTIONS, json: { type: 'boolean', help: 'print the result as JSON' } },
  run,
}
