/**
 * Every offline command, run as the real process on one initialized data folder (Argon2 at the
 * `interactive` floor): init (once, and refused twice), status, wrong passphrase (exit 3),
 * import/export, backup and restore — a truncated or altered backup refused with the vault
 * intact — rotate-keys with progress, passwd (passphrase and recovery key), verify-audit
 * (exit 4 naming the first bad entry).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createVault, openSqlite } from '@custos/vault'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSPHRASE, runCli, tempDir } from './support/run-cli.js'

const temp = tempDir()
const data = join(temp.dir, 'data')
const withPass = ['--data', data, '--passphrase-file', temp.passFile]
let recoveryKey = ''
let vaultId = ''

interface StatusJson {
  state: string
  vaultId?: string
  failedUnlocks?: number
  counts?: Record<string, number>
  kdf?: { opslimit: number; memlimit: number }
}
async function status(args: string[] = ['--data', data]): Promise<StatusJson> {
  const { code, stdout } = await runCli(['status', '--json', ...args])
  expect(code).toBe(0)
  return JSON.parse(stdout) as StatusJson
}
/** What the vault holds, read in-process through the library (not through the command under test). */
async function storedFields(dir = data): Promise<Record<string, unknown>> {
  const vault = await createVault({ database: openSqlite(join(dir, 'custos.db')) })
  try {
    await vault.unlock(PASSPHRASE)
    return Object.fromEntries((await vault.fields.list()).map((f) => [f.path, f.value]))
  } finally {
    await vault.close()
  }
}

beforeAll(async () => {
  const { code, stdout, stderr } = await runCli(['init', '--kdf', 'interactive', ...withPass])
  expect(stderr).toBe('')
  expect(code).toBe(0)
  recoveryKey = /^Recovery key: (CUSTOS-[0-9A-Z-]+)$/m.exec(stdout)?.[1] ?? ''
  vaultId = /Vault (vault_\S+) created/.exec(stdout)?.[1] ?? ''
  expect(stdout).toContain('shown this once')
})
afterAll(() => temp.dispose())

describe('custos init and status', () => {
  it('init created a sealed vault with the chosen KDF; a second init changes nothing (exit 1)', async () => {
    expect(recoveryKey).not.toBe('')
    const again = await runCli(['init', ...withPass])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`already holds vault ${vaultId}; nothing was changed`)
    expect(again.stdout).not.toContain('Recovery key')
    expect(await status()).toMatchObject({
      state: 'sealed',
      vaultId,
      kdf: { opslimit: 2, memlimit: 64 * 1024 * 1024 },
    })
  })

  it('init reads the passphrase from stdin when it is not a terminal, and refuses a weak one', async () => {
    const fresh = join(temp.dir, 'from-stdin')
    const short = await runCli(['init', '--data', fresh], { input: 'short\n' })
    expect(short.code).toBe(1)
    expect(short.stderr).toContain('too short: use at least 14 characters')
    // Long enough for a length rule, guessed at once: the vault's policy refuses it, saying why,
    // before anything is created (no data folder, no database).
    const weak = await runCli(['init', '--data', fresh], { input: `${'a'.repeat(20)}\n` })
    expect(weak).toMatchObject({ code: 1, stdout: '' })
    expect(weak.stderr).toMatch(
      /^custos: passphrase refused\. The passphrase is too easy to guess\. .+ Nothing was changed\.\n$/,
    )
    expect(weak.stderr).not.toContain('aaaa')
    expect(existsSync(fresh)).toBe(false)
    expect((await runCli(['init', '--data', fresh], { input: `${PASSPHRASE}\n` })).code).toBe(0)
    expect((await status(['--data', fresh])).state).toBe('sealed')
  })

  it('status prints the state in words, and counts only when unlocked', async () => {
    const { code, stdout } = await runCli(['status', '--data', data])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^state: +sealed$/m)
    expect(stdout).toMatch(new RegExp(`^vault id: +${vaultId}$`, 'm'))
    expect(stdout).toMatch(/^engine: +sqlite$/m)
    expect(stdout).not.toContain('counts')
    const unlocked = await status(withPass)
    expect(unlocked).toMatchObject({ state: 'unsealed', counts: { fields: 0, purchases: 0 } })
  })

  it('a command on a folder without a vault says so (exit 1) and creates nothing', async () => {
    const empty = join(temp.dir, 'nothing-here')
    const { code, stderr } = await runCli(['export', join(temp.dir, 'x.json'), '--data', empty], {
      input: `${PASSPHRASE}\n`,
    })
    expect(code).toBe(1)
    expect(stderr).toContain(`no vault in ${empty}`)
    expect(() => statSync(empty)).toThrow()
  })

  it('a wrong passphrase: exit 3, nothing on stdout', async () => {
    const wrong = await runCli(['export', join(temp.dir, 'nope.json'), '--data', data], {
      input: 'not the passphrase\n',
    })
    expect(wrong).toMatchObject({
      code: 3,
      stdout: '',
      stderr: 'custos: wrong passphrase or recovery key\n',
    })
    expect(() => statSync(join(temp.dir, 'nope.json'))).toThrow()
  })
})

