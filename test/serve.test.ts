/**
 * The first README command ends in `pnpm start`: this starts that entry point as a child process
 * on a fresh data folder and checks it creates the vault, serves the API unsealed, keeps its
 * secrets out of the log, and shuts down cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
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
  it('creates the vault in the data folder, serves the API unsealed, and exits 0 on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-serve-'))
    const port = await freePort()
    child = spawn(process.execPath, ['--import', 'tsx', join(root, 'packages/web/src/cli/serve.ts')], {
      cwd: root,
      env: { ...process.env, CUSTOS_DATA: dir, CUSTOS_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    for (let i = 0; i < 200 && !out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 100))
    expect(out).toContain(`Custos listening on http://127.0.0.1:${port}`)
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
    expect(await ready.json()).toEqual({ ready: true, state: 'unsealed' })
    const meta = (await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)).json()) as { issuer: string }
    expect(meta.issuer).toBe(`http://127.0.0.1:${port}`)
    const passphrase = readFileSync(join(dir, 'initial-passphrase'), 'utf8').trim()
    expect(statSync(join(dir, 'initial-passphrase')).mode & 0o077).toBe(0)
    expect(out).not.toContain(passphrase)
    expect(out).toMatch(/Recovery key — shown once/)
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(code).toBe(0)
  })
})
