/**
 * `custos serve` as a process: JSON logs with the URL, graceful SIGTERM (exit 0), auto-unseal
 * from a key file on restart (refused when group/others can read it), and `custos unlock`
 * against the running server — wrong passphrase (exit 3), throttling with its retry time
 * (exit 3), success, and "already unlocked".
 */
import { chmodSync, existsSync, statSync } from 'node:fs'
import { once } from 'node:events'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PASSPHRASE, type RunningServer, runCli, startServe, tempDir } from './support/run-cli.js'

const temp = tempDir()
const data = join(temp.dir, 'data')
const keyFile = join(temp.dir, 'unseal-key')
let server: RunningServer | undefined

beforeAll(async () => {
  const init = await runCli([
    'init',
    '--data',
    data,
    '--passphrase-file',
    temp.passFile,
    '--write-unseal-key-file',
    keyFile,
  ])
  expect(init.code).toBe(0)
  expect(init.stdout).toContain(`The passphrase is also in ${keyFile} (mode 0600)`)
})
afterEach(() => {
  server?.kill()
  server = undefined
})
afterAll(() => temp.dispose())

/** Waits for a condition the test cannot be told about by an event (a log line, bytes on a socket). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !condition(); i++) await new Promise((r) => setTimeout(r, 50))
  expect(condition()).toBe(true)
}
const readyz = async (url: string) =>
  (await (await fetch(`${url}/readyz`)).json()) as { state: string }

describe('custos serve', () => {
  it('restarts unsealed from a 0600 unseal key file, logs one JSON object per line, and exits 0 on SIGTERM', async () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    server = await startServe(['--data', data, '--unseal-key-file', keyFile])
    expect(await readyz(server.url)).toEqual({ ready: true, state: 'unsealed' })
    expect(await (await fetch(`${server.url}/owner/status?secret=query`)).json()).toMatchObject({
      state: 'unsealed',
    })
    expect(await server.stop()).toBe(0)
    const lines = server
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const line of lines)
      expect(Object.keys(line).slice(0, 3)).toEqual(['time', 'level', 'msg'])
    expect(lines.find((l) => l.msg === 'listening')).toMatchObject({ url: server.url })
    expect(lines.find((l) => l.msg === 'vault event')).toMatchObject({ event: 'vault.unlocked' })
    expect(lines.find((l) => l.path === '/owner/status')).toMatchObject({
      msg: 'request',
      method: 'GET',
      status: 200,
    })
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped' })
    expect(server.output()).not.toContain(PASSPHRASE)
    expect(server.output()).not.toContain('secret=query')
  })

  it('SIGTERM lets a request in flight finish, then exits 0', async () => {
    server = await startServe(['--data', join(temp.dir, 'fresh')])
    const socket = connect(server.port, '127.0.0.1')
    let received = ''
    socket.on('data', (d: Buffer) => (received += d.toString()))
    const body = JSON.stringify({ passphrase: 'not yet set up' })
    // Expect: 100-continue makes the server say when it holds the request: then it is in flight.
    socket.write(
      `POST /owner/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
    )
    await until(() => received.includes('100 Continue'))
    const stopped = server.stop()
    await until(() => server?.output().includes('"msg":"shutting down"') ?? false)
    socket.end(body)
    await once(socket, 'close')
    expect(received).toMatch(/HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 503 /)
    expect(await stopped).toBe(0)
    const msgs = server
      .output()
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { msg: string }).msg)
    expect(msgs.slice(msgs.indexOf('shutting down'))).toEqual([
      'shutting down',
      'request',
      'stopped',
    ])
  })

  it('refuses an unseal key file that group or others can read, saying chmod 600 (exit 2)', async () => {
    chmodSync(keyFile, 0o640)
    try {
      const { code, stderr, stdout } = await runCli([
        'serve',
        '--data',
        data,
        '--port',
        '1',
        '--unseal-key-file',
        keyFile,
      ])
      expect(code).toBe(2)
      expect(stderr).toBe(
        `custos: the unseal key file ${keyFile} is readable by group or others (mode 640); run chmod 600 ${keyFile}\n`,
      )
      expect(stdout).toBe('')
    } finally {
      chmodSync(keyFile, 0o600)
    }
  })

  it('init --write-unseal-key-file never overwrites an existing file', async () => {
    const other = join(temp.dir, 'other')
    const { code, stderr } = await runCli([
      'init',
      '--data',
      other,
      '--passphrase-file',
      temp.passFile,
      '--write-unseal-key-file',
      keyFile,
    ])
    expect(code).toBe(1)
    expect(stderr).toContain('already exists; nothing was changed')
    expect(existsSync(join(other, 'custos.db'))).toBe(false)
  })

  it('custos unlock unseals a sealed running server; wrong passphrase and throttling exit 3 with the retry time', async () => {
    server = await startServe(['--data', data])
    expect(await readyz(server.url)).toMatchObject({ state: 'sealed' })
    const wrong = await runCli(['unlock', '--url', server.url], { input: 'not the passphrase\n' })
    expect(wrong).toMatchObject({ code: 3, stderr: 'custos: wrong passphrase or recovery key\n' })
    // Settings point the command at the server: --port instead of --url.
    const ok = await runCli([
      'unlock',
      '--port',
      String(server.port),
      '--passphrase-file',
      temp.passFile,
    ])
    expect(ok).toMatchObject({ code: 0, stdout: `Unlocked the vault at ${server.url}.\n` })
    expect(await readyz(server.url)).toMatchObject({ state: 'unsealed' })
    const again = await runCli(['unlock', '--url', server.url, '--passphrase-file', temp.passFile])
    expect(again).toMatchObject({
      code: 0,
      stdout: `The vault at ${server.url} is already unlocked.\n`,
    })
    expect(await server.stop()).toBe(0)

    // Five failures (straight to the API, to keep the test short), then the command shows the block.
    server = await startServe(['--data', data])
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/owner/unlock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ passphrase: `wrong ${i} wrong` }),
      })
      expect(res.status).toBe(401)
    }
    const throttled = await runCli([
      'unlock',
      '--url',
      server.url,
      '--passphrase-file',
      temp.passFile,
    ])
    expect(throttled.code).toBe(3)
    expect(throttled.stderr).toMatch(
      /^custos: unlocking is throttled after repeated failures; retry after \d+ s\n$/,
    )
    const offline = await runCli([
      'status',
      '--json',
      '--data',
      data,
      '--port',
      String(server.port),
    ])
    expect(JSON.parse(offline.stdout)).toMatchObject({
      state: 'sealed',
      failedUnlocks: 5,
      unlockBlockedUntil: expect.any(String),
      server: { state: 'sealed' },
    })
    expect(await server.stop()).toBe(0)
  })

  it('custos unlock with no server: exit 1 naming the URL', async () => {
    const { code, stderr } = await runCli([
      'unlock',
      '--url',
      'http://127.0.0.1:1',
      '--passphrase-file',
      temp.passFile,
    ])
    expect(code).toBe(1)
    expect(stderr).toContain('no Custos server answers at http://127.0.0.1:1')
  })
})
