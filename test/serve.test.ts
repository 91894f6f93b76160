/**
 * The first README command ends in `pnpm start`: this runs exactly what that script runs (read
 * from package.json, so the two cannot drift) as a child process on a fresh data folder, and
 * checks the first run creates no vault — the browser's set-up page does that — answers
 * `/healthz` and `/readyz` (`uninitialized`), logs JSON lines with the URL to open, and exits 0
 * on SIGTERM.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
let child: ChildProcess | undefined
let dir: string | undefined
afterEach(() => {
  child?.kill('SIGKILL')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

describe('pnpm start', () => {
  it('serves a fresh data folder uninitialized (the set-up page creates the vault), logs JSON, and exits 0 on SIGTERM', async () => {
    const start = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
    ).scripts.start
    // `tsc -b … && node packages/web/dist/cli/main.js serve`: the build steps run first, as the
    // shell would; the last step is spawned directly, so the run file's pid is the server's own.
    const steps = start.split(' && ')
    const [runner, entry, ...args] = (steps.pop() as string).split(' ')
    expect(runner).toBe('node')
    for (const step of steps) {
      const [bin, ...stepArgs] = step.split(' ')
      execFileSync(join(root, 'node_modules/.bin', bin as string), stepArgs, {
        cwd: root,
        stdio: 'pipe',
      })
    }
    dir = mkdtempSync(join(tmpdir(), 'custos-serve-'))
    const port = await freePort()
    child = spawn(process.execPath, [join(root, entry as string), ...args], {
      cwd: root,
      env: { ...process.env, CUSTOS_DATA: dir, CUSTOS_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    for (let i = 0; i < 200 && !out.includes('"msg":"listening"'); i++)
      await new Promise((r) => setTimeout(r, 100))
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.find((l) => l.msg === 'listening')).toMatchObject({
      level: 'info',
      url: `http://127.0.0.1:${port}`,
    })

    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ ok: true })
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toEqual({ ready: false, state: 'uninitialized' })
    const meta = (await (
      await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)
    ).json()) as { issuer: string }
    expect(meta.issuer).toBe(`http://127.0.0.1:${port}`)
    // No passphrase was invented and written anywhere: only the database exists, and the run
    // file (issue 10: where custos status finds this server) holds nothing but its URL and pid.
    expect(readdirSync(dir).filter((f) => !f.startsWith('custos.db'))).toEqual(['custos.run.json'])
    expect(JSON.parse(readFileSync(join(dir, 'custos.run.json'), 'utf8'))).toEqual({
      url: `http://127.0.0.1:${port}`,
      pid: child.pid,
      startedAt: expect.any(String),
    })

    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(code).toBe(0)
    const after = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; path?: string; status?: number })
    expect(after.find((l) => l.msg === 'request' && l.path === '/readyz')).toMatchObject({
      status: 503,
    })
    expect(after.at(-1)?.msg).toBe('stopped')
  })
})
