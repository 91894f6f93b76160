/**
 * Issue 11: the packages a developer or a self-hoster installs are the ones we ship. This builds
 * and packs the three packages as a release would (test/packaging/stage.ts), then, with plain npm
 * and plain node — no pnpm, no tsx, no TypeScript:
 *
 * - installs the tarballs into an empty project and runs the library example of
 *   packages/vault/README.md there (initialize, set fields, register a vendor, grant, read
 *   through the grant, verify the log);
 * - installs them globally under a temporary prefix, the README's route to `custos` on the PATH,
 *   and runs `custos --help`, `init` and `status` from that bin;
 * - checks what each tarball holds: built JavaScript and declarations, README, licence and
 *   changelog; no sources, tests or build info; no `workspace:` range left in a manifest.
 *
 * Slow by nature (npm compiles better-sqlite3 from source where no prebuilt binary can be
 * fetched): both installs run at once, under one generous timeout.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PACKAGES, buildAndPack } from './packaging/stage.js'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..')
const INSTALL_MS = 600_000

/** The environment of a plain shell: none of the test runner's or the enclosing pnpm's variables. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|NODE_ENV$|NODE_OPTIONS$|TEST$|PNPM_|CUSTOS_)/.test(key)) continue
    if (
      /^npm_/i.test(key) &&
      !/^npm_config_(registry|.*proxy|cafile|strict_ssl|cache|nodedir)$/i.test(key)
    )
      continue
    env[key] = value
  }
  return env
}

/** The ```js block under "## Example" in packages/vault/README.md: what a developer copies. */
function vaultReadmeExample(): string {
  const readme = readFileSync(join(root, 'packages/vault/README.md'), 'utf8')
  const example = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1]
  if (!example) throw new Error('packages/vault/README.md has no js example under "## Example"')
  return example
}

let dir: string
let tarballs: string[]
let project: string
let prefix: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-packaging-'))
  tarballs = buildAndPack(join(dir, 'stage'))
  project = join(dir, 'project')
  prefix = join(dir, 'global')
  mkdirSync(project)
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'embedding-app', private: true, type: 'module' }),
  )
  const npm = ['--no-audit', '--no-fund', '--loglevel=error']
  await Promise.all([
    run('npm', ['install', ...npm, ...tarballs], { cwd: project, env: plainEnv() }),
    run('npm', ['install', '--global', '--prefix', prefix, ...npm, ...tarballs], {
      cwd: dir,
      env: plainEnv(),
    }),
  ])
}, INSTALL_MS)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the packages as npm installs them', () => {
  it('runs the vault README example with plain node in an empty project: fields, grant, read, verified log', async () => {
    writeFileSync(join(project, 'example.mjs'), vaultReadmeExample())
    const data = join(project, 'custos.db')
    const { stdout, stderr } = await run(process.execPath, ['example.mjs'], {
      cwd: project,
      env: plainEnv(),
    })
    expect(stderr).toBe('')
    // The read through the grant prints exactly the granted slice, then the log verifies.
    expect(stdout).toContain("email: 'ada@example.org'")
    expect(stdout).toContain("'prefs.sizes.shoe': 'EU 39'")
    expect(stdout).toMatch(/\{ ok: true, entries: \d+/)
    expect(readFileSync(data).subarray(0, 15).toString()).toBe('SQLite format 3')
  })

  it('puts a working `custos` on the PATH of a global install: --help, init, status', async () => {
    const bin = join(prefix, 'bin', 'custos')
    const env = { ...plainEnv(), PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` }
    const help = await run('custos', ['--help'], { env })
    expect(help.stdout).toMatch(/^Usage: custos COMMAND/)
    const data = join(dir, 'data')
    const passphraseFile = join(dir, 'passphrase')
    writeFileSync(passphraseFile, 'orbit velvet canyon sparrow lantern\n', { mode: 0o600 })
    const init = await run(
      bin,
      ['init', '--data', data, '--kdf', 'interactive', '--passphrase-file', passphraseFile],
      { env },
    )
    expect(init.stdout).toMatch(/^Vault vault_\S+ created in /)
    const status = JSON.parse(
      (await run(bin, ['status', '--json', '--data', data], { env })).stdout,
    ) as { state: string; vaultId: string }
    expect(status).toMatchObject({ state: 'sealed', vaultId: expect.stringMatching(/^vault_/) })
  })

  it.each(PACKAGES.map((p, i) => [p.name, i] as const))(
    '%s ships built JavaScript with declarations, its README, licence and changelog, and nothing else',
    (name, i) => {
      const files = execFileSync('tar', ['-tzf', tarballs[i] as string], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((f) => f.replace(/^package\//, ''))
      expect(files).toEqual(
        expect.arrayContaining([
          'package.json',
          'README.md',
          'LICENSE',
          'CHANGELOG.md',
          'dist/index.js',
          'dist/index.d.ts',
        ]),
      )
      expect(
        files.filter(
          (f) =>
            f.startsWith('src/') ||
            f.startsWith('test/') ||
            /\.test\.|tsbuildinfo|^tsconfig/.test(f),
        ),
      ).toEqual([])
      const manifest = execFileSync(
        'tar',
        ['-xzOf', tarballs[i] as string, 'package/package.json'],
        { encoding: 'utf8' },
      )
      expect(manifest).not.toContain('workspace:')
      // The workspace's own conditions (`source`, the `./testing` entry) point at files that do not
      // ship; publishConfig.exports replaces them in the packed manifest.
      const { exports, publishConfig } = JSON.parse(manifest) as {
        exports: Record<string, Record<string, string>>
        publishConfig?: { exports?: unknown }
      }
      expect(publishConfig?.exports).toBeUndefined()
      expect(Object.keys(exports)).not.toContain('./testing')
      for (const target of Object.values(exports)) {
        expect(Object.keys(target).sort()).toEqual(['default', 'import', 'types'])
        expect(files).toContain(target.import?.replace(/^\.\//, ''))
        expect(files).toContain(target.types?.replace(/^\.\//, ''))
      }
      if (name === '@custos/web')
        expect(files).toEqual(expect.arrayContaining(['dist/cli/main.js', 'assets/custos.css']))
    },
  )
})
