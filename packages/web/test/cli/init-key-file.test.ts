/**
 * `custos init --write-unseal-key-file FILE` where FILE cannot be written: the recovery key is
 * shown only once, so the vault must not be created when its output cannot be completed — else
 * the owner gets an error and a vault whose recovery key nobody ever saw.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, tempDir } from './support/run-cli.js'

const temp = tempDir()
afterAll(() => temp.dispose())

describe('custos init with an unwritable unseal key file', () => {
  it('fails before creating the vault, and names the problem', async () => {
    const data = join(temp.dir, 'data')
    const keyFile = join(temp.dir, 'no-such-folder', 'unseal.key')
    const init = await runCli([
      'init',
      '--data',
      data,
      '--kdf',
      'interactive',
      '--passphrase-file',
      temp.passFile,
      '--write-unseal-key-file',
      keyFile,
    ])
    expect(init).toMatchObject({ code: 1, stderr: `custos: cannot write ${keyFile}: ENOENT\n` })
    expect(existsSync(join(data, 'custos.db'))).toBe(false)
    // Fixed, the same command creates the vault and shows the recovery key.
    const again = await runCli([
      'init',
      '--data',
      data,
      '--kdf',
      'interactive',
      '--passphrase-file',
      temp.passFile,
      '--write-unseal-key-file',
      join(temp.dir, 'unseal.key'),
    ])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/Recovery key: \S+/)
  })
})
