/**
 * Issue 10: RELIABILITY.md once had its figures table pasted into its shell block, in the middle of
 * `CUSTOS_RELIABILITY_FIGURES=…`, so neither the command nor the table worked. The figures are
 * written by hand from the JSON that test/reliability/support/figures.ts records; these checks keep
 * every document's shell blocks runnable and its tables outside them.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const documents = readdirSync(root).filter((name) => name.endsWith('.md'))

/** The fenced code blocks of a Markdown text: their info string and lines. */
function fencedBlocks(markdown: string): { info: string; lines: string[] }[] {
  const blocks: { info: string; lines: string[] }[] = []
  let open: { info: string; lines: string[] } | undefined
  for (const line of markdown.split('\n')) {
    const fence = /^\s*(```+|~~~+)\s*(\S*)/.exec(line)
    if (fence && !open) open = { info: fence[2] ?? '', lines: [] }
    else if (fence && open) {
      blocks.push(open)
      open = undefined
    } else open?.lines.push(line)
  }
  return blocks
}

/** A line of a Markdown table: `| a | b |`, or its `|---|` delimiter row. */
const TABLE_ROW = /(^\s*\|.*\|\s*$)|(\|\s*:?-{3,}:?\s*\|)/

describe('Markdown documents', () => {
  it('the detector finds the RELIABILITY.md slip (a table pasted into a shell block)', () => {
    // The slip as it was committed, shortened: the table replaced the word FIGURES.
    const broken =
      '```sh\nCUSTOS_RELIABILITY_| what | figure |\n|---|---|\n| load: errors | 0 |\n| abuse: slowest client | 86 s |=/tmp/figures.json npx vitest run --project stories test/reliability\n```\n'
    expect(fencedBlocks(broken)[0]?.lines.filter((l) => TABLE_ROW.test(l))).toHaveLength(2)
  })

  it('no shell block of any document holds a Markdown table', () => {
    expect(documents).toContain('RELIABILITY.md')
    for (const name of documents) {
      const text = readFileSync(join(root, name), 'utf8')
      for (const block of fencedBlocks(text).filter((b) =>
        ['sh', 'bash', 'shell', 'console', ''].includes(b.info),
      )) {
        expect([name, block.lines.filter((l) => TABLE_ROW.test(l))]).toEqual([name, []])
      }
    }
  })

  it('RELIABILITY.md: every environment variable its commands set is one the tests read, and the figures table follows the commands', () => {
    const text = readFileSync(join(root, 'RELIABILITY.md'), 'utf8')
    const commands = fencedBlocks(text).find((b) => b.info === 'sh')
    expect(commands).toBeDefined()
    const variables = [
      ...new Set(
        (commands?.lines ?? []).flatMap((l) =>
          [...l.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1] as string),
        ),
      ),
    ]
    expect(variables).toContain('CUSTOS_RELIABILITY_FIGURES')
    const dir = join(root, 'test/reliability')
    const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(join(dir, file), 'utf8'))
      .join('\n')
    for (const variable of variables)
      expect([variable, new RegExp(`\\b${variable}\\b`).test(sources)]).toEqual([variable, true])
    const afterCommands = text.slice(text.indexOf('```', text.indexOf('```sh') + 5))
    expect(afterCommands).toMatch(/\n\| what \| figure \|\n\|---\|---\|\n/)
  })
})
