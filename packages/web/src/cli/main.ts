#!/usr/bin/env node
/**
 * `custos`: the self-hoster's command. Entry point — with config.ts the only code that reads
 * argv and the environment (STYLE.md). Dispatches to one file per subcommand, imported only when
 * it runs (command-table.ts), so `--help` loads no vault; every failure becomes one line on stderr
 * and a documented exit code (exit-codes.ts), never a stack trace.
 */
import { type CliIo, commandHelp, parseCommandArgs } from './args.js'
import { COMMANDS } from './command-table.js'
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js'
import { describeError } from './open-vault.js'

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `Usage: custos COMMAND [options]    (custos COMMAND --help for its options)

Custos: your personal data vault, self-hosted.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Settings (flags > environment > DATA/custos.json > defaults):
  --data DIR           CUSTOS_DATA             data folder (default ./data)
  --host HOST          CUSTOS_HOST      host   default 127.0.0.1
  --port PORT          CUSTOS_PORT      port   default 7300
  --public-url URL     CUSTOS_PUBLIC_URL       publicUrl      default http://HOST:PORT
  --database-url URL   CUSTOS_DATABASE_URL     databaseUrl    postgres://… (default SQLite DATA/custos.db)
  --unseal-key-file F  CUSTOS_UNSEAL_KEY_FILE  unsealKeyFile  auto-unseal at start (mode 0600)
  --log-level LEVEL    CUSTOS_LOG_LEVEL        logLevel       debug, info, warn, error
  --kdf PRESET         CUSTOS_KDF              kdf            interactive, moderate (default), sensitive
Passphrases come from a no-echo prompt, a --passphrase-file, or stdin (one per line);
never from arguments or the environment.

${EXIT_CODES_HELP}
`
}

/** Runs one invocation; returns the exit code (the caller exits). */
async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp())
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  const entry = COMMANDS.find((c) => c.name === name)
  if (!entry) {
    io.stderr.write(
      `custos: unknown command "${name.slice(0, 40)}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see custos --help)\n`,
    )
    return EXIT.usage
  }
  // `npm start -- --port 8080` habits: pnpm passes the `--` through; no command takes a positional starting with `-`.
  if (rest[0] === '--') rest.shift()
  try {
    const command = await entry.load()
    const { values, positionals } = parseCommandArgs(command, rest)
    if (values.help) {
      io.stdout.write(commandHelp(command))
      return EXIT.ok
    }
    return await command.run({ values, positionals, io })
  } catch (err) {
    const { exitCode, message } = describeError(err)
    io.stderr.write(`${message}\n`)
    return exitCode
  }
}

const code = await main(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
})
process.exit(code)
