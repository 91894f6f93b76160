/**
 * Scale-out (issue 5): two `custos serve` processes on two ports over one real PostgreSQL, behind
 * a round-robin load balancer with no stickiness, behave exactly as one server. A vendor runs the
 * OAuth story with an unmodified client library (oauth4webapi) while consecutive requests land on
 * alternating processes: PAR at one, the consent page and the owner's session at the other, the
 * code exchanged at either. Then the state that must be shared is checked across the two
 * directly — refresh-token rotation and reuse detection, the DPoP replay cache, owner sessions,
 * the unlock throttle — and both append to one audit chain concurrently, which still verifies.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as oauth from 'oauth4webapi'
import pg from 'pg'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { roundRobin } from './reliability/support/round-robin.js'
import {
  OwnerBrowser,
  authorizeVendor,
  discover,
  loopback,
  rawRefresh,
  refreshTokens,
  registerVendor,
} from './reliability/support/vendor-flow.js'
import { type ServerProcess, freePort, initVault, startServer } from './support/server-process.js'

const PASSPHRASE = 'two processes, one vault, one truth'
const FIELDS = { email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 42' }

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A database of the test's own on the suite's PostgreSQL server, dropped afterwards. */
async function freshDatabase(): Promise<string> {
  const url = new URL(inject('postgresUrl'))
  const name = `scale_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: url.href })
  await admin.connect()
  await admin.query(`create database ${name}`)
  cleanups.push(async () => {
    await admin.query(`drop database ${name} with (force)`)
    await admin.end()
  })
  url.pathname = `/${name}`
  return url.href
}

interface Cluster {
  readonly a: ServerProcess
  readonly b: ServerProcess
  readonly lb: Awaited<ReturnType<typeof roundRobin>>
}

async function startCluster(): Promise<Cluster> {
  const databaseUrl = await freshDatabase()
  const data = mkdtempSync(join(tmpdir(), 'custos-scale-'))
  cleanups.push(() => rmSync(data, { recursive: true, force: true }))
  const { keyFile } = await initVault({ data, databaseUrl }, PASSPHRASE)
  const lbPort = await freePort()
  const publicUrl = `http://127.0.0.1:${lbPort}`
  // Both processes: the same database URL and unseal key file, the load balancer's URL as issuer.
  const [a, b] = await Promise.all(
    [0, 1].map(() => startServer({ data, databaseUrl, keyFile, publicUrl })),
  )
  for (const p of [a, b] as ServerProcess[]) cleanups.push(async () => void (await p.kill()))
  const lb = await roundRobin([(a as ServerProcess).url, (b as ServerProcess).url], lbPort)
  cleanups.push(() => lb.close())
  return { a: a as ServerProcess, b: b as ServerProcess, lb }
}