describe('custos import, export, backup, restore', () => {
  it('import validates and writes the portable JSON; export writes it back (0600, plaintext warning)', async () => {
    const doc = {
      format: 'custos-export',
      version: 1,
      exportedAt: new Date().toISOString(),
      vaultId: 'vault_elsewhere',
      fields: { email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' },
      purchases: [],
      vendors: [],
      grants: [],
      audit: [],
    }
    const file = join(temp.dir, 'in.json')
    writeFileSync(file, JSON.stringify({ ...doc, fields: { email: 42 } }))
    const invalid = await runCli(['import', file, ...withPass])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('ERR_IMPORT_INVALID')
    writeFileSync(file, JSON.stringify(doc))
    const ok = await runCli(['import', file, '--data', data], { input: `${PASSPHRASE}\n` })
    expect(ok).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Imported 2 fields, 0 purchases'),
    })
    const out = join(temp.dir, 'out.json')
    const exported = await runCli(['export', out, ...withPass])
    expect(exported.code).toBe(0)
    expect(exported.stderr).toContain('NOT encrypted')
    expect(statSync(out).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({
      format: 'custos-export',
      vaultId,
      fields: doc.fields,
    })
  })

  it('backup writes an encrypted 0600 file atomically; a truncated or altered copy is refused (exit 4) and nothing is lost', async () => {
    const before = await storedFields()
    const file = join(temp.dir, 'vault.bak')
    const backup = await runCli(['backup', file, ...withPass])
    expect(backup.code).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readdirSync(temp.dir).filter((f) => f.endsWith('.partial'))).toEqual([])
    const bytes = readFileSync(file)
    expect(bytes.includes(Buffer.from('ada@example.org'))).toBe(false)

    const truncated = join(temp.dir, 'truncated.bak')
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 40))
    const refused = await runCli(['restore', truncated, ...withPass])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toMatch(/integrity check failed: .*; nothing was changed/)
    const altered = join(temp.dir, 'altered.bak')
    const flipped = Buffer.from(bytes)
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 1
    writeFileSync(altered, flipped)
    expect((await runCli(['restore', altered, ...withPass])).code).toBe(4)
    expect(await storedFields()).toEqual(before)
  })

  it('restore brings the vault back to the backup, over the vault or into an empty folder with the recovery key', async () => {
    const file = join(temp.dir, 'vault.bak')
    const doc = {
      format: 'custos-export',
      version: 1,
      exportedAt: new Date().toISOString(),
      vaultId,
      fields: { 'prefs.diet': ['vegetarian'] },
      purchases: [],
      vendors: [],
      grants: [],
      audit: [],
    }
    writeFileSync(join(temp.dir, 'more.json'), JSON.stringify(doc))
    expect((await runCli(['import', join(temp.dir, 'more.json'), ...withPass])).code).toBe(0)
    expect(await storedFields()).toHaveProperty(['prefs.diet'])

    const restored = await runCli(['restore', file, ...withPass])
    expect(restored).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`Restored vault ${vaultId}`),
    })
    expect(await storedFields()).toEqual({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })

    const keyFile = join(temp.dir, 'recovery')
    writeFileSync(keyFile, `${recoveryKey}\n`, { mode: 0o600 })
    const elsewhere = join(temp.dir, 'new-machine')
    mkdirSync(elsewhere)
    const moved = await runCli([
      'restore',
      file,
      '--data',
      elsewhere,
      '--recovery-key-file',
      keyFile,
    ])
    expect(moved.code).toBe(0)
    expect(await storedFields(elsewhere)).toEqual({
      email: 'ada@example.org',
      'prefs.sizes.shoe': 'EU 39',
    })
  })
})

