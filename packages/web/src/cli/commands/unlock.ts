/**
 * `custos unlock`: unseals a RUNNING server — `POST {url}/owner/unlock` with the passphrase or
 * the recovery key (packages/consent-api/src/owner/status-routes.ts). Throttling is reported
 * honestly with the server's Retry-After (SECURITY.md promise 8).
 */
import { z } from 'zod'
import type { Command, Invocation } from '../args.js'
import { STORAGE_OPTIONS, resolveSettings } from '../config.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createSecretReader } from '../passphrase-input.js'
import { PASSPHRASE_OPTIONS, readCredentials } from '../unlocked-vault.js'

const Url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''))
const Problem = z.object({ title: z.string().optional(), code: z.string().optional() }).loose()

/**
 * Where the passphrase may travel: https anywhere, plain http only to this computer (loopback,
 * or the any-address a local server listens on). A redirect is never followed (`redirect:
 * 'manual'`): fetch would re-send the body on 307/308 to whatever host it names.
 */
export function mayCarrySecret(url: string): boolean {
  const { protocol, hostname } = new URL(url)
  if (protocol === 'https:') return true
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === '::1' ||
    host === '0.0.0.0' ||
    host === '::'
  )
}

async function run({ values, io }: Invocation): Promise<number> {
  const settings = resolveSettings(values, io.env)
  let url = settings.publicUrl
  if (typeof values.url === 'string') {
    const parsed = Url.safeParse(values.url)
    if (!parsed.success)
      throw new CliError(
        EXIT.usage,
        'custos: invalid setting url (from --url): must be an http(s) URL',
      )
    url = parsed.data
  }
  if (!mayCarrySecret(url)) {
    throw new CliError(
      EXIT.usage,
      `custos: refusing to send the passphrase in clear text to ${url}: use an https:// URL, or run custos unlock on that computer (--url http://127.0.0.1:PORT)`,
    )
  }
  const credentials = await readCredentials(values, createSecretReader(io))
  // `origin`: the access log says this unlock came from the command line (the owner API's UnlockBody).
  const secret =
    typeof credentials === 'object' && 'recoveryKey' in credentials
      ? { recoveryKey: credentials.recoveryKey }
      : { passphrase: credentials as string }
  const body = { ...secret, origin: 'cli' as const }
  let res: Response
  try {
    res = await fetch(`${url}/owner/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(60_000),
    })
  } catch {
    throw new CliError(
      EXIT.failure,
      `custos: no Custos server answers at ${url} (start it with custos serve, or pass --url)`,
    )
  }
  const problem = Problem.safeParse(await res.json().catch(() => ({})))
  const code = problem.success ? problem.data.code : undefined
  if (res.ok) {
    io.stdout.write(`Unlocked the vault at ${url}.\n`)
    return EXIT.ok
  }
  if (res.status === 409) {
    io.stdout.write(`The vault at ${url} is already unlocked.\n`)
    return EXIT.ok
  }
  if (res.status === 429) {
    const retryAfter = res.headers.get('retry-after')
    throw new CliError(
      EXIT.unlock,
      `custos: unlocking is throttled after repeated failures${retryAfter ? `; retry after ${retryAfter} s` : ''}`,
    )
  }
  if (res.status === 401 || code === 'ERR_UNLOCK_FAILED' || code === 'ERR_RECOVERY_KEY_FORMAT')
    throw new CliError(EXIT.unlock, 'custos: wrong passphrase or recovery key')
  throw new CliError(
    EXIT.failure,
    `custos: the server at ${url} answered ${res.status}${code ? ` ${code}` : ''}${problem.success && problem.data.title ? `: ${problem.data.title}` : ''}`,
  )
}

export const unlockCommand: Command = {
  name: 'unlock',
  summary: 'Unlock a running server (passphrase or recovery key).',
  positionals: [],
  options: {
    ...STORAGE_OPTIONS,
    ...PASSPHRASE_OPTIONS,
    url: {
      type: 'string',
      arg: 'URL',
      help: 'the server (default: the public URL from the settings, http://127.0.0.1:7300)',
    },
    host: { type: 'string', arg: 'HOST', help: 'the server host, when --url is not given' },
    port: {
      type: 'string',
      short: 'p',
      arg: 'PORT',
      help: 'the server port, when --url is not given',
    },
  },
  run,
}
