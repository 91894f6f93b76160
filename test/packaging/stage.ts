/**
 * Test support for test/packaging.test.ts: builds and packs the three packages the way a release
 * would, from a copy of their sources in a temporary folder. A copy, not the working tree: its
 * dist/ holds exactly what the sources compile to today (no file left behind by a move), and
 * another test or a running `npm start` using packages/*\/dist is never rebuilt under its feet.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')

/** The publishable packages, in dependency order: folder under packages/ and npm name. */
export const PACKAGES = [
  { dir: 'vault', name: '@custos/vault' },
  { dir: 'consent-api', name: '@custos/consent-api' },
  { dir: 'web', name: '@custos/web' },
] as const

/** What a package folder holds that a build or `pack` reads (tests, examples, node_modules and dist stay behind). */
const COPIED = [
  'package.json',
  'tsconfig.json',
  'src',
  'assets',
  'README.md',
  'LICENSE',
  'CHANGELOG.md',
]

/** The pnpm the repository pins (package.json `packageManager`): `pack` turns `workspace:*` into versions, as npm's would not. */
export function pnpmCommand(): string[] {
  const pinned = (
    createRequire(import.meta.url)(join(root, 'package.json')) as { packageManager: string }
  ).packageManager
  return ['--yes', pinned]
}

/**
 * Copies the packages and the root build configuration into `dir`, links each package's
 * node_modules entry by entry (its own `@custos/*` to the copies, so the build never reaches back
 * into the working tree), builds with `tsc -b` and packs each package. Returns the tarball paths,
 * in PACKAGES order.
 */
export function buildAndPack(dir: string): string[] {
  for (const file of ['tsconfig.base.json', 'tsconfig.build.json'])
    cpSync(join(root, file), join(dir, file))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'custos-stage', private: true }))
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n')
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  for (const { dir: name } of PACKAGES) {
    const from = join(root, 'packages', name)
    const to = join(dir, 'packages', name)
    mkdirSync(to, { recursive: true })
    for (const entry of readdirSync(from))
      if (COPIED.includes(entry))
        cpSync(join(from, entry), join(to, entry), {
          recursive: true,
          filter: (src) => !src.endsWith('.test.ts'),
        })
    linkNodeModules(join(from, 'node_modules'), join(to, 'node_modules'), dir)
  }
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-b', join(dir, 'tsconfig.build.json')], {
    cwd: dir,
    stdio: 'pipe',
  })
  const out = join(dir, 'tarballs')
  mkdirSync(out)
  return PACKAGES.map(({ dir: name }) => {
    const json = execFileSync(
      'npx',
      [...pnpmCommand(), 'pack', '--json', '--pack-destination', out],
      { cwd: join(dir, 'packages', name), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    )
    return (JSON.parse(json) as { filename: string }).filename
  })
}

function linkNodeModules(from: string, to: string, stage: string): void {
  mkdirSync(to)
  for (const entry of readdirSync(from)) {
    if (entry === '.bin') continue
    if (entry === '@custos') {
      mkdirSync(join(to, entry))
      for (const own of readdirSync(join(from, entry)))
        symlinkSync(join(stage, 'packages', own), join(to, entry, own))
    } else symlinkSync(join(from, entry), join(to, entry))
  }
}
