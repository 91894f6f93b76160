/**
 * The data folder's permissions (security issue: in an ordinary 0755 folder the database was
 * world-readable). `init` and `serve` warn on stderr about a folder group or others can use,
 * naming it and the fix; `--fix-permissions` makes the folder 0700 and its files 0600.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, runCli, startServe, tempDir } from './support/run-cli.js'

const temp = tempDir()
let server: RunningServer | undefined
afterEach(() => {
  server?.kill()
  server = undefined
})
afterAll(() => temp.dispose())

const modeOf = (path: string) => statSync(path).mode & 0o777

/** A data folder as `mkdir` makes it under the usual umask: 0755, open to everyone on the machine. */
function openFolder(name: string): string {
  const folder = join(temp.dir, name)
  mkdirSync(folder)
  chmodSync(folder, 0o755)
  return folder
}

/** The JSON log lines in a stream's text. */
const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe.skipIf(process.platform === 'win32')('data folder permissions', () => {
  it('init warns about a 0755 data folder, naming it and the fix, and still creates the database 0600', async () => {
    const folder = openFolder('init-open')
    const { code, stderr } = await runCli([
      'init',
      '--data',
      folder,
      '--passphrase-file',
      temp.passFile,
    ])
    expect(code).toBe(0)
    expect(stderr).toContain(
      `custos: warning: the data folder is open to group or others: other users of this computer may copy or replace the vault (${folder}, mode 755).`,
    )
    expect(stderr).toContain(
      `Fix: chmod 700 ${folder} && chmod 600 ${folder}/*, or run again with --fix-permissions`,
    )
    // Warned, not changed behind the operator's back.
    expect(modeOf(folder)).toBe(0o755)
    for (const name of readdirSync(folder).filter((n) => n.startsWith('custos.db')))
      expect([name, modeOf(join(folder, name))]).toEqual([name, 0o600])
  })

  it('init --fix-permissions makes the folder 0700 and its files 0600, without following links out of it', async () => {
    const folder = openFolder('init-fix')
    writeFileSync(join(folder, 'custos.json'), '{}\n', { mode: 0o644 })
    chmodSync(join(folder, 'custos.json'), 0o644)
    const outside = join(temp.dir, 'outside.txt')
    writeFileSync(outside, 'not ours to change\n')
    chmodSync(outside, 0o644)
    symlinkSync(outside, join(folder, 'link'))
    const { code, stderr } = await runCli([
      'init',
      '--data',
      folder,
      '--passphrase-file',
      temp.passFile,
      '--fix-permissions',
    ])
    expect(code).toBe(0)
    expect(stderr).not.toContain('warning')
    expect(stderr).toContain(
      `custos: data folder ${folder} set to mode 700, 1 file(s) in it to 600`,
    )
    expect(modeOf(folder)).toBe(0o700)
    expect(modeOf(join(folder, 'custos.json'))).toBe(0o600)
    expect(modeOf(join(folder, 'custos.db'))).toBe(0o600)
    expect(modeOf(outside)).toBe(0o644)
  })

  it('serve warns on stderr (a JSON log line) about a 0755 data folder; --fix-permissions repairs it, database included', async () => {
    const folder = openFolder('serve-open')
    // A vault made by an older version: database 0644 in a 0755 folder.
    expect(
      (await runCli(['init', '--data', folder, '--passphrase-file', temp.passFile])).code,
    ).toBe(0)
    chmodSync(join(folder, 'custos.db'), 0o644)

    server = await startServe(['--data', folder])
    const warning = jsonLines(server.errors()).find((l) => l.level === 'warn')
    expect(warning).toMatchObject({
      msg: 'the data folder is open to group or others: other users of this computer may copy or replace the vault',
      folder,
      mode: '755',
      fix: expect.stringContaining('--fix-permissions'),
    })
    // Opening the vault tightened the database file itself (the library's own rule).
    expect(modeOf(join(folder, 'custos.db'))).toBe(0o600)
    expect(await server.stop()).toBe(0)

    writeFileSync(join(folder, 'notes.txt'), 'left here by hand\n', { mode: 0o644 })
    chmodSync(join(folder, 'notes.txt'), 0o644)
    server = await startServe(['--data', folder, '--fix-permissions'])
    expect(server.errors()).toBe('')
    expect(
      jsonLines(server.output()).find((l) => l.msg === 'data folder permissions fixed'),
    ).toMatchObject({ folder, mode: '700', files: 1 })
    expect(modeOf(folder)).toBe(0o700)
    for (const name of readdirSync(folder))
      expect([name, modeOf(join(folder, name))]).toEqual([name, 0o600])
    expect(await server.stop()).toBe(0)

    // Repaired: the next start has nothing to warn about.
    server = await startServe(['--data', folder])
    expect(server.errors()).toBe('')
    expect(existsSync(join(folder, 'custos.db'))).toBe(true)
  })
})
