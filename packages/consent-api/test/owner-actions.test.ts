/**
 * The owner actions (owner/owner-actions.ts): each owner use case once, for the owner API and the
 * web pages — issue 11. These check the steps a use case holds beyond the vault's own call, on a
 * real vault and the API's real tables: lock ends every session, destroy erases the API's state,
 * a passphrase change signs out the other sessions, restore and destroy never run beside a rotation.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Vault } from '@custos/vault'
import type { AppContext } from '../src/app-context.js'
import { ownerActionsFor } from '../src/owner/owner-actions.js'
import type { OwnerSession } from '../src/store/session-store.js'
import {
  type Owner,
  type OwnerFixture,
  PASSPHRASE,
  disposeOwnerFixtures,
  ownerFixture,
} from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

const NEW_PASSPHRASE = 'a brand new long passphrase'

/** The stored session behind a signed-in owner's cookie. */
async function sessionOf(f: OwnerFixture, owner: Owner): Promise<OwnerSession> {
  const session = await f.ctx.stores.sessions.find(owner.cookie.split('=')[1])
  if (!session) throw new Error('no live session')
  return session
}

/** Whether the owner API still takes this owner's session. */
const signedIn = async (f: OwnerFixture, owner: Owner) =>
  (await f.call(owner, 'GET', '/owner/fields')).status === 200

/** A vault whose key rotation waits until `release` is called, so "a rotation runs" can be observed. */
function heldRotation(vault: Vault): { vault: Vault; release: () => void } {
  let release: () => void = () => undefined
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  return {
    vault: {
      ...vault,
      rotateKeys: async (options) => {
        await gate
        return vault.rotateKeys(options)
      },
    },
    release,
  }
}

/** Lets a held rotation go and waits for it to end, so nothing runs on after the test. */
async function finish(
  held: { release: () => void },
  actions: { keys: { busy: boolean } },
): Promise<void> {
  held.release()
  for (let i = 0; i < 500 && actions.keys.busy; i++) await new Promise((r) => setTimeout(r, 10))
  expect(actions.keys.busy).toBe(false)
}

/** Every table the API keeps beside the vault's. */
const API_TABLES = [
  'oauth_tokens',
  'oauth_codes',
  'oauth_requests',
  'dpop_jti',
  'owner_sessions',
  'oauth_clients',
  'registration_tokens',
  'api_settings',
  'rate_events',
] as const

async function rowCounts(ctx: AppContext): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const table of API_TABLES)
    counts[table] = (await ctx.db.selectFrom(table).selectAll().execute()).length
  return counts
}

describe('lock', () => {
  it('seals the vault and ends every owner session, in every browser', async () => {
    const f = await ownerFixture()
    const [a, b] = [await f.signIn(), await f.signIn()]
    await ownerActionsFor(f.ctx).lock({ origin: 'api' })
    expect(f.tv.vault.isUnsealed()).toBe(false)
    await f.tv.vault.unlock(PASSPHRASE)
    expect([await signedIn(f, a), await signedIn(f, b)]).toEqual([false, false])
    expect((await f.tv.vault.audit.list({ action: 'vault.locked', limit: 1 }))[0]?.origin).toBe(
      'api',
    )
  })
})

describe('unlock', () => {
  it('answers already-unsealed on an unsealed vault before trying the secret (no failed attempt counted)', async () => {
    const f = await ownerFixture()
    expect(
      await ownerActionsFor(f.ctx).unlock({ passphrase: 'not the passphrase' }, { origin: 'api' }),
    ).toBe('already-unsealed')
    expect(await f.tv.vault.audit.list({ action: 'vault.unlock_failed' })).toEqual([])
  })
})

describe('passphrase', () => {
  it('a change keeps the asking session and signs out every other one', async () => {
    const f = await ownerFixture()
    const [a, b] = [await f.signIn(), await f.signIn()]
    await ownerActionsFor(f.ctx).changePassphrase(PASSPHRASE, NEW_PASSPHRASE, await sessionOf(f, a))
    expect([await signedIn(f, a), await signedIn(f, b)]).toEqual([true, false])
    await f.signIn(NEW_PASSPHRASE)
  })

  it('the owner API route is the same action: the other session is out, this one stays', async () => {
    const f = await ownerFixture()
    const [a, b] = [await f.signIn(), await f.signIn()]
    expect(
      (
        await f.call(a, 'POST', '/owner/passphrase', {
          json: { current: PASSPHRASE, next: NEW_PASSPHRASE },
        })
      ).status,
    ).toBe(204)
    expect([await signedIn(f, a), await signedIn(f, b)]).toEqual([true, false])
  })

  it('a wrong current passphrase changes nothing and ends no session', async () => {
    const f = await ownerFixture()
    const [a, b] = [await f.signIn(), await f.signIn()]
    await expect(
      ownerActionsFor(f.ctx).changePassphrase('not it', NEW_PASSPHRASE, await sessionOf(f, a)),
    ).rejects.toMatchObject({ code: 'ERR_UNLOCK_FAILED' })
    expect([await signedIn(f, a), await signedIn(f, b)]).toEqual([true, true])
  })

  it('a reset without the recovery key proved is refused and ends no session', async () => {
    const f = await ownerFixture()
    const [a, b] = [await f.signIn(), await f.signIn()]
    await expect(
      ownerActionsFor(f.ctx).resetPassphrase(NEW_PASSPHRASE, await sessionOf(f, a), {
        origin: 'api',
      }),
    ).rejects.toMatchObject({ code: 'ERR_RECOVERY_REQUIRED' })
    expect([await signedIn(f, a), await signedIn(f, b)]).toEqual([true, true])
  })
})

