/**
 * Issue 12, part 4: signals that reach vendors. A vendor that registered an events endpoint gets
 * Security Event Tokens (RFC 8417) pushed (RFC 8935) when its grant is revoked or narrowed, a
 * granted field changes (the paths, never the value) or the owner asks it to erase; one without
 * polls (RFC 8936). Delivery is at least once from a durable outbox, retried with backoff; the
 * vendor acknowledges an erasure with its own signed SET.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../src/index.js'
import {
  ISSUER,
  type OAuthFixture,
  basic,
  disposeFixtures,
  oauthFixture,
  ownerCall,
} from './support/oauth-fixture.js'

const EVENTS = 'https://custos.dev/secevent'
const servers: Server[] = []
const stops: AbortController[] = []
afterEach(async () => {
  for (const s of stops.splice(0)) s.abort()
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
  await disposeFixtures()
})

/** A vendor's RFC 8935 receiver on a loopback port: answers `status()` and keeps what arrived. */
async function receiver(status: () => number = () => 202) {
  const received: { type: string | undefined; body: string }[] = []
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      received.push({ type: req.headers['content-type'], body })
      res.statusCode = status()
      if (res.statusCode === 400) res.setHeader('content-type', 'application/json')
      res.end(
        res.statusCode === 400 ? JSON.stringify({ err: 'invalid_key', description: 'x' }) : '',
      )
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/events`, received }
}

async function verifySet(f: OAuthFixture, jws: string, audience: string) {
  const jwks = (await (await f.app.request('/.well-known/jwks.json')).json()) as {
    keys: Record<string, unknown>[]
  }
  const { payload, protectedHeader } = await jwtVerify(jws, createLocalJWKSet(jwks as never), {
    issuer: ISSUER,
    audience,
    typ: 'secevent+jwt',
    currentDate: f.now(),
  })
  expect(protectedHeader.typ).toBe('secevent+jwt')
  return payload as { jti: string; events: Record<string, Record<string, unknown>> }
}

/** Whether a SET is a receipt notice: every consent event has one, tested in receipt-history.test.ts. */
function isReceiptNotice(jws: string): boolean {
  const events = (decodeJwt(jws) as { events?: Record<string, unknown> }).events ?? {}
  return `${EVENTS}/receipt-issued` in events
}

/** Collects the receipt notices of the consent just given, so a test starts with its own news. */
async function collectReceiptNotices(f: OAuthFixture) {
  const due = await f.tv.vault.signals.due()
  await f.tv.vault.signals.delivered(
    due.filter((s) => s.kind === 'receipt.issued').map((s) => s.id),
  )
}

async function until(check: () => boolean, ms = 3000) {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  expect(check()).toBe(true)
}

describe('pushed signals (RFC 8935)', () => {
  it('a revocation, a narrowing and a field change reach the listening vendor as verifiable SETs, without values', async () => {
    const stop = new AbortController()
    stops.push(stop)
    const f = await oauthFixture({}, { signalDelivery: { intervalMs: 50, stop: stop.signal } })
    const vendor = await receiver()
    const client = await f.register({ custos_events_endpoint: vendor.url })
    await f.code(client, { scope: 'read:email read:prefs.sizes.*' })
    const [grant] = await f.tv.vault.grants.list()
    expect(grant).toBeDefined()
    const news = () => vendor.received.filter((r) => !isReceiptNotice(r.body))

    expect(
      (await ownerCall(f, 'PUT', '/owner/fields/email', { value: 'grace@example.org' })).status,
    ).toBe(200)
    await until(() => news().length === 1)
    const changed = await verifySet(f, news()[0]?.body as string, client.id)
    expect(news()[0]?.type).toBe('application/secevent+jwt')
    expect(changed.events).toEqual({
      [`${EVENTS}/field-changed`]: { grant_id: grant?.id, fields: ['email'] },
    })
    expect(news()[0]?.body).not.toContain('grace')

    await ownerCall(f, 'POST', `/owner/grants/${grant?.id}/narrow`, { fields: ['email'] })
    await ownerCall(f, 'POST', `/owner/grants/${grant?.id}/revoke`)
    await until(() => news().length === 3)
    const kinds = await Promise.all(
      news()
        .slice(1)
        .map(async (r) => Object.keys((await verifySet(f, r.body, client.id)).events)),
    )
    expect(kinds).toEqual([[`${EVENTS}/grant-narrowed`], [`${EVENTS}/grant-revoked`]])
    // Delivered: the outbox holds only what is not due (nothing: the revocation dropped the expiry).
    expect(await f.tv.vault.signals.due()).toEqual([])
    const vendors = (await (await ownerCall(f, 'GET', '/owner/vendors')).json()) as {
      vendors: { id: string; signals: { waiting: number; lastDeliveredAt?: string } }[]
    }
    expect(vendors.vendors.find((v) => v.id === client.id)?.signals).toMatchObject({ waiting: 0 })
    expect(vendors.vendors.find((v) => v.id === client.id)?.signals.lastDeliveredAt).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    )
  })

  it('a failing endpoint is retried with backoff, the same jti each time; the owner sees the error meanwhile', async () => {
    const f = await oauthFixture()
    let answer = 500
    const vendor = await receiver(() => answer)
    const client = await f.register({ custos_events_endpoint: vendor.url })
    await f.code(client)
    await collectReceiptNotices(f)
    const [grant] = await f.tv.vault.grants.list()
    await ownerCall(f, 'POST', `/owner/grants/${grant?.id}/revoke`)
    await until(() => vendor.received.length === 1)
    const first = await verifySet(f, vendor.received[0]?.body as string, client.id)
    for (let i = 0; i < 100; i++) {
      if ((await f.tv.vault.signals.backlog()).get(client.id)?.lastError) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const status = (await (await ownerCall(f, 'GET', '/owner/vendors')).json()) as {
      vendors: { id: string; signals: { waiting: number; lastError?: string } }[]
    }
    expect(status.vendors.find((v) => v.id === client.id)?.signals).toMatchObject({
      waiting: 2, // the revocation and the notice of its receipt
      lastError: 'http_500',
    })
    // Not before its retry time (1 s after the first failure, on the app's clock) …
    await ownerCall(f, 'PUT', '/owner/fields/telephone', { value: '+44 20 7946 0001' })
    await new Promise((r) => setTimeout(r, 100))
    expect(vendor.received.length).toBe(1)
    // … then again, the same SET id, until the vendor accepts it.
    answer = 202
    f.advance(2)
    await ownerCall(f, 'PUT', '/owner/fields/telephone', { value: '+44 20 7946 0002' })
    await until(() => vendor.received.length >= 2)
    expect((await verifySet(f, vendor.received[1]?.body as string, client.id)).jti).toBe(first.jti)
  })

  it('survives a restart: what one app could not deliver, the next app on the same database delivers', async () => {
    const f = await oauthFixture()
    const client = await f.register({ custos_events_endpoint: 'http://127.0.0.1:9/unreachable' })
    await f.code(client)
    await collectReceiptNotices(f)
    const [grant] = await f.tv.vault.grants.list()
    await ownerCall(f, 'POST', `/owner/grants/${grant?.id}/revoke`)
    const failed = async () => (await f.tv.vault.signals.backlog()).get(client.id)
    for (let i = 0; i < 100 && (await failed())?.lastError === undefined; i++)
      await new Promise((r) => setTimeout(r, 20))
    expect(await failed()).toMatchObject({ pending: 2, lastError: 'unreachable' })

    // The first app is gone; a new one starts on the same vault and database.
    const arrived: string[] = []
    const stop = new AbortController()
    stops.push(stop)
    await createApp({
      vault: f.tv.vault,
      database: f.tv.handle,
      config: { issuer: ISSUER },
      now: f.now,
      signalDelivery: {
        intervalMs: 50,
        stop: stop.signal,
        fetch: async (_url, init) => {
          arrived.push(String(init?.body))
          return new Response(null, { status: 202 })
        },
      },
    })
    f.advance(2) // past the first retry's backoff
    const news = () => arrived.filter((set) => !isReceiptNotice(set))
    await until(() => news().length === 1)
    const payload = await verifySet(f, news()[0] as string, client.id)
    expect(Object.keys(payload.events)).toEqual([`${EVENTS}/grant-revoked`])
    for (let i = 0; i < 50 && (await failed()) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 20))
    expect(await failed()).toBeUndefined()
  })
})

describe('polled signals (RFC 8936)', () => {
  it('a vendor without an endpoint polls with its client credentials; acknowledged SETs are not sent again', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await f.code(client)
    await collectReceiptNotices(f)
    const [grant] = await f.tv.vault.grants.list()
    await ownerCall(f, 'POST', `/owner/grants/${grant?.id}/revoke`)
    const { headers } = await client.auth()
    const poll = (body: unknown) =>
      f.app.request('/oauth/events', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const first = (await (await poll({ maxEvents: 10 })).json()) as {
      sets: Record<string, string>
      moreAvailable: boolean
    }
    expect(first.moreAvailable).toBe(false)
    // The revocation, and the notice of its receipt.
    expect(Object.keys(first.sets)).toHaveLength(2)
    const [, set] = Object.entries(first.sets).find(([, s]) => !isReceiptNotice(s)) ?? []
    expect((await verifySet(f, set as string, client.id)).events).toEqual({
      [`${EVENTS}/grant-revoked`]: { grant_id: grant?.id },
    })
    const second = (await (await poll({ ack: Object.keys(first.sets) })).json()) as {
      sets: Record<string, string>
    }
    expect(second.sets).toEqual({})
    const anonymous = await f.app.request('/oauth/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(client.id, 'wrong') },
      body: '{}',
    })
    expect(anonymous.status).toBe(401)
    const bad = await poll({ maxEvents: 'lots' })
    expect(bad.status).toBe(400)
  })
})

describe('erasure requests', () => {
  it('the owner asks, the vendor hears it and answers with its own signed SET; the owner sees both', async () => {
    const f = await oauthFixture()
    const client = await f.registerKeyClient()
    await f.code(client)
    const asked = await ownerCall(f, 'POST', `/owner/vendors/${client.id}/erasure`)
    expect(asked.status).toBe(201)
    const { requestId } = (await asked.json()) as { requestId: string }
    const ack = (claims: Record<string, unknown>) =>
      client.sign(
        {
          sub: undefined,
          exp: undefined,
          events: { [`${EVENTS}/erasure-acknowledged`]: { request_id: requestId } },
          ...claims,
        },
        { typ: 'secevent+jwt' },
      )
    const send = async (jws: string) =>
      f.app.request('/oauth/events/acknowledgements', {
        method: 'POST',
        headers: { 'content-type': 'application/secevent+jwt' },
        body: jws,
      })
    const wrongAudience = await send(await ack({ aud: 'https://elsewhere.example' }))
    expect(await wrongAudience.json()).toMatchObject({ err: 'invalid_audience' })
    expect((await send(await ack({}))).status).toBe(202)
    const twice = await send(await ack({}))
    expect(twice.status).toBe(400)
    expect(await twice.json()).toMatchObject({ err: 'invalid_request' })
    const vendors = (await (await ownerCall(f, 'GET', '/owner/vendors')).json()) as {
      vendors: {
        id: string
        signals: { erasure?: { requestId: string; acknowledgedAt?: string } }
      }[]
    }
    expect(vendors.vendors.find((v) => v.id === client.id)?.signals.erasure).toMatchObject({
      requestId,
      acknowledgedAt: expect.any(String),
    })
  })

  it('a client without a registered key cannot sign an acknowledgement', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await ownerCall(f, 'POST', `/owner/vendors/${client.id}/erasure`)
    const res = await f.app.request('/oauth/events/acknowledgements', {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt' },
      body: `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ iss: client.id })).toString('base64url')}.x`,
    })
    expect(await res.json()).toMatchObject({ err: 'invalid_key' })
  })
})
