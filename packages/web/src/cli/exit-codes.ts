/**
 * The `custos` command's exit codes — part of its contract (scripts and supervisors branch on
 * them), documented in the README and in `custos --help`. Never renumber one.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The operation failed (no vault, already initialized, server unreachable, bad input file…). */
  failure: 1,
  /** Usage or configuration: unknown command or flag, a bad setting, an unsafe unseal key file. */
  usage: 2,
  /** Wrong passphrase or recovery key, or unlocking is throttled (SECURITY.md promise 8). */
  unlock: 3,
  /** Integrity: the audit chain is broken, a backup is truncated or altered. */
  integrity: 4,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** A failure the command reports as one line on stderr and an exit code — never a stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCode
  constructor(exitCode: ExitCode, message: string) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/** Text of `custos --help`'s exit-code section (kept beside the codes so they cannot drift). */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  failure (no vault, already initialized, server unreachable, bad input file, …)
  2  usage or configuration error (unknown command or flag, bad setting, unsafe key file)
  3  wrong passphrase or recovery key, or unlocking is throttled
  4  integrity failure (audit chain broken, backup truncated or altered)`
