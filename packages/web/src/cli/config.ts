/**
 * The command's settings, from four layers — flags > `CUSTOS_*` environment > the config file
 * `DATA/custos.json` > defaults — each value validated with zod where it comes from, so an error
 * names the setting *and* its source ("port from CUSTOS_PORT"). Values are never echoed back: a
 * database URL may carry a password. The only place besides main.ts that reads the environment.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'
import { Limits } from '@custos/consent-api/limits'
import { issuesFromZod } from '@custos/vault/validation'
import type { OptionSpecs } from './args.js'
import { CliError, EXIT } from './exit-codes.js'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export const KDF_NAMES = ['interactive', 'moderate', 'sensitive'] as const

/** One schema per setting: the single source of truth for flags, environment and file alike. */
const SettingSchemas = {
  host: z.string().min(1, 'must not be empty'),
  port: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be from 1 to 65535')
    .max(65535, 'must be from 1 to 65535'),
  publicUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .refine((u) => !u.includes('?') && !u.includes('#'), 'must have no query or fragment')
    .transform((u) => u.replace(/\/+$/, '')),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL'),
  unsealKeyFile: z.string().min(1, 'must not be empty'),
  logLevel: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }),
  kdf: z.enum(KDF_NAMES, { message: `must be one of ${KDF_NAMES.join(', ')}` }),
  trustedProxies: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be from 0 to 5')
    .max(5, 'must be from 0 to 5'),
} as const

type SettingName = keyof typeof SettingSchemas
type SettingValues = { [K in SettingName]: z.output<(typeof SettingSchemas)[K]> }

/**
 * The config file: exactly the settings above (the data folder itself cannot live inside it), and
 * `limits` — the consent API's rate limits and inbox cap, too structured for a flag — checked by
 * the API's own schema.
 */
const ConfigFile = z.object(SettingSchemas).partial().extend({ limits: Limits.optional() }).strict()
type FileValues = Partial<SettingValues> & { limits?: Limits }

const FLAG: Record<SettingName | 'data', string> = {
  data: 'data',
  host: 'host',
  port: 'port',
  publicUrl: 'public-url',
  databaseUrl: 'database-url',
  unsealKeyFile: 'unseal-key-file',
  logLevel: 'log-level',
  kdf: 'kdf',
  trustedProxies: 'trusted-proxies',
}
const ENV: Record<SettingName | 'data', string> = {
  data: 'CUSTOS_DATA',
  host: 'CUSTOS_HOST',
  port: 'CUSTOS_PORT',
  publicUrl: 'CUSTOS_PUBLIC_URL',
  databaseUrl: 'CUSTOS_DATABASE_URL',
  unsealKeyFile: 'CUSTOS_UNSEAL_KEY_FILE',
  logLevel: 'CUSTOS_LOG_LEVEL',
  kdf: 'CUSTOS_KDF',
  trustedProxies: 'CUSTOS_TRUSTED_PROXIES',
}

/** Resolved, frozen settings. `unsealKeyFile` is absolute; `publicUrl` has no trailing slash. */
export interface Settings {
  readonly data: string
  readonly configFile: string
  readonly host: string
  readonly port: number
  readonly publicUrl: string
  readonly databaseUrl?: string
  readonly unsealKeyFile?: string
  readonly logLevel: (typeof LOG_LEVELS)[number]
  readonly kdf: (typeof KDF_NAMES)[number]
  /** Reverse proxies in front whose X-Forwarded-For entry is believed (0: the header is ignored). */
  readonly trustedProxies: number
  /** The consent API's limits from the config file; absent → the API's defaults. */
  readonly limits?: Limits
  /** Where each non-default setting came from, for messages and `status`. */
  readonly sources: Readonly<Partial<Record<SettingName | 'data', string>>>
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 7300,
  logLevel: 'info',
  kdf: 'moderate',
  trustedProxies: 0,
} as const

/** Flags every command that touches the vault accepts. */
export const STORAGE_OPTIONS: OptionSpecs = {
  data: {
    type: 'string',
    short: 'd',
    arg: 'DIR',
    help: 'data folder (default ./data; env CUSTOS_DATA)',
  },
  'database-url': {
    type: 'string',
    arg: 'URL',
    help: 'postgres://… instead of SQLite in DATA/custos.db (env CUSTOS_DATABASE_URL)',
  },
}
export const KDF_OPTION: OptionSpecs = {
  kdf: {
    type: 'string',
    arg: 'PRESET',
    help: `Argon2id cost for a passphrase set now: ${KDF_NAMES.join(', ')} (default moderate; env CUSTOS_KDF)`,
  },
}
export const SERVER_OPTIONS: OptionSpecs = {
  host: {
    type: 'string',
    arg: 'HOST',
    help: 'address to listen on (default 127.0.0.1; env CUSTOS_HOST)',
  },
  port: { type: 'string', short: 'p', arg: 'PORT', help: 'port (default 7300; env CUSTOS_PORT)' },
  'public-url': {
    type: 'string',
    arg: 'URL',
    help: 'the URL browsers and vendors use, the OAuth issuer (default http://HOST:PORT; env CUSTOS_PUBLIC_URL)',
  },
  'unseal-key-file': {
    type: 'string',
    arg: 'FILE',
    help: 'unlock at start with the passphrase in FILE (mode 0600; env CUSTOS_UNSEAL_KEY_FILE)',
  },
  'log-level': {
    type: 'string',
    arg: 'LEVEL',
    help: `${LOG_LEVELS.join(', ')} (default info; env CUSTOS_LOG_LEVEL)`,
  },
  'trusted-proxies': {
    type: 'string',
    arg: 'N',
    help: 'reverse proxies in front that append X-Forwarded-For; 0 ignores the header (default 0; env CUSTOS_TRUSTED_PROXIES)',
  },
}

