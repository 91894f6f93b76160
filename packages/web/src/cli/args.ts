import { type ParseArgsConfig, parseArgs } from 'node:util'
import { CliError, EXIT } from './exit-codes.js'

/** One flag of a command: what `node:util` parseArgs needs, plus the line `--help` prints. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  /** Shown after the flag in `--help`, e.g. `DIR`. */
  readonly arg?: string
  readonly help: string
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>

/** What a command receives: its parsed flags and positionals, and the process's streams. */
export interface Invocation {
  readonly values: Readonly<Record<string, string | boolean | undefined>>
  readonly positionals: readonly string[]
  readonly io: CliIo
}

/** The process's edges, passed in so a command never reaches for globals it was not given. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv
  readonly stdin: NodeJS.ReadStream
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WriteStream
}

export interface Command {
  readonly name: string
  readonly summary: string
  /** Required positional arguments, by name (`FILE`). */
  readonly positionals: readonly string[]
  readonly options: OptionSpecs
  /** Extra paragraphs for `--help`. */
  readonly details?: string
  run(invocation: Invocation): Promise<number>
}

export const HELP_OPTION: OptionSpecs = {
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

/**
 * Parses a command's argv strictly: an unknown flag, a missing value or a missing/extra
 * positional is a usage error (exit 2) naming the culprit — never silently ignored, since a
 * mistyped `--unseal-key-fle` would otherwise start a server that stays sealed.
 */
export function parseCommandArgs(
  command: Command,
  argv: readonly string[],
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig['options']> = {}
  for (const [name, spec] of Object.entries({ ...command.options, ...HELP_OPTION })) {
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type }
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true })
  } catch (err) {
    const message = err instanceof Error ? err.message.split('. ')[0] : String(err)
    throw new CliError(
      EXIT.usage,
      `custos ${command.name}: ${message} (see custos ${command.name} --help)`,
    )
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  if (values.help) return { values, positionals: parsed.positionals }
  if (parsed.positionals.length !== command.positionals.length) {
    const expected =
      command.positionals.length === 0 ? 'no arguments' : command.positionals.join(' ')
    throw new CliError(
      EXIT.usage,
      `custos ${command.name}: expected ${expected}, got ${parsed.positionals.length === 0 ? 'none' : `${parsed.positionals.length} argument(s)`} (see custos ${command.name} --help)`,
    )
  }
  return { values, positionals: parsed.positionals }
}

/** `custos COMMAND --help`: usage line, summary, every flag, details. */
export function commandHelp(command: Command): string {
  const specs = Object.entries({ ...command.options, ...HELP_OPTION })
  const flags = specs.map(
    ([name, spec]) =>
      [
        `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.arg ? ` ${spec.arg}` : ''}`,
        spec.help,
      ] as const,
  )
  const width = Math.max(...flags.map(([f]) => f.length))
  const lines = [
    `Usage: custos ${command.name}${command.positionals.map((p) => ` ${p}`).join('')} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...flags.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
  ]
  if (command.details) lines.push('', command.details)
  return `${lines.join('\n')}\n`
}
