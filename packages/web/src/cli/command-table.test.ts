/**
 * The command list `custos --help` prints without loading any command (command-table.ts) must
 * say what each command says of itself, and name every file in commands/.
 */
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { COMMANDS } from './command-table.js'

describe('the lazy command table', () => {
  it.each(COMMANDS.map((entry) => [entry.name, entry] as const))(
    '%s: loads the command of that name and summary',
    async (_, entry) => {
      const command = await entry.load()
      expect({ name: command.name, summary: command.summary }).toEqual({
        name: entry.name,
        summary: entry.summary,
      })
    },
  )

  it('lists one entry per file in commands/', () => {
    const files = readdirSync(new URL('./commands/', import.meta.url)).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    )
    expect(COMMANDS.map((c) => `${c.name}.ts`).sort()).toEqual(files.sort())
  })
})
