/**
 * Issue 12, part 4 — "delivery is durable … survives SIGKILL and a restart": a real `custos serve`
 * pushes Security Event Tokens (RFC 8417) to a vendor's loopback RFC 8935 receiver
 * (support/events-receiver.ts), and is killed with SIGKILL at the two moments that matter:
 *
 * 1. the change is committed but the vendor is down (503s), so its signals wait in the outbox;
 * 2. the push is on the wire and the vendor has taken it, but the server dies before the 202;
 *
 * and then at random moments (seeded; CUSTOS_CRASH_SEED replays one) just after new grants, field
 * changes and revocations were committed, while their pushes go out: every revocation still
 * reaches the vendor, under the one jti it was stored with, and no jti names two signals.
 *
 * Each time the same data folder is served again (unsealed by its key file) and the vendor comes
 * back; every change must reach it as a SET that verifies against the vault's published keys, and
 * every copy of one change must carry the same `jti` (at least once, idempotent by jti, RFC 8935 §2).
 *
 * Why this fails when delivery is not durable: the restarted process starts with empty memory, so
 * anything it delivers it can only have read from the database. A signal held in memory, written
 * outside the change's transaction and lost with the process, or deleted before the vendor's 202
 * (at most once) never reaches the receiver after the restart, and the bounded wait below fails
 * with the server's output; a `jti` minted per attempt rather than stored with the signal fails
 * the one-jti-per-change check. Each was seen to fail by breaking the consent API locally: marking
 * a signal delivered before the push (at most once), signing with a fresh jti per attempt, and
 * skipping signals older than the process (an outbox that lives in memory) each fail both cases.
 *
 * `custos serve` runs the built packages (dist/), as an operator's does: `pnpm test` builds first;
 * NODE_OPTIONS=--conditions=source runs the server on src/ instead (the child inherits it).
 * No timing is asserted: the retry backoff (1 s, doubling) stays short because the outage ends
 * after the first refusals, and every wait is a bounded poll with a generous deadline.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type JSONWebKeySet, createLocalJWKSet, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterEach, describe, expect, it } from 'vitest'
import { seeded } from './support/seeded.js'
import { type ServerProcess, freePort, initVault, startServer } from '../support/server-process.js'
import {
  type EventsReceiver,
  type ReceiverMode,
  startEventsReceiver,
} from './support/events-receiver.js'
import {
  OwnerBrowser,
  REDIRECT_URI,
  type Vendor,
  authorizeVendor,
  discover,
  loopback,
} from './support/vendor-flow.js'

const PASSPHRASE = 'the outbox remembers what the process forgot'
const SEED = Number(process.env.CUSTOS_CRASH_SEED ?? Date.now() % 2 ** 31)
/** Random kills while the outbox delivers: a few in the default suite, more with CUSTOS_LONG=1. */
const DELIVERY_KILLS = process.env.CUSTOS_LONG === '1' ? 30 : 2
const EVENTS = 'https://custos.dev/secevent'
/** Far beyond the few seconds a restart and one backoff take; a lost signal ends here. */
const DEADLINE_MS = 45_000

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Waits until `check` holds, polling; past the deadline the test fails with what the server said. */
async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  server: () => ServerProcess,
): Promise<void> {
  const end = Date.now() + DEADLINE_MS
  while (!(await check())) {
    if (Date.now() > end)
      throw new Error(`${what}: not within ${DEADLINE_MS} ms\n${server().output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** RFC 7591 registration with the Custos extension that names the vendor's push receiver. */
async function registerListeningVendor(
  as: oauth.AuthorizationServer,
  eventsEndpoint: string,
): Promise<Vendor> {
  const res = await oauth.dynamicClientRegistrationRequest(
    as,
    {
      client_name: 'Fjord Outdoor',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      custos_events_endpoint: eventsEndpoint,
    },
    loopback,
  )
  const registered = await oauth.processDynamicClientRegistrationResponse(res)
  const secret = registered.client_secret as string
  return {
    client: { client_id: registered.client_id },
    auth: oauth.ClientSecretBasic(secret),
    secret,
  }
}

/** Signs the owner in (again after every restart) and returns the headers of the owner API. */
async function ownerHeaders(url: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/owner/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ passphrase: PASSPHRASE }),
  })
  expect(res.status).toBe(201)
  return {
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string,
    'x-csrf-token': ((await res.json()) as { csrf_token: string }).csrf_token,
    'content-type': 'application/json',
  }
}

/** What the owner's Connections page knows of the vendor's signals: how many wait, the last error. */
async function signalsWaiting(
  url: string,
  headers: Record<string, string>,
  vendorId: string,
): Promise<{ waiting: number; lastError?: string }> {
  const res = await fetch(`${url}/owner/vendors`, { headers })
  expect(res.status).toBe(200)
  const { vendors } = (await res.json()) as {
    vendors: { id: string; signals: { waiting: number; lastError?: string } }[]
  }
  const signals = vendors.find((v) => v.id === vendorId)?.signals
  if (!signals) throw new Error(`vendor ${vendorId} not listed`)
  return signals
}

/** A served vault with one vendor holding a grant and listening at a receiver in `mode`. */
async function servedVaultWithListeningVendor(mode: ReceiverMode) {
  const data = mkdtempSync(join(tmpdir(), 'custos-signal-crash-'))
  cleanups.push(() => rmSync(data, { recursive: true, force: true }))
  const { keyFile } = await initVault({ data }, PASSPHRASE)
  // The same port after the restart: the issuer (and so every SET's `iss`) is the server's URL.
  const port = await freePort()
  // Accepting at first: the notice of the consent's receipt is delivered before the test begins.
  const receiver = await startEventsReceiver('accept')
  cleanups.push(() => receiver.close())
  const world = {
    server: await startServer({ data, keyFile, port }),
    restart: async () => {
      world.server = await startServer({ data, keyFile, port })
    },
  }
  cleanups.push(() => world.server.kill())
  const as = await discover(world.server.url)
  const vendor = await registerListeningVendor(as, receiver.url)
  await authorizeVendor(as, vendor, new OwnerBrowser(world.server.url), PASSPHRASE)
  const vendorId = vendor.client.client_id
  const owner = await ownerHeaders(world.server.url)
  const listed = await fetch(`${world.server.url}/owner/grants?vendorId=${vendorId}`, {
    headers: owner,
  })
  const { grants } = (await listed.json()) as { grants: { id: string }[] }
  expect(grants).toHaveLength(1)
  await eventually(
    'the notice of the consent receipt delivered',
    async () =>
      receiver.copies.some((c) => c.answer === 202) &&
      (await signalsWaiting(world.server.url, owner, vendorId)).waiting === 0,
    () => world.server,
  )
  // What the vendor received from here on is the test's.
  const baseline = receiver.copies.length
  receiver.mode = mode
  const copies = () => receiver.copies.slice(baseline)
  return {
    world,
    receiver,
    copies,
    vendorId,
    grantId: grants[0]?.id as string,
    issuer: as.issuer,
    owner,
    as,
    vendor,
  }
}

async function ownerCall(
  url: string,
  headers: Record<string, string>,
  method: 'PUT' | 'POST',
  path: string,
  body: unknown,
) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: JSON.stringify(body),
  })
  // A 200 means committed: the change and its signal, in one transaction.
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200)
  await res.body?.cancel()
}

interface DeliveredEvent {
  readonly jti: string
  readonly type: string
  readonly grantId: unknown
  readonly answer: 503 | 202 | 'held'
}

/** Verifies every copy the vendor received, as the vendor would, against the vault's JWK Set. */
async function verifiedCopies(
  copies: readonly EventsReceiver['copies'][number][],
  url: string,
  issuer: string,
  vendorId: string,
): Promise<DeliveredEvent[]> {
  const jwks = createLocalJWKSet(
    (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet,
  )
  const out: DeliveredEvent[] = []
  for (const copy of copies) {
    expect(copy.contentType).toBe('application/secevent+jwt')
    const { payload } = await jwtVerify(copy.body, jwks, {
      issuer,
      audience: vendorId,
      typ: 'secevent+jwt',
    })
    const events = payload.events as Record<string, { grant_id?: unknown }>
    const [type, event] = Object.entries(events)[0] ?? []
    expect(Object.keys(events)).toHaveLength(1)
    expect(payload.sub_id).toEqual({ format: 'opaque', id: event?.grant_id })
    out.push({
      jti: payload.jti as string,
      type: type as string,
      grantId: event?.grant_id,
      answer: copy.answer,
    })
  }
  return out
}

/** One change, one jti: every copy of an event about a grant carries the same id. */
function jtisPerChange(events: readonly DeliveredEvent[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const e of events) {
    const change = `${e.type} ${String(e.grantId)}`
    out.set(change, new Set([...(out.get(change) ?? []), e.jti]))
  }
  return out
}

describe('signal delivery survives SIGKILL and a restart (issue 12, part 4)', () => {
  it('signals the vendor refused before the crash reach it after the restart, each under one jti', async () => {
    const { world, receiver, copies, vendorId, grantId, issuer, owner } =
      await servedVaultWithListeningVendor('refuse')
    const url = world.server.url
    await ownerCall(url, owner, 'PUT', '/owner/fields/email', { value: 'grace@example.org' })
    await ownerCall(url, owner, 'POST', `/owner/grants/${grantId}/revoke`, {})
    // Both changes and the revocation's receipt notice wait in the outbox and a push was
    // refused: delivery is on and the vendor is down.
    await eventually(
      'a refused push, three signals waiting',
      async () => copies().length > 0 && (await signalsWaiting(url, owner, vendorId)).waiting === 3,
      () => world.server,
    )
    await world.server.kill()

    receiver.mode = 'accept'
    await world.restart()
    const again = await ownerHeaders(world.server.url)
    await eventually(
      'every signal acknowledged and the outbox empty',
      async () =>
        copies().filter((c) => c.answer === 202).length >= 3 &&
        (await signalsWaiting(world.server.url, again, vendorId)).waiting === 0,
      () => world.server,
    )

    const events = await verifiedCopies(copies(), world.server.url, issuer, vendorId)
    const changes = jtisPerChange(events)
    expect([...changes.keys()].sort()).toEqual([
      `${EVENTS}/field-changed ${grantId}`,
      `${EVENTS}/grant-revoked ${grantId}`,
      `${EVENTS}/receipt-issued ${grantId}`,
    ])
    for (const [change, jtis] of changes) expect(jtis.size, change).toBe(1)
    // Each change was acknowledged (202) exactly under that one jti: nothing lost, nothing renamed.
    const acknowledged = new Set(events.filter((e) => e.answer === 202).map((e) => e.jti))
    expect(acknowledged).toEqual(new Set([...changes.values()].flatMap((j) => [...j])))
  }, 120_000)

  it('a push killed before its 202 arrives is delivered again after the restart, under the same jti', async () => {
    const { world, receiver, copies, vendorId, grantId, issuer, owner } =
      await servedVaultWithListeningVendor('hold')
    await ownerCall(world.server.url, owner, 'POST', `/owner/grants/${grantId}/revoke`, {})
    await eventually(
      'the push on the wire',
      () => copies().length === 1,
      () => world.server,
    )
    // The vendor has the SET; the server dies before it hears back, then the vendor says 202 to no one.
    await world.server.kill()
    receiver.releaseHeld()

    receiver.mode = 'accept'
    await world.restart()
    const again = await ownerHeaders(world.server.url)
    await eventually(
      'the revocation and its receipt notice acknowledged, the outbox empty',
      async () =>
        copies().filter((c) => c.answer === 202).length >= 2 &&
        (await signalsWaiting(world.server.url, again, vendorId)).waiting === 0,
      () => world.server,
    )

    const events = await verifiedCopies(copies(), world.server.url, issuer, vendorId)
    expect(events[0]?.answer).toBe('held')
    expect(events.length).toBeGreaterThanOrEqual(3)
    // The revocation and the notice of its receipt (in either order), each under one jti — the
    // held one delivered again under the jti it had on the wire.
    const changes = jtisPerChange(events)
    expect([...changes.keys()].sort()).toEqual([
      `${EVENTS}/grant-revoked ${grantId}`,
      `${EVENTS}/receipt-issued ${grantId}`,
    ])
    for (const [change, jtis] of changes) expect(jtis.size, change).toBe(1)
    expect(events.filter((e) => e.answer === 202).map((e) => e.jti)).toContain(events[0]?.jti)
  }, 120_000)

  it(`kills at random moments while the outbox delivers lose no signal and rename none (${DELIVERY_KILLS} kills, seed ${SEED})`, async () => {
    const random = seeded(SEED)
    const { world, copies, vendorId, grantId, issuer, as, vendor } =
      await servedVaultWithListeningVendor('accept')
    const revoked = [grantId]
    for (let round = 0; round < DELIVERY_KILLS; round++) {
      const url = world.server.url
      const owner = await ownerHeaders(url)
      // Committed changes, each with its signals in the same transaction: a new grant (its receipt
      // notice), a field change, and a revocation (the grant's revocation and its receipt notice).
      if (round > 0) {
        await authorizeVendor(as, vendor, new OwnerBrowser(url), PASSPHRASE)
        const listed = await fetch(`${url}/owner/grants?vendorId=${vendorId}&status=active`, {
          headers: owner,
        })
        const { grants } = (await listed.json()) as { grants: { id: string }[] }
        expect(grants, `seed ${SEED}`).toHaveLength(1)
        revoked.push(grants[0]?.id as string)
      }
      await ownerCall(url, owner, 'PUT', '/owner/fields/email', { value: `r${round}@example.org` })
      await ownerCall(url, owner, 'POST', `/owner/grants/${revoked.at(-1)}/revoke`, {})
      // The pushes go out now: the kill lands before, during or after them.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 400)))
      await world.server.kill()
      await world.restart()
    }
    const again = await ownerHeaders(world.server.url)
    await eventually(
      'the outbox empty after the last restart',
      async () => (await signalsWaiting(world.server.url, again, vendorId)).waiting === 0,
      () => world.server,
    )
    const events = await verifiedCopies(copies(), world.server.url, issuer, vendorId)
    const acknowledged = events.filter((e) => e.answer === 202)
    // Nothing lost: every revoked grant's revocation reached the vendor and was acknowledged.
    for (const id of revoked)
      expect(
        acknowledged.some((e) => e.type === `${EVENTS}/grant-revoked` && e.grantId === id),
        `revocation of ${id} (seed ${SEED})`,
      ).toBe(true)
    // Nothing renamed: every copy of a revocation (once per grant) carries the one jti it was stored with.
    const changes = jtisPerChange(events.filter((e) => e.type === `${EVENTS}/grant-revoked`))
    for (const [change, jtis] of changes) expect(jtis.size, `${change} (seed ${SEED})`).toBe(1)
    // And a jti is never two different signals: each is about one grant and one kind.
    const byJti = new Map<string, string>()
    for (const e of events) {
      const what = `${e.type} ${String(e.grantId)}`
      expect(byJti.get(e.jti) ?? what, `jti ${e.jti} (seed ${SEED})`).toBe(what)
      byJti.set(e.jti, what)
    }
  }, 600_000)
})
