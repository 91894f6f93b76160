/**
 * `npm run package`: builds and packs the three publishable packages into `./releases/` (README
 * "Putting `custos` on the PATH"), the same way test/packaging.test.ts does before installing
 * them with plain npm. Prints the tarballs' paths, one per line.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { buildAndPack } from './stage.js'

const out = join(import.meta.dirname, '..', '..', 'releases')
const stage = mkdtempSync(join(tmpdir(), 'custos-release-'))
try {
  rmSync(out, { recursive: true, force: true })
  for (const tarball of buildAndPack(stage)) {
    const target = join(out, basename(tarball))
    cpSync(tarball, target)
    process.stdout.write(`${target}\n`)
  }
} finally {
  rmSync(stage, { recursive: true, force: true })
}
