/**
 * Issue 10: `custos status` without flags said "sealed"/"not running" while the server ran
 * unlocked on another port, and with `--port` one screen said both "sealed" and "unsealed".
 * `custos serve` now leaves `custos.run.json` (URL, pid; 0600) in the data folder, removed on a
 * clean shutdown; `status` finds the server through it and reports one state: the server's own.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, runCli, startServe, tempDir } from './support/run-cli.js'

const temp = tempDir()
const data = join(temp.dir, 'data')
const keyFile = join(temp.dir, 'unseal-key')
const runFile = join(data, 'custos.run.json')
let server: RunningServer | undefined

beforeAll(async () => {
  expect(
    (
      await runCli([
        'init',
        '--data',
        data,
        '--passphrase-file',
        temp.passFile,
        '--write-unseal-key-file',
        keyFile,
      ])
    ).code,
  ).toBe(0)
})
afterEach(() => {
  server?.kill()
  server = undefined
})
afterAll(() => temp.dispose())

/** The id of a process that has exited: what a crashed server leaves in its run file. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid as number
}

describe('issue 10: custos status finds the server from the data folder', () => {
  it('serve writes custos.run.json (0600, its URL and pid); status without flags reports the running server’s state, one truth; a clean stop removes the file', async () => {
    server = await startServe(['--data', data, '--unseal-key-file', keyFile])
    expect(statSync(runFile).mode & 0o777).toBe(0o600)
    const info = JSON.parse(readFileSync(runFile, 'utf8')) as { url: string; pid: number }
    expect(info).toMatchObject({ url: server.url, pid: expect.any(Number) })

    // No --port: the server is on a random port, found through the run file.
    const json = await runCli(['status', '--json', '--data', data])
    expect(JSON.parse(json.stdout)).toMatchObject({
      state: 'unsealed',
      server: { url: server.url, state: 'unsealed', pid: info.pid },
    })
    const text = await runCli(['status', '--data', data])
    expect(text.stdout).toMatch(/^state: +unsealed$/m)
    expect(text.stdout).toMatch(
      new RegExp(
        `^server: +${server.url.replace(/\./g, '\\.')} \\(running, pid ${info.pid}\\)$`,
        'm',
      ),
    )
    expect(text.stdout).not.toMatch(/\bsealed\b/)
    // Naming the port gives the same single answer.
    const named = await runCli(['status', '--data', data, '--port', String(server.port)])
    expect(named.stdout).toMatch(/^state: +unsealed$/m)
    expect(named.stdout).not.toMatch(/\bsealed\b/)

    expect(await server.stop()).toBe(0)
    expect(existsSync(runFile)).toBe(false)
    server = undefined
    // No server: the database's state.
    expect(JSON.parse((await runCli(['status', '--json', '--data', data])).stdout)).toMatchObject({
      state: 'sealed',
      server: { state: 'not running' },
    })
  })

  it('a stale run file (a dead pid) is ignored by status and replaced by the next serve', async () => {
    const pid = await deadPid()
    writeFileSync(
      runFile,
      JSON.stringify({ url: 'http://127.0.0.1:1', pid, startedAt: '2026-01-01T00:00:00.000Z' }),
      { mode: 0o600 },
    )
    const stale = JSON.parse((await runCli(['status', '--json', '--data', data])).stdout) as {
      state: string
      server: { url: string; state: string }
    }
    expect(stale.state).toBe('sealed')
    expect(stale.server.url).not.toBe('http://127.0.0.1:1')
    expect(stale.server.state).toBe('not running')

    server = await startServe(['--data', data])
    expect(JSON.parse(readFileSync(runFile, 'utf8'))).toMatchObject({ url: server.url })
    expect(server.output()).not.toContain('another custos serve')
    expect(JSON.parse((await runCli(['status', '--json', '--data', data])).stdout)).toMatchObject({
      state: 'sealed',
      server: { url: server.url, state: 'sealed' },
    })
    expect(await server.stop()).toBe(0)
    expect(existsSync(runFile)).toBe(false)
  })
})
