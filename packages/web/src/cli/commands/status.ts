/**
 * `custos status`: where the vault stands — state, vault id, KDF, data folder, engine, and
 * whether a server answers. The server is found from the data folder's run file (run-file.ts),
 * else at the URL the settings give; `--host`/`--port`/`--public-url` name one explicitly.
 * One truth (issue 10: one screen said both "sealed" and "unsealed"): `state` is the running
 * server's own when one answers — this process opens the database sealed and would otherwise
 * report its own, never the server's — and the database's when none does.
 * With a passphrase (`--unlock`, or a passphrase / recovery key flag) it also counts what the
 * vault holds. `--json` for scripts.
 */
import type { Command, Invocation } from '../args.js'
import { STORAGE_OPTIONS, resolveSettings } from '../config.js'
import { EXIT } from '../exit-codes.js'
import { openVault, sqliteFile, storageExists, unlockVault } from '../open-vault.js'
import { createSecretReader } from '../passphrase-input.js'
import { readRunFile } from '../run-file.js'
import { PASSPHRASE_OPTIONS, readCredentials } from '../unlocked-vault.js'

interface StatusReport {
  state: 'uninitialized' | 'sealed' | 'unsealed'
  vaultId?: string
  createdAt?: string
  kdf?: { opslimit: number; memlimit: number }
  failedUnlocks?: number
  unlockBlockedUntil?: string
  rotationPending?: boolean
  counts?: Record<string, number>
  data: string
  engine: 'sqlite' | 'postgres'
  database: string
  /** `state`: the server's own answer, or 'not running'; `pid` when the run file names it. */
  server: { url: string; state: string; pid?: number }
}

const VAULT_STATES = new Set<string>(['uninitialized', 'sealed', 'unsealed'])
/** Flags that name the server to ask; without them the data folder's run file does. */
const SERVER_FLAGS = ['host', 'port', 'public-url'] as const

const COUNTED = ['fields', 'purchases', 'vendors', 'grants', 'audit'] as const

/** Asks the server the settings point at; a short timeout, since "not running" is a fine answer. */
async function serverState(url: string): Promise<StatusReport['server']> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1500) })
    const body = (await res.json()) as { state?: string }
    return { url, state: typeof body.state === 'string' ? body.state : `HTTP ${res.status}` }
  } catch {
    return { url, state: 'not running' }
  }
}

/** "running, pid 4242" for a Custos server; what answered otherwise ("not running", "HTTP 404"). */
function serverWords(server: StatusReport['server']): string {
  if (!VAULT_STATES.has(server.state)) return server.state
  return server.pid !== undefined ? `running, pid ${server.pid}` : 'running'
}

