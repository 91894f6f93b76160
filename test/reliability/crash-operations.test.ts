/**
 * Reliability campaign, crash during the owner's big operations (issue 15): a real `custos serve`
 * on a SQLite file is killed with SIGKILL while it restores a backup, changes the passphrase or
 * imports a JSON export, and while it starts on a vault of an older schema (the migration and the
 * first unlock's row authentication). Each operation is all or nothing (SECURITY.md 11, 12): after
 * the kill the file passes `PRAGMA integrity_check`, the vault unlocks with exactly one of the two
 * passphrases it may have (the new one if the change was acknowledged), holds either the state
 * before the operation or the one after it — never a mix — and its audit chain verifies.
 *
 * Kill moments come from a seeded generator (CUSTOS_CRASH_SEED replays one); more with CUSTOS_LONG=1.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Vault, createVault, openSqlite } from '@custos/vault'
import {
  type ServerProcess,
  initVault,
  killDuringStart,
  startServer,
} from '../support/server-process.js'
import { recordFigures } from './support/figures.js'
import { seeded } from './support/seeded.js'

const LONG = process.env.CUSTOS_LONG === '1'
const SEED = Number(process.env.CUSTOS_CRASH_SEED ?? Date.now() % 2 ** 31)
/** Kills during operations (restore, passphrase change, import in turn) and during start-up. */
const OPERATION_KILLS = LONG ? 60 : 3
const STARTUP_KILLS = LONG ? 40 : 2
const FIRST_PASSPHRASE = 'crash me while I change, the file stays whole'
const IMPORTED = 12
const LEGACY = join(import.meta.dirname, '../../packages/vault/test/fixtures/legacy-vault-v0.db')
const LEGACY_PASSPHRASE = 'correct horse battery staple'
const LEGACY_LIVE_GRANT = 'grt_Ka0I_uZuj2dW9gHN_9i52w'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'custos-crash-ops-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function signIn(base: string, passphrase: string): Promise<Record<string, string>> {
  const res = await fetch(`${base}/owner/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ passphrase }),
  })
  if (res.status !== 201)
    throw new Error(`sign-in: ${res.status} ${await res.text()} (seed ${SEED})`)
  return {
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string,
    'x-csrf-token': ((await res.json()) as { csrf_token: string }).csrf_token,
  }
}

/**
 * The file as the kill left it, opened by this process: sound, and unlocked by the first of
 * `passphrases` that fits (a wrong one is one counted failure; a success resets the count).
 */
async function inspect(
  file: string,
  passphrases: string[],
): Promise<{ vault: Vault; passphrase: string }> {
  const handle = openSqlite(file)
  expect(await handle.integrityCheck(), `integrity_check (seed ${SEED})`).toBe(true)
  const vault = await createVault({ database: handle })
  for (const passphrase of passphrases) {
    try {
      await vault.unlock(passphrase)
      expect(await vault.audit.verify(), `audit chain (seed ${SEED})`).toMatchObject({ ok: true })
      return { vault, passphrase }
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_UNLOCK_FAILED') throw err
    }
  }
  await vault.close()
  throw new Error(`no passphrase unlocks the vault (seed ${SEED})`)
}

/** Sends `request` and kills the server `afterMs` later: true when the answer (2xx) came first. */
async function killDuring(
  server: ServerProcess,
  request: () => Promise<Response>,
  afterMs: number,
): Promise<boolean> {
  let acknowledged = false
  const sent = request().then(
    async (res) => {
      const text = await res.text()
      if (res.status >= 300) throw new Error(`HTTP ${res.status} ${text} (seed ${SEED})`)
      acknowledged = true
    },
    () => undefined, // the connection died with the server
  )
  await new Promise((r) => setTimeout(r, afterMs))
  await server.kill()
  await sent
  return acknowledged
}

describe('crash: SIGKILL during restore, passphrase change, import and start-up migration', () => {
  it(`leaves each operation done or not done, never half (${OPERATION_KILLS} kills, seed ${SEED})`, async () => {
    const random = seeded(SEED)
    const data = folder()
    const file = join(data, 'custos.db')
    const { keyFile } = await initVault({ data }, FIRST_PASSPHRASE)
    let passphrase = FIRST_PASSPHRASE
    let server = await startServer({ data, keyFile })
    cleanups.push(() => server.kill())

    // The backup every restore goes back to: its marker field says so, its passphrase is the first.
    let owner = await signIn(server.url, passphrase)
    const json = { ...owner, 'content-type': 'application/json' }
    const put = (base: string, headers: Record<string, string>, path: string, value: string) =>
      fetch(`${base}/owner/fields/${path}`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ value }),
      })
    expect((await put(server.url, owner, 'custom.state', 'backup')).status).toBe(200)
    const backup = Buffer.from(
      await (await fetch(`${server.url}/owner/backup`, { headers: owner })).arrayBuffer(),
    )
    const exported = (await (
      await fetch(`${server.url}/owner/export`, { headers: json })
    ).json()) as Record<string, unknown>

    const figures = {
      restore: { completed: 0, cut: 0 },
      passphrase: { completed: 0, cut: 0 },
      import: { completed: 0, cut: 0 },
    }
    for (let i = 0; i < OPERATION_KILLS; i++) {
      if (i > 0) {
        writeFileSync(keyFile, `${passphrase}\n`, { mode: 0o600 })
        server = await startServer({ data, keyFile })
      }
      const base = server.url
      owner = await signIn(base, passphrase)
      const live = `live ${i}`
      expect((await put(base, owner, 'custom.state', live)).status).toBe(200)
      const kind = (['restore', 'passphrase', 'import'] as const)[i % 3] as
        | 'restore'
        | 'passphrase'
        | 'import'
      const next = `${FIRST_PASSPHRASE} #${i}`
      const fields = Object.fromEntries(
        Array.from({ length: IMPORTED }, (_, k) => [`custom.imported.i${i}.k${k}`, `v${k}`]),
      )
      const request = {
        restore: () =>
          fetch(`${base}/owner/restore`, {
            method: 'POST',
            headers: {
              ...owner,
              'content-type': 'application/octet-stream',
              'x-backup-passphrase': FIRST_PASSPHRASE,
            },
            body: backup,
          }),
        passphrase: () =>
          fetch(`${base}/owner/passphrase`, {
            method: 'POST',
            headers: { ...owner, 'content-type': 'application/json' },
            body: JSON.stringify({ current: passphrase, next }),
          }),
        import: () =>
          fetch(`${base}/owner/import?mode=merge`, {
            method: 'POST',
            headers: { ...owner, 'content-type': 'application/json' },
            body: JSON.stringify({
              ...exported,
              fields,
              purchases: [],
              vendors: [],
              grants: [],
              audit: [],
              conversations: [],
              intents: [],
            }),
          }),
      }[kind]
      // A restore or a passphrase change (Argon2, twice) takes one to a few seconds here, an import of a
      // few fields some tens of milliseconds: kills land before, during and after each.
      const window = kind === 'import' ? 150 : 3000
      const acked = await killDuring(server, request, Math.floor(random() * window))
      figures[kind] = acked
        ? { ...figures[kind], completed: figures[kind].completed + 1 }
        : { ...figures[kind], cut: figures[kind].cut + 1 }
      const at = `${kind} #${i}, acknowledged: ${acked} (seed ${SEED})`

      if (kind === 'passphrase') {
        const { vault, passphrase: works } = await inspect(file, [next, passphrase])
        if (acked) expect(works, at).toBe(next)
        passphrase = works
        expect(await vault.fields.get('custom.state'), at).toBe(live)
        await vault.close()
      } else if (kind === 'restore') {
        const { vault, passphrase: works } = await inspect(file, [passphrase, FIRST_PASSPHRASE])
        const state = await vault.fields.get('custom.state')
        // Restored whole (the backup's data and passphrase) or not at all (the live data and passphrase).
        if (state === 'backup') expect(works, at).toBe(FIRST_PASSPHRASE)
        else expect([state, works], at).toEqual([live, passphrase])
        if (acked) expect(state, at).toBe('backup')
        passphrase = works
        await vault.close()
      } else {
        const { vault } = await inspect(file, [passphrase])
        let present = 0
        for (const path of Object.keys(fields))
          if ((await vault.fields.get(path as `custom.${string}`)) !== undefined) present++
        expect([0, IMPORTED], `${at}: ${present} of ${IMPORTED} fields`).toContain(present)
        if (acked) expect(present, at).toBe(IMPORTED)
        await vault.close()
      }
    }
    recordFigures('crash-operations', { seed: SEED, kills: OPERATION_KILLS, ...figures })
  }, 600_000)

  it(`a vault of the older schema, killed during its start-up migration, starts whole (${STARTUP_KILLS} kills, seed ${SEED})`, async () => {
    const random = seeded(SEED + 1)
    const data = folder()
    copyFileSync(LEGACY, join(data, 'custos.db'))
    const keyFile = join(data, 'unseal.key')
    writeFileSync(keyFile, `${LEGACY_PASSPHRASE}\n`, { mode: 0o600 })
    // Start-up here: open, migrate, unseal with the key file (the first unlock authenticates every row).
    for (let i = 0; i < STARTUP_KILLS; i++)
      await killDuringStart({ data, keyFile }, 300 + Math.floor(random() * 2500))
    const server = await startServer({ data, keyFile })
    cleanups.push(() => server.kill())
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({
      ready: true,
      state: 'unsealed',
    })
    expect(await server.stop()).toBe(0)
    const { vault } = await inspect(join(data, 'custos.db'), [LEGACY_PASSPHRASE])
    cleanups.push(() => vault.close())
    // The legacy vault's live grant still reads: its rows were authenticated, not lost or refused.
    expect((await vault.readThroughGrant(LEGACY_LIVE_GRANT)).fields).toBeDefined()
    recordFigures('crash-startup', { seed: SEED, kills: STARTUP_KILLS })
  }, 600_000)
})
