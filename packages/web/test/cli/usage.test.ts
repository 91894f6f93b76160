/**
 * The command's surface: `--help` everywhere, usage errors (exit 2) that name the culprit, and
 * the settings layers — flags > CUSTOS_* environment > DATA/custos.json > defaults — with
 * messages naming the setting and where it came from, never its value.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { root, runCli, tempDir } from './support/run-cli.js'

const COMMANDS = [
  'serve',
  'init',
  'unlock',
  'status',
  'passwd',
  'rotate-keys',
  'backup',
  'restore',
  'export',
  'import',
  'verify-audit',
]
const temp = tempDir()
afterAll(() => temp.dispose())

describe('custos --help and usage errors', () => {
  it('lists every command, the settings and the exit codes', async () => {
    const { code, stdout } = await runCli(['--help'])
    expect(code).toBe(0)
    for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'))
    expect(stdout).toContain('CUSTOS_DATABASE_URL')
    expect(stdout).toMatch(/3 {2}wrong passphrase/)
    expect(stdout).toMatch(/4 {2}integrity failure/)
  })

  it('prints each command’s usage and flags with --help, exit 0', async () => {
    const results = await Promise.all(COMMANDS.map((name) => runCli([name, '--help'])))
    results.forEach(({ code, stdout }, i) => {
      expect(code).toBe(0)
      expect(stdout).toMatch(new RegExp(`^Usage: custos ${COMMANDS[i]}`))
      expect(stdout).toContain('--data DIR')
    })
    expect(results[COMMANDS.indexOf('backup')]?.stdout).toMatch(
      /^Usage: custos backup FILE \[options\]/,
    )
  })

  it('no command prints the help on stdout and exits 2', async () => {
    const { code, stdout } = await runCli([])
    expect(code).toBe(2)
    expect(stdout).toContain('Usage: custos COMMAND')
  })

  it('an unknown command, an unknown flag, a missing value or argument: one line on stderr, exit 2', async () => {
    const [unknown, flag, value, missing, extra] = await Promise.all([
      runCli(['frobnicate']),
      runCli(['status', '--unseal-key-fle', 'x']),
      runCli(['serve', '--port']),
      runCli(['backup']),
      runCli(['status', 'extra']),
    ])
    expect(unknown).toMatchObject({ code: 2, stdout: '' })
    expect(unknown.stderr).toMatch(/^custos: unknown command "frobnicate" \(commands: serve, init/)
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain("custos status: Unknown option '--unseal-key-fle'")
    expect(value.code).toBe(2)
    expect(value.stderr).toContain("custos serve: Option '-p, --port <value>' argument missing")
    expect(missing).toMatchObject({ code: 2 })
    expect(missing.stderr).toContain('custos backup: expected FILE, got none')
    expect(extra.stderr).toContain('custos status: expected no arguments, got 1 argument(s)')
    for (const r of [unknown, flag, value, missing, extra])
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })
})

describe('settings', () => {
  it('a bad flag value names the setting and the flag, not the value', async () => {
    const { code, stderr } = await runCli(['serve', '--data', temp.dir, '--port', 'seventy'])
    expect(code).toBe(2)
    expect(stderr).toBe('custos: invalid setting port (from --port): must be a number\n')
  })

  it('the environment overrides the config file, and a flag overrides the environment', async () => {
    const data = join(temp.dir, 'layers')
    mkdirSync(data)
    writeFileSync(join(data, 'custos.json'), JSON.stringify({ port: 7411, host: '127.0.0.2' }))
    const fromFile = await runCli(['status', '--data', data, '--json'])
    expect(JSON.parse(fromFile.stdout)).toMatchObject({
      state: 'uninitialized',
      server: { url: 'http://127.0.0.2:7411', state: 'not running' },
    })
    const fromEnv = await runCli(['status', '--data', data, '--json'], {
      env: { CUSTOS_PORT: '7412' },
    })
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ server: { url: 'http://127.0.0.2:7412' } })
    const fromFlag = await runCli(['status', '--data', data, '--json', '--port', '7413'], {
      env: { CUSTOS_PORT: '7412' },
    })
    expect(JSON.parse(fromFlag.stdout)).toMatchObject({ server: { url: 'http://127.0.0.2:7413' } })
    const badEnv = await runCli(['status', '--data', data], { env: { CUSTOS_LOG_LEVEL: 'loud' } })
    expect(badEnv).toMatchObject({
      code: 2,
      stderr:
        'custos: invalid setting log-level (from CUSTOS_LOG_LEVEL): must be one of debug, info, warn, error\n',
    })
    const dataFromEnv = await runCli(['status', '--json'], { env: { CUSTOS_DATA: data } })
    expect(JSON.parse(dataFromEnv.stdout)).toMatchObject({
      data,
      server: { url: 'http://127.0.0.2:7411' },
    })
  })

  it('the config file: unknown keys are named, bad values name the key and the file, bad JSON is refused', async () => {
    const data = join(temp.dir, 'bad-config')
    mkdirSync(data)
    const file = join(data, 'custos.json')
    writeFileSync(file, JSON.stringify({ port: 7300, prot: 1 }))
    expect(await runCli(['status', '--data', data])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`custos: unknown setting "prot" in ${file}`),
    })
    writeFileSync(file, JSON.stringify({ databaseUrl: 'mysql://secret-password@db/x' }))
    const bad = await runCli(['status', '--data', data])
    expect(bad).toMatchObject({
      code: 2,
      stderr: `custos: invalid setting databaseUrl (from ${file}): must be a postgres:// URL\n`,
    })
    expect(bad.stderr).not.toContain('secret-password')
    writeFileSync(file, '{ port: 7300 }')
    expect(await runCli(['status', '--data', data])).toMatchObject({
      code: 2,
      stderr: `custos: the config file ${file} is not valid JSON\n`,
    })
  })

  it('refuses a passphrase in the environment', async () => {
    const { code, stderr } = await runCli(['status', '--data', temp.dir], {
      env: { CUSTOS_PASSPHRASE: 'hunter2hunter2' },
    })
    expect(code).toBe(2)
    expect(stderr).toContain('CUSTOS_PASSPHRASE is not supported')
    expect(stderr).not.toContain('hunter2')
  })

  it('pnpm custos … from the repository root and the package bin both run the command', async () => {
    const out = execFileSync('pnpm', ['-s', 'custos', 'status', '--help'], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(out).toMatch(/^Usage: custos status/)
    const bin = (
      JSON.parse(readFileSync(join(root, 'packages/web/package.json'), 'utf8')) as {
        bin: { custos: string }
      }
    ).bin.custos
    const viaBin = execFileSync(
      process.execPath,
      [join(root, 'packages/web', bin), 'verify-audit', '--help'],
      { cwd: root, encoding: 'utf8' },
    )
    expect(viaBin).toMatch(/^Usage: custos verify-audit/)
  })
})