async function run({ values, io }: Invocation): Promise<number> {
  const settings = resolveSettings(values, io.env)
  const engine = settings.databaseUrl ? 'postgres' : 'sqlite'
  const running = SERVER_FLAGS.some((flag) => values[flag] !== undefined)
    ? undefined
    : readRunFile(settings.data)
  const server = {
    ...(await serverState(running?.url ?? settings.publicUrl)),
    ...(running ? { pid: running.pid } : {}),
  }
  const base = { data: settings.data, engine, server } as const
  // The state the server reports, when one answers with a vault state; else this process's view.
  const served = VAULT_STATES.has(server.state)
    ? (server.state as StatusReport['state'])
    : undefined
  let report: StatusReport
  const wantsUnlock =
    values.unlock ||
    values['passphrase-file'] !== undefined ||
    values['recovery-key'] ||
    values['recovery-key-file'] !== undefined
  if (!storageExists(settings)) {
    report = { state: served ?? 'uninitialized', database: 'none yet', ...base }
  } else if (!wantsUnlock && !settings.databaseUrl) {
    // Reporting only, on SQLite: read the file's plaintext metadata without opening the vault
    // (no migrations, keys or libsodium), so the command answers in a fraction of a second.
    const { peekSqliteVault } = await import('@custos/vault/peek')
    const peek = peekSqliteVault(sqliteFile(settings))
    report = { state: served ?? peek.state, database: sqliteFile(settings), ...base }
    if (peek.state === 'sealed') {
      Object.assign(report, { vaultId: peek.vaultId, createdAt: peek.createdAt, kdf: peek.kdf })
      if (report.state === 'sealed')
        Object.assign(report, {
          failedUnlocks: peek.failedUnlocks,
          ...(peek.unlockBlockedUntil ? { unlockBlockedUntil: peek.unlockBlockedUntil } : {}),
        })
    }
  } else {
    const { vault, database, location } = await openVault(settings, { create: false })
    try {
      if (wantsUnlock)
        await unlockVault(vault, await readCredentials(values, createSecretReader(io)))
      const status = await vault.status()
      report = { state: served ?? status.state, database: location, ...base }
      if (status.state !== 'uninitialized') {
        const meta = await database.db
          .selectFrom('vault_meta')
          .select('kdf_params')
          .where('id', '=', 1)
          .executeTakeFirstOrThrow()
        const kdf = JSON.parse(meta.kdf_params) as { opslimit: number; memlimit: number }
        Object.assign(report, {
          vaultId: status.vaultId,
          createdAt: status.createdAt,
          kdf: { opslimit: kdf.opslimit, memlimit: kdf.memlimit },
        })
      }
      if (status.state === 'sealed' && report.state === 'sealed')
        Object.assign(report, {
          failedUnlocks: status.failedUnlocks,
          ...(status.unlockBlockedUntil ? { unlockBlockedUntil: status.unlockBlockedUntil } : {}),
        })
      if (status.state === 'unsealed') {
        const counts: Record<string, number> = {}
        for (const table of COUNTED) {
          const row = await database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirstOrThrow()
          counts[table] = Number(row.n)
        }
        Object.assign(report, { rotationPending: status.rotationPending, counts })
      }
    } finally {
      await vault.close()
    }
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(report)}\n`)
    return EXIT.ok
  }
  const lines: [string, string | undefined][] = [
    ['state', report.state],
    ['vault id', report.vaultId],
    ['created', report.createdAt],
    [
      'kdf',
      report.kdf
        ? `argon2id, ${report.kdf.opslimit} passes, ${report.kdf.memlimit / 1024 / 1024} MiB`
        : undefined,
    ],
    [
      'failed unlocks',
      report.failedUnlocks !== undefined ? String(report.failedUnlocks) : undefined,
    ],
    ['unlock blocked until', report.unlockBlockedUntil],
    [
      'rotation pending',
      report.rotationPending !== undefined ? String(report.rotationPending) : undefined,
    ],
    [
      'counts',
      report.counts
        ? COUNTED.map((t) => `${report.counts?.[t]} ${t === 'audit' ? 'audit entries' : t}`).join(
            ', ',
          )
        : undefined,
    ],
    ['data folder', report.data],
    ['engine', report.engine],
    ['database', report.database],
    ['server', `${report.server.url} (${serverWords(report.server)})`],
  ]
  for (const [label, value] of lines)
    if (value !== undefined) io.stdout.write(`${`${label}:`.padEnd(22)}${value}\n`)
  return EXIT.ok
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show the vault state, id, KDF, data folder, engine (and counts when unlocked).',
  positionals: [],
  options: {
    ...STORAGE_OPTIONS,
    ...PASSPHRASE_OPTIONS,
    unlock: { type: 'boolean', help: 'ask for the passphrase and also show counts' },
    host: {
      type: 'string',
      arg: 'HOST',
      help: "where the server listens, to ask it (default: the data folder's custos.run.json, else 127.0.0.1)",
    },
    port: { type: 'string', short: 'p', arg: 'PORT', help: 'its port (default 7300)' },
    'public-url': { type: 'string', arg: 'URL', help: 'its public URL (default http://HOST:PORT)' },
    json: { type: 'boolean', help: 'print one JSON object' },
  },
  details: `Reads nothing secret without a passphrase: the vault stays sealed in this process.
The server is found through DATA/custos.run.json, written by custos serve; the state shown
is the running server's, or the database's when no server runs.`,
  run,
}
