/**
 * On a terminal (a pseudo-terminal from util-linux `script`): the passphrase prompt does not
 * echo, asks twice when creating, and rotate-keys draws a progress bar in place. Input is typed
 * only after each prompt appears, as a person would.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MAIN, PASSPHRASE, cleanEnv, root, runCli, tempDir } from './support/run-cli.js'

const hasScript = spawnSync('script', ['--version']).status === 0
const temp = tempDir()
afterAll(() => temp.dispose())

/** Runs the command on a pseudo-terminal, answering each prompt (in order) once it is shown. */
async function onTerminal(
  args: string[],
  answers: [prompt: string, reply: string][],
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, '--import', 'tsx', MAIN, ...args]
    .map((a) => `'${a.replaceAll("'", "'\\\\''")}'`)
    .join(' ')
  const child: ChildProcessWithoutNullStreams = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: root,
    env: cleanEnv(),
  })
  let screen = ''
  let next = 0
  let searchFrom = 0
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString()
    const answer = answers[next]
    const at = answer ? screen.indexOf(answer[0], searchFrom) : -1
    if (answer && at >= 0) {
      searchFrom = at + answer[0].length
      next++
      child.stdin.write(`${answer[1]}\r`)
    }
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, screen }
}

describe.skipIf(!hasScript)('custos on a terminal', () => {
  const data = join(temp.dir, 'data')

  it('init prompts twice without echo, then prints the recovery key; rotate-keys draws a bar', async () => {
    const init = await onTerminal(
      ['init', '--data', data],
      [
        ['New passphrase: ', PASSPHRASE],
        ['Repeat passphrase: ', PASSPHRASE],
      ],
    )
    expect(init.code).toBe(0)
    expect(init.screen).toMatch(/Recovery key: CUSTOS-/)
    expect(init.screen).not.toContain(PASSPHRASE)

    const rotate = await onTerminal(['rotate-keys', '--data', data], [['Passphrase: ', PASSPHRASE]])
    expect(rotate.code).toBe(0)
    expect(rotate.screen).toMatch(/\r\[#{30}\] 100% 0\/0 records \(term 2\)/)
    expect(rotate.screen).not.toContain(PASSPHRASE)
  })

  it('import-purchases draws its progress through a mailbox in place: messages, MB read of the file, share done', async () => {
    const mailData = join(temp.dir, 'mail-data')
    const init = await runCli([
      'init',
      '--kdf',
      'interactive',
      '--data',
      mailData,
      '--passphrase-file',
      temp.passFile,
    ])
    expect(init.code).toBe(0)
    const mbox = join(root, 'packages/consent-api/test/fixtures/imports/orders.mbox')
    const size = (statSync(mbox).size / 1024 / 1024).toFixed(1)
    const { code, screen } = await onTerminal(
      ['import-purchases', mbox, '--data', mailData, '--passphrase-file', temp.passFile],
      [],
    )
    expect(code).toBe(0)
    // The last state, drawn over the line and ended (the 5 messages of the fixture, all bytes read).
    expect(screen).toContain(
      `\rimport-purchases: 5 messages read (${size} of ${size} MB, 100%)\x1b[K\r\n`,
    )
    expect(screen).toContain('(email): 3 purchases')
  })

  it('two different entries are refused and nothing is created', async () => {
    const other = join(temp.dir, 'other')
    const { code, screen } = await onTerminal(
      ['init', '--data', other],
      [
        ['New passphrase: ', PASSPHRASE],
        ['Repeat passphrase: ', 'something else entirely'],
      ],
    )
    expect(code).toBe(1)
    expect(screen).toContain('the two passphrase entries differ; nothing was changed')
    expect(existsSync(other)).toBe(false)
  })
})