function invalid(setting: string, source: string, reason: string): CliError {
  return new CliError(EXIT.usage, `custos: invalid setting ${setting} (from ${source}): ${reason}`)
}

function validate<K extends SettingName>(name: K, raw: unknown, source: string): SettingValues[K] {
  const result = SettingSchemas[name].safeParse(raw)
  if (!result.success)
    throw invalid(FLAG[name], source, result.error.issues[0]?.message ?? 'invalid')
  return result.data as SettingValues[K]
}

function readConfigFile(file: string): FileValues {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new CliError(
      EXIT.usage,
      `custos: cannot read the config file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new CliError(EXIT.usage, `custos: the config file ${file} is not valid JSON`)
  }
  const parsed = ConfigFile.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    // Limits are named by where and why only (the vault's fixed-text translator), never by value or key.
    if (issue?.path[0] === 'limits')
      throw invalid(
        'limits',
        file,
        issuesFromZod([issue])
          .map((i) => `${i.path}: ${i.message}`)
          .join('; '),
      )
    if (issue?.code === 'unrecognized_keys')
      throw new CliError(
        EXIT.usage,
        `custos: unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')} in ${file} (known: ${Object.keys(SettingSchemas).join(', ')})`,
      )
    if (issue && issue.path.length > 0) throw invalid(String(issue.path[0]), file, issue.message)
    throw new CliError(EXIT.usage, `custos: the config file ${file} must hold a JSON object`)
  }
  const values = parsed.data as FileValues
  // A relative key file in the config file means relative to that file, not to wherever the command runs.
  if (values.unsealKeyFile && !isAbsolute(values.unsealKeyFile))
    values.unsealKeyFile = join(dirname(file), values.unsealKeyFile)
  return values
}

/**
 * Resolves the settings for one invocation.
 *
 * @example
 * const settings = resolveSettings({ port: '8080' }, process.env)
 */
export function resolveSettings(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: NodeJS.ProcessEnv,
): Settings {
  // Passphrases never come from the environment (it leaks into /proc, crash reports, child processes).
  if (env.CUSTOS_PASSPHRASE)
    throw new CliError(
      EXIT.usage,
      'custos: CUSTOS_PASSPHRASE is not supported: use --passphrase-file, standard input, or --unseal-key-file for serve',
    )
  const flagValue = (name: SettingName | 'data') => {
    const v = flags[FLAG[name]]
    return typeof v === 'string' ? v : undefined
  }
  const envValue = (name: SettingName | 'data') => {
    const v = env[ENV[name]]
    return v === undefined || v === '' ? undefined : v
  }
  const sources: Partial<Record<SettingName | 'data', string>> = {}

  const dataRaw = flagValue('data') ?? envValue('data')
  if (dataRaw !== undefined)
    sources.data = flagValue('data') !== undefined ? '--data' : 'CUSTOS_DATA'
  if (dataRaw === '') throw invalid('data', sources.data ?? '--data', 'must not be empty')
  const data = resolve(dataRaw ?? 'data')
  const configFile = join(data, 'custos.json')
  const file = readConfigFile(configFile)

  const pick = <K extends SettingName>(name: K): SettingValues[K] | undefined => {
    const fromFlag = flagValue(name)
    if (fromFlag !== undefined) {
      sources[name] = `--${FLAG[name]}`
      return validate(name, fromFlag, `--${FLAG[name]}`)
    }
    const fromEnv = envValue(name)
    if (fromEnv !== undefined) {
      sources[name] = ENV[name]
      return validate(name, fromEnv, ENV[name])
    }
    if (file[name] !== undefined) {
      sources[name] = configFile
      return file[name] as SettingValues[K]
    }
    return undefined
  }

  const host = pick('host') ?? DEFAULTS.host
  const port = pick('port') ?? DEFAULTS.port
  const publicUrl = pick('publicUrl') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const databaseUrl = pick('databaseUrl')
  const unsealKeyFile = pick('unsealKeyFile')
  const settings: Settings = {
    data,
    configFile,
    host,
    port,
    publicUrl,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(unsealKeyFile ? { unsealKeyFile: resolve(unsealKeyFile) } : {}),
    logLevel: pick('logLevel') ?? DEFAULTS.logLevel,
    kdf: pick('kdf') ?? DEFAULTS.kdf,
    trustedProxies: pick('trustedProxies') ?? DEFAULTS.trustedProxies,
    ...(file.limits ? { limits: file.limits } : {}),
    sources,
  }
  return Object.freeze(settings)
}
