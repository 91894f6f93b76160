/**
 * The README's first command is the whole install for a self-hoster: on a fresh machine with only
 * Node.js and npm it must install Custos and bring it up with the set-up page waiting. This runs
 * that command, unmodified, in a fresh clone of the committed HEAD in a temp folder (so it sees
 * exactly what a newcomer gets, with nothing left over from this working tree), with only the port
 * chosen through the documented `CUSTOS_PORT` setting, and reaches the set-up page over HTTP.
 *
 * Slow by nature (a real `pnpm install`, native modules included): one test, a generous timeout.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from './support/server-process.js'

const root = join(import.meta.dirname, '..')
const INSTALL_AND_START_MS = 280_000

/** The README's first command, found the way test/readme.test.ts finds it. */
function firstReadmeCommand(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const command = [...readme.matchAll(/^(npx --yes pnpm@[\d.]+ install.*)$/gm)].map((m) => m[1])[0]
  if (!command) throw new Error('README.md has no install command')
  return command
}

/**
 * The environment of a newcomer's shell: this process's, less what the test runner and the
 * enclosing `pnpm test` put there (a test mode, the root package's script metadata), which a
 * person typing the command would not have.
 */
function newcomerEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|NODE_ENV$|NODE_OPTIONS$|TEST$|PNPM_SCRIPT_SRC_DIR$|CUSTOS_)/.test(key)) continue
    // npm/pnpm's own run-time variables, but not a registry or proxy the machine is set up with.
    if (
      /^npm_/i.test(key) &&
      !/^npm_config_(registry|.*proxy|cafile|strict_ssl|store_dir|cache)$/i.test(key)
    )
      continue
    env[key] = value
  }
  env.CUSTOS_PORT = String(port)
  return env
}

let dir: string | undefined
let child: ChildProcess | undefined

/**
 * The command runs in its own process group (sh → npx → pnpm → tsx → node): signal them all, as
 * Ctrl-C in a terminal would. (Clean shutdown on SIGTERM is test/serve.test.ts's business.)
 */
async function stopGroup(): Promise<number | null> {
  const process_ = child
  if (!process_?.pid || process_.exitCode !== null || process_.signalCode !== null)
    return process_?.exitCode ?? null
  const exited = new Promise<number | null>((resolve) =>
    process_.once('exit', (code) => resolve(code)),
  )
  process.kill(-process_.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    try {
      process.kill(-(process_.pid as number), 'SIGKILL')
    } catch {
      // Already gone.
    }
  }, 20_000)
  const code = await exited
  clearTimeout(timer)
  return code
}

afterAll(async () => {
  await stopGroup()
  // Anything of the group still alive after its leader exited (a grandchild that ignored SIGTERM).
  try {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL')
  } catch {
    // The whole group is gone.
  }
  if (dir) rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('the README first command, from a fresh clone', () => {
  it('installs, starts, and the browser is sent to the set-up page', {
    timeout: 300_000,
  }, async () => {
    const command = firstReadmeCommand()
    dir = mkdtempSync(join(tmpdir(), 'custos-fresh-clone-'))
    const clone = join(dir, 'custos')
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone], {
      stdio: 'pipe',
      timeout: 60_000,
    })

    const port = await freePort()
    let out = ''
    child = spawn('sh', ['-c', command], {
      cwd: clone,
      env: newcomerEnv(port),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((resolve) =>
      child?.once('exit', (code) => resolve(code)),
    )

    // Wait for the server to answer (installing takes a while); a command that exits first has failed.
    const base = `http://127.0.0.1:${port}`
    const deadline = Date.now() + INSTALL_AND_START_MS
    let first: Response | undefined
    while (!first && Date.now() < deadline) {
      const early = await Promise.race([
        exited.then((code) => ({ code })),
        new Promise((r) => setTimeout(r, 1000)).then(() => undefined),
      ])
      if (early)
        throw new Error(
          `the README command exited with ${early.code} before serving:\n${out.slice(-4000)}`,
        )
      first = await fetch(`${base}/`, { redirect: 'manual' }).catch(() => undefined)
    }
    if (!first)
      throw new Error(
        `nothing answered on ${base} within ${INSTALL_AND_START_MS / 1000} s:\n${out.slice(-4000)}`,
      )

    // A fresh data folder: the owner's first visit is sent to set-up…
    expect([302, 303, 307]).toContain(first.status)
    expect(new URL(first.headers.get('location') ?? '', base).pathname).toBe('/setup')
    // …which is a page with a form to choose the passphrase.
    const setup = await fetch(`${base}/setup`)
    expect(setup.status).toBe(200)
    expect(setup.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await setup.text()
    expect(html).toMatch(/<form\b[^>]*method="post"/i)
    expect(html.match(/<input\b[^>]*type="password"/gi)?.length).toBeGreaterThanOrEqual(2)
    expect(html).toContain('Create my vault')
  })
})
