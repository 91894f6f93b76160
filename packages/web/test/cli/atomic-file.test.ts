import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeFileAtomically } from '../../src/cli/atomic-file.js'

/**
 * Backups and exports go through FILE.partial. Whoever can write to the folder (a shared
 * Downloads or /tmp) must not be able to redirect the owner's data by planting a symlink there:
 * the partial file is always a new file of the owner's, mode 0600.
 */
describe('writeFileAtomically', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('never writes through a symlink planted at FILE.partial', async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-atomic-'))
    const elsewhere = join(dir, 'attacker-readable')
    writeFileSync(elsewhere, 'untouched', { mode: 0o644 })
    const file = join(dir, 'backup.custos')
    symlinkSync(elsewhere, `${file}.partial`)

    await writeFileAtomically(file, [new TextEncoder().encode('secret backup')])

    expect(readFileSync(file, 'utf8')).toBe('secret backup')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched')
    expect(statSync(elsewhere).mode & 0o777).toBe(0o644)
  })

  it('replaces a partial file left by a crash', async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-atomic-'))
    const file = join(dir, 'export.json')
    writeFileSync(`${file}.partial`, 'half of an old export', { mode: 0o644 })
    await writeFileAtomically(file, [new TextEncoder().encode('{}')])
    expect(readFileSync(file, 'utf8')).toBe('{}')
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })
})

describe('writeFileAtomically when the file cannot be written', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('says so in one line and leaves no copy of the data beside FILE', async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-atomic-'))
    const folder = join(dir, 'a-folder')
    mkdirSync(folder)
    await expect(
      writeFileAtomically(folder, [new TextEncoder().encode('secret backup')]),
    ).rejects.toMatchObject({ exitCode: 1, message: `custos: cannot write ${folder}: EISDIR` })
    expect(readdirSync(dir)).toEqual(['a-folder'])
    await expect(writeFileAtomically(join(dir, 'missing', 'x.custos'), [])).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining('ENOENT'),
    })
  })
})
