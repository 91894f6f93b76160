/**
 * The README is the front door: it must start with the two commands, and CI must run exactly the
 * second one (a regression test: a slip once left the README empty and nothing noticed).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

describe('README and CI', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const commands = [...readme.matchAll(/^(npx --yes pnpm@[\d.]+ install.*)$/gm)].map((m) => m[1])

  it('opens with the two commands: start, then test', () => {
    expect(readme.startsWith('# Custos')).toBe(true)
    expect(commands).toHaveLength(2)
    expect(commands[0]).toMatch(/ start$/)
    expect(commands[1]).toMatch(/ test$/)
    expect(readme.indexOf(commands[0] as string)).toBeLessThan(1500)
  })

  it('.ci/run runs exactly the README test command, with the pnpm version packageManager pins', () => {
    const ci = readFileSync(join(root, '.ci/run'), 'utf8').trim().split('\n')
    expect(ci.at(-1)).toBe(commands[1])
    const pinned = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string }).packageManager
    for (const command of commands) expect(command).toContain(pinned)
  })
})
