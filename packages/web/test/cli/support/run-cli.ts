/**
 * Test support: runs the real `custos` command as a child process (`node --import tsx
 * packages/web/src/cli/main.ts …`), with a clean CUSTOS_* environment and the cheapest KDF, and
 * starts `custos serve` on a free port.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const root = join(import.meta.dirname, '../../../../..')
export const MAIN = join(root, 'packages/web/src/cli/main.ts')
export const PASSPHRASE = 'correct horse battery staple'

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The environment without any CUSTOS_* the developer may have set, plus the fast KDF. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CUSTOS_')) env[k] = v
  return { ...env, CUSTOS_KDF: 'interactive', ...extra }
}

export async function runCli(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: options.cwd ?? root,
    env: cleanEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdin.end(options.input ?? '')
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** A temp folder, with a passphrase file (0600) in it. */
export function tempDir(): { dir: string; passFile: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'custos-cli-'))
  const passFile = join(dir, 'pass')
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 })
  return { dir, passFile, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface RunningServer {
  readonly url: string
  readonly port: number
  /** stdout and stderr, interleaved as they arrived. */
  output(): string
  /** stderr alone. */
  errors(): string
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
  kill(): void
}

/** `custos serve …` on a free port; resolves once it logged "listening", rejects if it exits first. */
export async function startServe(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const port = await freePort()
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--host', '127.0.0.1', '--port', String(port), ...args],
    {
      cwd: root,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
    err += d.toString()
  })
  const exited = once(child, 'exit')
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('"msg":"listening"')) {
        clearInterval(timer)
        resolve()
      }
    }, 50)
    void exited.then(([code]) => {
      clearInterval(timer)
      reject(new Error(`custos serve exited ${String(code)}: ${out}`))
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => out,
    errors: () => err,
    async stop() {
      child.kill('SIGTERM')
      const [code] = (await exited) as [number | null]
      return code
    },
    kill: () => child.kill('SIGKILL'),
  }
}
