/**
 * Architecture boundaries (STYLE.md): the vault library knows nothing of HTTP and never reads
 * the environment; the other packages use only the vault's public entry point.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

function sources(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return /\.(ts|mts|mjs|js)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : []
  })
}

describe('package boundaries', () => {
  it('packages/vault imports no HTTP code and reads no environment', () => {
    const offenders = sources(join(root, 'packages/vault/src')).filter((file) => {
      const text = readFileSync(file, 'utf8')
      return /from ['"](hono|@hono\/[^'"]*|node:http|node:https|http|https)['"]/.test(text) || /process\.env/.test(text)
    })
    expect(offenders.map((f) => relative(root, f))).toEqual([])
  })

  it('other packages reach the vault only through @custos/vault', () => {
    const offenders = ['packages/consent-api/src', 'packages/web/src']
      .flatMap((dir) => sources(join(root, dir)))
      .filter((file) => /from ['"](\.\.\/)+vault\/|@custos\/vault\/src/.test(readFileSync(file, 'utf8')))
    expect(offenders.map((f) => relative(root, f))).toEqual([])
  })
})
