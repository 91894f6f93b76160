/**
 * Figures a reliability test measured (requests served, kills, RSS, file handles), kept for
 * RELIABILITY.md: with CUSTOS_RELIABILITY_FIGURES=FILE each test merges its figures into that
 * JSON file under its own name. Tests never print (test/setup/no-console.ts); this is the channel.
 * A person turns the JSON into RELIABILITY.md's figures table, which goes after the command block,
 * never into it (test/docs-markdown.test.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const file = process.env.CUSTOS_RELIABILITY_FIGURES
  if (!file) return
  const all = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {}
  all[name] = { ...figures, at: new Date().toISOString() }
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`)
}