/** Owner API sign-in (JSON) at one process: the session cookie and CSRF token. */
async function signIn(
  base: string,
  passphrase = PASSPHRASE,
): Promise<{ status: number; cookie: string; csrf: string }> {
  const res = await fetch(`${base}/owner/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ passphrase }),
  })
  const body = (await res.json()) as { csrf_token?: string }
  return {
    status: res.status,
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string,
    csrf: body.csrf_token ?? '',
  }
}

const ownerCall = (
  base: string,
  owner: { cookie: string; csrf: string },
  method: string,
  path: string,
  json?: unknown,
) =>
  fetch(`${base}${path}`, {
    method,
    headers: {
      cookie: owner.cookie,
      'x-csrf-token': owner.csrf,
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  })

const read = (base: string, token: string) =>
  fetch(`${base}/v1/profile`, { headers: { authorization: `Bearer ${token}` } })

describe('two custos serve processes over one PostgreSQL', () => {
  it('run the OAuth story alternately and share sessions, codes, refresh rotation, DPoP replays, throttling and one audit chain', async () => {
    const { a, b, lb } = await startCluster()
    const owner = await signIn(a.url)
    expect(owner.status).toBe(201)
    for (const [path, value] of Object.entries(FIELDS))
      expect(
        (await ownerCall(b.url, owner, 'PUT', `/owner/fields/${path}`, { value })).status,
      ).toBe(200)

    // The whole story through the balancer: every step may land on either process.
    const as = await discover(lb.url)
    expect(as.issuer).toBe(lb.url)
    const vendor = await registerVendor(as, 'Fjord Outdoor')
    const browser = new OwnerBrowser(lb.url)
    const tokens = await authorizeVendor(as, vendor, browser, PASSPHRASE)
    expect(
      lb.served.every((n) => n >= 3),
      `requests per process: ${lb.served.join(', ')}`,
    ).toBe(true)

    // A session started at one process is the session at the other; ended at the other, it is gone at both.
    const elsewhere = await ownerCall(b.url, owner, 'GET', '/owner/fields')
    expect(elsewhere.status).toBe(200)
    expect((await elsewhere.json()) as unknown).toMatchObject({ fields: expect.anything() })

    // The access token works at both processes.
    for (const base of [a.url, b.url]) {
      const res = await read(base, tokens.access_token)
      expect(res.status).toBe(200)
      expect(((await res.json()) as { fields: Record<string, unknown> }).fields).toEqual(FIELDS)
    }

    // Refresh rotation across processes: rotated at A, the old token presented at B is reuse —
    // refused, and the whole family dies at both (RFC 9700 §4.14.2).
    const rotated = await rawRefresh(a.url, vendor, tokens.refresh_token as string)
    expect(rotated.status).toBe(200)
    const second = (await rotated.json()) as { access_token: string; refresh_token: string }
    expect((await read(b.url, second.access_token)).status).toBe(200)
    const reuse = await rawRefresh(b.url, vendor, tokens.refresh_token as string)
    expect(reuse.status).toBe(400)
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' })
    expect((await read(a.url, second.access_token)).status).toBe(401)
    expect((await rawRefresh(a.url, vendor, second.refresh_token)).status).toBe(400)

    // Two concurrent uses of one refresh token, one at each process: at most one wins.
    const fresh = await authorizeVendor(as, vendor, browser, PASSPHRASE)
    const race = await Promise.all([
      rawRefresh(a.url, vendor, fresh.refresh_token as string),
      rawRefresh(b.url, vendor, fresh.refresh_token as string),
    ])
    expect(race.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1)
    for (const r of race) expect([200, 400]).toContain(r.status)

    // DPoP: a proof accepted by A is a replay at B (one jti cache in the database, RFC 9449 §11.1).
    const dpopVendor = await registerVendor(as, 'Bound Boutique', { dpop: true })
    const bound = await authorizeVendor(as, dpopVendor, browser, PASSPHRASE)
    expect(bound.token_type).toBe('dpop')
    let proof = ''
    const atA = await oauth.protectedResourceRequest(
      bound.access_token,
      'GET',
      new URL(`${lb.url}/v1/profile`),
      undefined,
      undefined,
      {
        ...loopback,
        DPoP: dpopVendor.dpop as oauth.DPoPHandle,
        [oauth.customFetch]: (url, init) => {
          proof = new Headers(init.headers).get('dpop') ?? ''
          return fetch(url.replace(lb.url, a.url), init as RequestInit)
        },
      },
    )
    expect(atA.status).toBe(200)
    expect(proof).not.toBe('')
    const replayed = await fetch(`${b.url}/v1/profile`, {
      headers: { authorization: `DPoP ${bound.access_token}`, dpop: proof },
    })
    expect(replayed.status).toBe(401)
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP\b.*error="invalid_dpop_proof"/)
    // The bound family refreshes through the balancer as usual.
    expect((await refreshTokens(as, dpopVendor, bound.refresh_token as string)).token_type).toBe(
      'dpop',
    )

    // Concurrent audit appends from both processes: 64 reads at once, half at each; one chain.
    const reader = await authorizeVendor(
      as,
      await registerVendor(as, 'Busy Reader'),
      browser,
      PASSPHRASE,
    )
    const before = (
      (await (
        await ownerCall(a.url, owner, 'GET', '/owner/audit?action=grant.read&limit=1000')
      ).json()) as { entries: unknown[] }
    ).entries.length
    const reads = await Promise.all(
      Array.from({ length: 64 }, (_, i) => read(i % 2 === 0 ? a.url : b.url, reader.access_token)),
    )
    expect(reads.map((r) => r.status)).toEqual(Array(64).fill(200))
    const after = (
      (await (
        await ownerCall(b.url, owner, 'GET', '/owner/audit?action=grant.read&limit=1000')
      ).json()) as { entries: unknown[] }
    ).entries.length
    expect(after - before).toBe(64)
    for (const base of [a.url, b.url])
      expect(
        await (await ownerCall(base, owner, 'GET', '/owner/audit/verify')).json(),
      ).toMatchObject({ ok: true })

    // Signing out at B ends the session at A too.
    expect((await ownerCall(b.url, owner, 'DELETE', '/owner/session')).status).toBe(204)
    expect((await ownerCall(a.url, owner, 'GET', '/owner/fields')).status).toBe(401)

    // The unlock throttle is one counter: wrong passphrases alternating between the processes
    // are refused from the fifth on, at both — even the right passphrase, until it expires.
    const attempts: number[] = []
    for (let i = 0; i < 7; i++)
      attempts.push((await signIn(i % 2 === 0 ? a.url : b.url, `wrong guess ${i}`)).status)
    expect(attempts.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(attempts.slice(5)).toEqual([429, 429])
    expect((await signIn(a.url)).status).toBe(429)
    expect((await signIn(b.url)).status).toBe(429)

    // Both stop cleanly.
    expect(await a.stop()).toBe(0)
    expect(await b.stop()).toBe(0)
  }, 240_000)
})