describe('custos rotate-keys, passwd, verify-audit', () => {
  it('rotate-keys reports progress as plain lines off a terminal and keeps every value readable', async () => {
    const before = await storedFields()
    const { code, stdout, stderr } = await runCli(['rotate-keys', ...withPass])
    expect(code).toBe(0)
    expect(stderr).toMatch(/^rotate-keys: 0\/2 records re-encrypted \(term 2\)$/m)
    expect(stderr).toMatch(/^rotate-keys: 2\/2 records re-encrypted \(term 2\)$/m)
    expect(stdout).toMatch(/^Keys rotated: new term 2, 2 records re-encrypted/)
    expect(await storedFields()).toEqual(before)
  })

  it('passwd refuses a weak new passphrase with the reason (exit 1) before trying the current one, changing nothing', async () => {
    const before = await status()
    for (const weak of ['passwordpassword', 'a'.repeat(20), 'hunter2']) {
      const refused = await runCli(['passwd', '--data', data], {
        input: `${PASSPHRASE}\n${weak}\n`,
      })
      expect([weak, refused.code, refused.stdout]).toEqual([weak, 1, ''])
      expect(refused.stderr).toMatch(
        /^custos: new passphrase refused\. The passphrase is too (easy to guess|short)\b.* Nothing was changed\.\n$/,
      )
      expect(refused.stderr).not.toContain(weak)
    }
    // Refused before the current passphrase is tried: a wrong one is not even looked at (exit 1, not 3) ...
    expect(
      (
        await runCli(['passwd', '--data', data], {
          input: `not the passphrase\n${'a'.repeat(20)}\n`,
        })
      ).code,
    ).toBe(1)
    // ... and a recovery key route refuses the same way.
    const keyFile = join(temp.dir, 'recovery-weak')
    writeFileSync(keyFile, `${recoveryKey}\n`, { mode: 0o600 })
    expect(
      (
        await runCli(['passwd', '--data', data, '--recovery-key-file', keyFile], {
          input: `${'a'.repeat(20)}\n`,
        })
      ).code,
    ).toBe(1)
    // No failed unlock was counted, and the passphrase is still the old one.
    expect(await status()).toMatchObject({
      state: 'sealed',
      vaultId,
      failedUnlocks: before.failedUnlocks,
    })
    expect((await status(withPass)).state).toBe('unsealed')
  })

  it('passwd changes the passphrase (old one then fails with exit 3); the recovery key sets it back', async () => {
    const next = 'a different long passphrase'
    const changed = await runCli(['passwd', '--data', data], { input: `${PASSPHRASE}\n${next}\n` })
    expect(changed).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Passphrase changed'),
    })
    expect((await runCli(['status', '--json', ...withPass])).code).toBe(3)
    expect(
      await runCli(['status', '--unlock', '--data', data], { input: `${next}\n` }),
    ).toMatchObject({ code: 0, stdout: expect.stringMatching(/^state: +unsealed$/m) })
    const keyFile = join(temp.dir, 'recovery-2')
    writeFileSync(keyFile, `${recoveryKey}\n`, { mode: 0o600 })
    const back = await runCli([
      'passwd',
      '--data',
      data,
      '--recovery-key-file',
      keyFile,
      '--new-passphrase-file',
      temp.passFile,
    ])
    expect(back.code).toBe(0)
    expect(await storedFields()).toHaveProperty(['email'])
  })

  it('verify-audit: exit 0 on a valid chain; exit 4 naming the first altered entry', async () => {
    const ok = await runCli(['verify-audit', ...withPass])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/^Audit chain valid: \d+ entries/)
    const handle = openSqlite(join(data, 'custos.db'))
    const row = await handle.db
      .selectFrom('audit')
      .selectAll()
      .where('seq', '=', 3)
      .executeTakeFirstOrThrow()
    await handle.db
      .updateTable('audit')
      .set({ entry: row.entry.replace('"owner"', '"vendor"') })
      .where('seq', '=', 3)
      .execute()
    await handle.close()
    const broken = await runCli(['verify-audit', ...withPass])
    expect(broken.code).toBe(4)
    expect(broken.stderr).toMatch(/^custos: the audit chain is broken at entry #3 \(altered\)/)
    expect(broken.stderr).toContain('custos verify-audit --acknowledge')
    // Acknowledged from the command line: a signed entry records it, and the chain verifies from there.
    const acknowledged = await runCli(['verify-audit', '--acknowledge', ...withPass])
    expect(acknowledged.code).toBe(0)
    expect(acknowledged.stdout).toContain(
      'Acknowledged: the damage at entry #3 is recorded in the log',
    )
    const after = await runCli(['verify-audit', ...withPass])
    expect(after.code).toBe(0)
    expect(after.stdout).toMatch(
      /^Audit chain valid: \d+ entries, head #\d+\. Damage found earlier \(altered at entry #3\) was acknowledged at entry #\d+\./,
    )
  })
})
