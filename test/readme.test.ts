/**
 * The README is the front door: it must start with the two commands, and CI must run exactly the
 * second one (a regression test: a slip once left the README empty and nothing noticed).
 */
import { execFile } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../packages/web/src/cli/exit-codes.js'

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
    const pinned = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string }
    ).packageManager
    for (const command of commands) expect(command).toContain(pinned)
  })
})

describe('README and the custos command', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.slice(
    readme.indexOf('## The `custos` command'),
    readme.indexOf('\n## ', readme.indexOf('## The `custos` command') + 1),
  )

  it('the first command runs `custos serve`, which creates nothing on first run (no generated passphrase any more)', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>
      }
    ).scripts
    // Both build first (incremental, about half a second when nothing changed), then run the compiled bin.
    expect(scripts.start).toBe(
      'tsc -b tsconfig.build.json && node packages/web/dist/cli/main.js serve',
    )
    expect(scripts.custos).toBe('tsc -b tsconfig.build.json && node packages/web/dist/cli/main.js')
    expect(readme).not.toContain('initial-passphrase')
    expect(readme).toMatch(/`start` runs `custos serve`/)
  })

  it('documents every subcommand, with one file per command in packages/web/src/cli/commands', () => {
    const files = readdirSync(join(root, 'packages/web/src/cli/commands'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort()
    const documented = [
      ...section.matchAll(/^\| `([a-z][a-z-]*)(?: FILE)?`(?: \/ `([a-z-]+) FILE`)? \|/gm),
    ]
      .flatMap((m) => [m[1], m[2]])
      .filter((c): c is string => c !== undefined && c !== 'command')
      .sort()
    expect(documented).toEqual(files)
  })

  it('lists the exit codes exactly as the command defines them', () => {
    const listed = [...section.matchAll(/`(\d)` ([a-z]+)/g)].map((m) => Number(m[1]))
    expect(listed).toEqual(Object.values(EXIT))
  })
})

/** Marks the end of each fenced block in `blockLines` (a line no README block holds). */
const BLOCK_END = '\u0000end of block'

/** Every line of the README's fenced code blocks (each block closed by BLOCK_END), and every inline code span of its prose. */
function codeOf(readme: string): { blockLines: string[]; spans: string[] } {
  const blockLines: string[] = []
  const prose: string[] = []
  let inBlock = false
  for (const line of readme.split('\n')) {
    if (line.startsWith('```')) {
      if (inBlock) blockLines.push(BLOCK_END)
      inBlock = !inBlock
    } else (inBlock ? blockLines : prose).push(line)
  }
  const spans = [...prose.join('\n').matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string)
  return { blockLines, spans }
}

/** Runs a README command line (no shell): exit code and output. */
function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, ...args] = command.split(' ')
  return new Promise((resolve) => {
    execFile(file as string, args, { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

describe('README commands need only Node.js and npm (issue 10)', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const { blockLines, spans } = codeOf(readme)
  // `pnpm` as a command of its own; `npx --yes pnpm@VERSION …` fetches it and is fine.
  const barePnpm = /(?<![\w@/.-])pnpm(?=\s|$)/

  it('no code block line or inline command calls a bare `pnpm`', () => {
    expect(blockLines.filter((l) => barePnpm.test(l))).toEqual([])
    expect(spans.filter((s) => barePnpm.test(s))).toEqual([])
  })

  it('no shell line calls `custos` as if it were installed (it is `npm run custos -- …`), except after the block installed it (issue 11)', () => {
    // A line may call the bare bin only after a line of the same block ran `npm install -g`.
    const uninstalled: string[] = []
    let installed = false
    for (const line of blockLines) {
      if (line === BLOCK_END) installed = false
      else if (/^npm install -g /.test(line)) installed = true
      else if (/^\s*custos\s/.test(line) && !installed) uninstalled.push(line)
    }
    expect(uninstalled).toEqual([])
    expect(readme).toMatch(/^npm install -g .*\.\/releases\/custos-web-/m)
  })

  it('the npm scripts the README names exist in package.json', () => {
    const scripts = Object.keys(
      (
        JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
          scripts: Record<string, string>
        }
      ).scripts,
    )
    const named = [
      ...[...blockLines, ...spans].join('\n').matchAll(/\bnpm run ([a-z][a-z-]*)/g),
    ].map((m) => m[1] as string)
    expect(named.length).toBeGreaterThan(3)
    for (const name of named) expect(scripts).toContain(name)
  })

  it.each([
    ['npm run custos -- --help', 'npm run custos -- --help'],
    ['npm start -- --port 8080', 'npm start -- --help'],
  ])(
    'the README says `%s`; `%s` runs with npm alone and prints the usage',
    async (shown, command) => {
      expect(spans).toContain(shown)
      const { code, stdout, stderr } = await run(command)
      expect({ code, stderr: code === 0 ? '' : stderr.slice(-500) }).toEqual({
        code: 0,
        stderr: '',
      })
      expect(stdout).toMatch(/Usage: custos/)
    },
  )
})
