/**
 * Test support: real `custos` processes. `initVault` runs `custos init` (fast KDF, passphrase and
 * unseal key file written 0600); `startServer` spawns `custos serve` on a free loopback port and
 * resolves once `/healthz` answers, so the reliability and scale-out tests talk to the same
 * program an operator runs — its own event loop, sockets, file handles and memory.
 *
 * Output is drained continuously (a full pipe would stall the server) and only the last 64 KiB
 * is kept for failure messages.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')
const main = join(root, 'packages/web/src/cli/main.ts')
const KEEP = 64 * 1024

export interface ServerProcess {
  readonly url: string
  readonly port: number
  readonly pid: number
  readonly child: ChildProcess
  /** The last 64 KiB of stdout and stderr. */
  output(): string
  /** SIGTERM and wait: the exit code (null when killed by a signal). */
  stop(): Promise<number | null>
  /** SIGKILL and wait: a crash at this very moment. */
  kill(): Promise<void>
  /** Open file descriptors of the process (/proc/PID/fd). */
  fdCount(): number
  /** What each open descriptor points at (`socket:[…]`, a file path, `anon_inode:…`), for failure messages. */
  fdTargets(): string[]
  /** Resident set size in bytes (/proc/PID/status VmRSS). */
  rss(): number
}

export interface VaultLocation {
  /** The data folder (SQLite file, or only the key file when a database URL is given). */
  readonly data: string
  readonly databaseUrl?: string
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const storageArgs = (at: VaultLocation) => [
  '--data',
  at.data,
  ...(at.databaseUrl ? ['--database-url', at.databaseUrl] : []),
]

/** Runs one `custos` command to completion: exit code and output. */
export function runCustos(
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args],
      { cwd: root, timeout: timeoutMs, env: cleanEnv() },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** The parent's environment without CUSTOS_* settings, so only the flags a test passes count. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CUSTOS_')))
}

/**
 * `custos init` with the cheapest KDF; writes the passphrase to DATA/unseal.key (0600) for
 * `serve --unseal-key-file`. Returns the key file and the recovery key.
 */
export async function initVault(
  at: VaultLocation,
  passphrase: string,
): Promise<{ keyFile: string; recoveryKey: string }> {
  const passphraseFile = join(at.data, 'passphrase.txt')
  writeFileSync(passphraseFile, `${passphrase}\n`, { mode: 0o600 })
  const keyFile = join(at.data, 'unseal.key')
  const { code, stdout, stderr } = await runCustos([
    'init',
    ...storageArgs(at),
    '--kdf',
    'interactive',
    '--passphrase-file',
    passphraseFile,
    '--write-unseal-key-file',
    keyFile,
  ])
  if (code !== 0) throw new Error(`custos init failed (${code}): ${stderr}`)
  const recoveryKey = /Recovery key: (\S+)/.exec(stdout)?.[1]
  if (!recoveryKey) throw new Error('custos init printed no recovery key')
  return { keyFile, recoveryKey }
}

/**
 * Spawns `custos serve` and waits until it answers `/healthz` (at most 60 s). `limits` go into
 * DATA/custos.json (the only place the command takes them from).
 */
export async function startServer(
  at: ServeOptions & { port?: number; limits?: Record<string, unknown> },
): Promise<ServerProcess> {
  if (at.limits) {
    const file = join(at.data, 'custos.json')
    const current = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
      : {}
    writeFileSync(file, JSON.stringify({ ...current, limits: at.limits }), { mode: 0o600 })
  }
  const port = at.port ?? (await freePort())
  const child = spawnServe(at, port)
  let out = ''
  const keep = (d: Buffer) => {
    out += d.toString()
    if (out.length > KEEP) out = out.slice(-KEEP)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited: number | null | undefined
  const exit = once(child, 'exit').then(([code]) => (exited = code as number | null))
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (exited !== undefined)
      throw new Error(`custos serve exited (${exited}) before listening: ${out}`)
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (i > 600) {
      child.kill('SIGKILL')
      throw new Error(`custos serve did not answer within 60 s: ${out}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  const pid = child.pid as number
  return {
    url,
    port,
    pid,
    child,
    output: () => out,
    async stop() {
      if (exited === undefined) child.kill('SIGTERM')
      await exit
      return exited ?? null
    },
    async kill() {
      if (exited === undefined) child.kill('SIGKILL')
      await exit
    },
    fdCount: () => readdirSync(`/proc/${pid}/fd`).length,
    fdTargets: () =>
      readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`)
        } catch {
          return 'closed'
        }
      }),
    rss: () =>
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) *
      1024,
  }
}

type ServeOptions = VaultLocation & {
  keyFile?: string
  publicUrl?: string
  logLevel?: string
  kdf?: string
}

function spawnServe(at: ServeOptions, port: number): ChildProcess {
  const args = [
    'serve',
    ...storageArgs(at),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    at.logLevel ?? 'warn',
    ...(at.keyFile ? ['--unseal-key-file', at.keyFile] : []),
    ...(at.publicUrl ? ['--public-url', at.publicUrl] : []),
    ...(at.kdf ? ['--kdf', at.kdf] : []),
  ]
  return spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: root,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/**
 * Spawns `custos serve` and SIGKILLs it `afterMs` later, whatever it is doing then — opening the
 * database, migrating, unsealing, listening: a crash during start-up. Resolves once it is gone.
 */
export async function killDuringStart(at: ServeOptions, afterMs: number): Promise<void> {
  const child = spawnServe(at, await freePort())
  child.stdout?.resume()
  child.stderr?.resume()
  const exit = once(child, 'exit')
  await new Promise((r) => setTimeout(r, afterMs))
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await exit
}
