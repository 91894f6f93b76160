/**
 * Where secrets (passphrases, recovery keys) come from: a file named by a flag, a prompt with no
 * echo when stdin is a terminal, or one line of stdin per secret when it is not. Never argv
 * (visible in `ps` and shell history) and never the environment; never logged.
 */
import { readFileSync } from 'node:fs'
import type { CliIo } from './args.js'
import { CliError, EXIT } from './exit-codes.js'

export interface SecretRequest {
  /** Prompt text on a terminal, e.g. `Passphrase: `. */
  readonly prompt: string
  /** What it is, for messages: `passphrase`, `new passphrase`, `recovery key`. */
  readonly what: string
  /** A file to read it from instead (from a `--…-file` flag). */
  readonly file?: string
  /** Flag that names such a file, for messages. */
  readonly fileFlag: string
  /** On a terminal, ask twice and require both to match (creating a passphrase). */
  readonly confirm?: boolean
}

export interface SecretReader {
  read(request: SecretRequest): Promise<string>
}

/** Drops one trailing newline (`echo secret > file` adds one) and nothing else: spaces can be part of a passphrase. */
export function stripTrailingNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}

/** Reads a secret file; its content is never put into an error message. */
export function readSecretFile(file: string, what: string, flag: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new CliError(
      EXIT.usage,
      `custos: cannot read the ${what} from ${file} (${flag}): ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  const secret = stripTrailingNewline(text)
  if (secret === '') throw new CliError(EXIT.usage, `custos: ${file} (${flag}) is empty`)
  return secret
}

/** Prompts on stderr with no echo: raw mode, so the terminal never shows (or scrolls back) the secret. */
function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const { stdin, stderr } = io
  // Raw mode before the prompt shows: whatever is typed after seeing it is never echoed.
  stdin.setRawMode(true)
  stderr.write(prompt)
  stdin.setEncoding('utf8')
  stdin.resume()
  return new Promise((resolve, reject) => {
    let chars: string[] = []
    const finish = (result: { value: string } | { error: CliError }) => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      stderr.write('\n')
      if ('value' in result) resolve(result.value)
      else reject(result.error)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish({ value: chars.join('') })
        if (ch === '\u0003')
          return finish({ error: new CliError(EXIT.failure, 'custos: cancelled') })
        if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1)
        else if (ch === '\u0015') chars = []
        else if (ch >= ' ') chars.push(ch)
      }
    }
    stdin.on('data', onData)
  })
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const parts: Buffer[] = []
  for await (const chunk of stream)
    parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(parts).toString('utf8')
}

/**
 * @example
 * const secrets = createSecretReader(io)
 * const passphrase = await secrets.read({ prompt: 'Passphrase: ', what: 'passphrase', file: values['passphrase-file'], fileFlag: '--passphrase-file' })
 */
export function createSecretReader(io: CliIo): SecretReader {
  let lines: Promise<string[]> | undefined
  let next = 0
  return {
    async read(request) {
      if (request.file !== undefined)
        return readSecretFile(request.file, request.what, request.fileFlag)
      if (io.stdin.isTTY) {
        const value = await promptHidden(io, request.prompt)
        if (value === '') throw new CliError(EXIT.usage, `custos: no ${request.what} given`)
        if (request.confirm && (await promptHidden(io, `Repeat ${request.what}: `)) !== value) {
          throw new CliError(
            EXIT.failure,
            `custos: the two ${request.what} entries differ; nothing was changed`,
          )
        }
        return value
      }
      // Not a terminal: one secret per line of stdin, in the order the command asks for them.
      lines ??= readAll(io.stdin).then((text) => text.split(/\r?\n/))
      const value = (await lines)[next++]
      if (value === undefined || value === '') {
        throw new CliError(
          EXIT.usage,
          `custos: expected the ${request.what} on standard input (one per line) or in a file (${request.fileFlag})`,
        )
      }
      return value
    },
  }
}
