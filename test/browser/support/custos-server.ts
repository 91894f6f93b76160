/**
 * A real `custos serve` child process for the browser stories, exactly as the owner runs it: the
 * command's entry point, a data folder, 127.0.0.1 and a free port. It is ready once its JSON log
 * says `"msg":"listening"`; `stop()` sends SIGTERM and resolves with the exit code.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..', '..')

export interface CustosServer {
  readonly url: string
  /** Everything the process printed so far (JSON log lines on stdout, errors on stderr). */
  output(): string
  /** SIGTERM, then the exit code (null if it had to be killed). */
  stop(): Promise<number | null>
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

/** Starts `custos serve --data DIR` and waits (up to `timeoutMs`) for it to listen. */
export async function startCustos(data: string, timeoutMs = 60_000): Promise<CustosServer> {
  const port = await freePort()
  // The interactive Argon2id preset keeps the 2-core test machine responsive; the passphrase
  // checks themselves are the same code at any cost.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'packages/web/src/cli/main.ts'), 'serve', '--data', data, '--host', '127.0.0.1', '--port', String(port), '--kdf', 'interactive'], {
    cwd: root,
    // Only the flags above configure it: no CUSTOS_* setting of the machine running the tests leaks in.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CUSTOS_'))), CUSTOS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`custos serve did not listen within ${timeoutMs} ms:\n${out}`)), timeoutMs)
    const check = () => {
      if (/"msg":"listening"/.test(out)) done()
    }
    const onExit = (code: number | null) => fail(new Error(`custos serve exited with ${code} before listening:\n${out}`))
    function done() {
      clearTimeout(timer)
      child.stdout?.off('data', check)
      child.off('exit', onExit)
      resolve()
    }
    function fail(err: Error) {
      clearTimeout(timer)
      child.stdout?.off('data', check)
      child.off('exit', onExit)
      child.kill('SIGKILL')
      reject(err)
    }
    child.stdout?.on('data', check)
    child.once('exit', onExit)
    check()
  })

  let stopped: Promise<number | null> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    stop() {
      if (!stopped) {
        stopped = (async () => {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
          const code = await exited
          clearTimeout(timer)
          return code
        })()
      }
      return stopped
    },
  }
}