describe('destroy', () => {
  it("erases the vault, then the API's state: clients, tokens, registration tokens, settings and every session", async () => {
    const f = await ownerFixture()
    const owner = await f.signIn()
    const registered = await f.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Fjord Outdoor',
        redirect_uris: ['https://fjord.example/cb'],
      }),
    })
    const clientId = ((await registered.json()) as { client_id: string }).client_id
    const grant = await f.tv.vault.grants.create({
      vendorId: clientId,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Sizing',
      durationSeconds: 86400,
    })
    await f.ctx.stores.tokens.issue({ clientId, grantId: grant.id, dpopJkt: null })
    await f.ctx.stores.registration.createToken('Fjord Outdoor')
    const actions = ownerActionsFor(f.ctx)
    await actions.timeZone.set('Europe/Berlin')
    const before = await rowCounts(f.ctx)
    for (const table of [
      'oauth_tokens',
      'oauth_clients',
      'owner_sessions',
      'registration_tokens',
      'api_settings',
    ] as const)
      expect([table, before[table]]).not.toEqual([table, 0])

    expect(await actions.destroy()).toBe('destroyed')
    expect((await f.tv.vault.status()).state).toBe('uninitialized')
    expect(Object.values(await rowCounts(f.ctx)).every((n) => n === 0)).toBe(true)
    expect(await signedIn(f, owner)).toBe(false)
  })

  it('never beside a key rotation: busy, and nothing is erased', async () => {
    const f = await ownerFixture()
    const held = heldRotation(f.tv.vault)
    const actions = ownerActionsFor({ ...f.ctx, vault: held.vault })
    const owner = await f.signIn()
    expect(actions.keys.rotate()).toMatchObject({ running: true })
    expect(actions.keys.busy).toBe(true)
    expect(await actions.destroy()).toBe('busy')
    expect((await f.tv.vault.status()).state).toBe('unsealed')
    expect(await signedIn(f, owner)).toBe(true)
    await finish(held, actions)
  })
})

describe('restore', () => {
  it('replaces the vault with the backup, then ends every owner session', async () => {
    const f = await ownerFixture()
    const actions = ownerActionsFor(f.ctx)
    await actions.fields.set('email', 'ada@example.org')
    const backup = new Uint8Array(await new Response((await actions.backup()).body).arrayBuffer())
    await actions.fields.set('email', 'changed@example.org')
    const [a, b] = [await f.signIn(), await f.signIn()]
    expect(await actions.restore(backup, { passphrase: PASSPHRASE }, { origin: 'api' })).toBe(
      'restored',
    )
    expect(await actions.read.fields.get('email')).toBe('ada@example.org')
    expect([await signedIn(f, a), await signedIn(f, b)]).toEqual([false, false])
  })

  it('never beside a key rotation: busy, the vault and the sessions as they were', async () => {
    const f = await ownerFixture()
    const held = heldRotation(f.tv.vault)
    const actions = ownerActionsFor({ ...f.ctx, vault: held.vault })
    const backup = new Uint8Array(await new Response((await actions.backup()).body).arrayBuffer())
    const owner = await f.signIn()
    actions.keys.rotate()
    expect(await actions.restore(backup, { passphrase: PASSPHRASE }, { origin: 'api' })).toBe(
      'busy',
    )
    expect(await signedIn(f, owner)).toBe(true)
    // One job for every door: a second rotation is refused too while this one runs.
    expect(actions.keys.rotate()).toBeUndefined()
    await finish(held, actions)
  })
})

describe('reads', () => {
  it('are the vault’s reads only: a page holding them cannot write', async () => {
    const { read } = ownerActionsFor((await ownerFixture()).ctx)
    expect(Object.keys(read.fields).sort()).toEqual(['get', 'list'])
    expect(Object.keys(read.purchases).sort()).toEqual(['get', 'list'])
    expect(Object.keys(read.grants).sort()).toEqual(['get', 'list'])
    expect(Object.keys(read.audit).sort()).toEqual(['list', 'trusted', 'verify'])
    expect(Object.isFrozen(read) && Object.isFrozen(read.fields)).toBe(true)
  })

  it('connections give each grant its newest read', async () => {
    const f = await ownerFixture()
    const vendor = await f.tv.vault.vendors.register({
      name: 'Fjord Outdoor',
      uri: 'https://fjord.example',
    })
    await f.tv.vault.fields.set('email', 'ada@example.org')
    const read = await f.tv.vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Sizing',
      durationSeconds: 86400,
    })
    const unread = await f.tv.vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Mail',
      durationSeconds: 86400,
    })
    await f.tv.vault.readThroughGrant(read.id)
    await f.tv.vault.readThroughGrant(read.id)
    const connections = await ownerActionsFor(f.ctx).read.connections()
    expect(connections.vendors.map((v) => v.id)).toEqual([vendor.id])
    expect(connections.grants.map((g) => g.id).sort()).toEqual([read.id, unread.id].sort())
    const newest = (await f.tv.vault.audit.list({ action: 'grant.read', limit: 1 }))[0]
    expect(connections.lastReads.get(read.id)?.seq).toBe(newest?.seq)
    expect(connections.lastReads.has(unread.id)).toBe(false)
  })
})
