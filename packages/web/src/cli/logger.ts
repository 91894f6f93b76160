/**
 * Structured logs: one JSON object per line on stdout — `time`, `level`, `msg`, then fields.
 * Callers pass ids, counts, routes and codes only: never passphrases, tokens, cookies, field
 * values or personal data (STYLE.md "Logging"); vault events are logged by type alone.
 */
import type { VaultEvent } from '@custos/vault'
import type { LOG_LEVELS } from './config.js'

export type LogLevel = (typeof LOG_LEVELS)[number]
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/**
 * @example
 * const log = createLogger({ level: 'info', write: (line) => process.stdout.write(line) })
 * log.info('listening', { url: 'http://127.0.0.1:7300' })
 */
export function createLogger(options: {
  level: LogLevel
  write: (line: string) => void
  now?: () => Date
}): Logger {
  const now = options.now ?? (() => new Date())
  const emit =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      if (RANK[level] < RANK[options.level]) return
      const entry: Record<string, unknown> = { time: now().toISOString(), level, msg }
      // Fields never overwrite the envelope, so a log reader can trust `level` and `msg`.
      for (const [key, value] of Object.entries(fields))
        if (!(key in entry) && value !== undefined) entry[key] = value
      options.write(`${JSON.stringify(entry)}\n`)
    }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}

/** Per-request and per-batch events would drown the log at `info`; lifecycle events belong there. */
const FREQUENT = new Set<VaultEvent['type']>([
  'grant.read',
  'audit.flushed',
  'field.set',
  'field.deleted',
  'purchase.added',
  'purchase.deleted',
  'keys.rotation_progress',
  'inbox.appended',
])

/** Logs a vault event by its type only — its ids are not needed to operate the server. */
export function logVaultEvent(log: Logger, event: VaultEvent): void {
  const level = FREQUENT.has(event.type)
    ? 'debug'
    : event.type === 'vault.unlock_failed'
      ? 'warn'
      : 'info'
  log[level]('vault event', { event: event.type })
}

/**
 * What the log may say about an unexpected error: its class, its stable code and where it was
 * thrown (the first frame of the stack inside our code or a dependency). Never the message: a
 * driver's message can quote SQL, and a library's can quote the input it refused.
 */
export function errorFields(err: unknown): LogFields {
  if (!(err instanceof Error)) return { error: typeof err }
  const code = (err as { code?: unknown }).code
  const frame = err.stack?.split('\n').find((line) => line.trimStart().startsWith('at '))
  const where = frame ? /\(?((?:file:\/\/)?\/[^():]+:\d+):\d+\)?$/.exec(frame)?.[1] : undefined
  return {
    error: err.name,
    code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    where: where?.replace(/^.*\/(packages|node_modules)\//, '$1/'),
  }
}
