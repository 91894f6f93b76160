/**
 * Issue 12, part 6: Fjord Outdoor, the reference vendor (examples/vendor-shop), against a real
 * consent API. The shop listens on a loopback port, so the vault's signal loop really pushes its
 * SETs there (RFC 8935); the shop reaches the vault through the app's own handler. The customer's
 * browser is played with fetch: the connect form, the real consent page, the callback.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import { type Shop, createShopApp } from '../examples/vendor-shop/shop-app.js'
import { checkedBoxes, disposeFixtures, oauthFixture, ownerCall } from './support/oauth-fixture.js'

const SHIPPING = {
  streetAddress: 'Strandgata 5',
  addressLocality: 'Bergen',
  postalCode: '5013',
  addressCountry: 'NO',
}
const DPV = 'https://w3id.org/dpv#'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await disposeFixtures()
})

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check()) && Date.now() < end) await new Promise((r) => setTimeout(r, 25))
  expect(await check()).toBe(true)
}

/** A vault that pushes signals, its owner proffering SD-BASE, and the shop on a loopback port. */
async function world() {
  const stop = new AbortController()
  cleanups.push(() => stop.abort())
  /** Every SET the vault pushed, as sent (to replay one). */
  const pushed: string[] = []
  const f = await oauthFixture(
    {},
    {
      signalDelivery: {
        intervalMs: 50,
        stop: stop.signal,
        fetch: async (input, init) => {
          pushed.push(String(init?.body))
          return fetch(input, init)
        },
      },
    },
  )
  await f.tv.vault.fields.setMany({ 'address.shipping': SHIPPING })
  expect((await ownerCall(f, 'PUT', '/owner/terms', { proffered: ['SD-BASE'] })).status).toBe(200)

  /** Requests the shop makes to the vault, by path (to count its reads). */
  const vaultCalls: string[] = []
  let shop: Shop | undefined
  const server = serve({
    fetch: (req) => (shop ? shop.app.fetch(req) : new Response('starting', { status: 503 })),
    hostname: '127.0.0.1',
    port: 0,
  }) as Server
  if (!server.listening) await new Promise((r) => server.once('listening', r))
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  )
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  shop = createShopApp({
    baseUrl: base,
    fetch: async (input, init) => {
      const req = new Request(input, init)
      vaultCalls.push(new URL(req.url).pathname)
      return f.app.fetch(req)
    },
  })
  const s = shop

  /** The customer's browser at the shop: one cookie, redirects by hand. */
  let cookie = ''
  async function browse(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(new URL(path, base), {
      ...init,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) },
    })
    const set = res.headers.get('set-cookie')
    if (set) cookie = set.split(';')[0] as string
    return res
  }
  const customerId = () => cookie.split('=')[1] as string

  /** Connect → the real consent page (approve all) → callback. Returns the consent page's HTML. */
  async function connect(): Promise<string> {
    await browse('/')
    const asked = await browse('/connect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ custos: 'https://vault.example' }).toString(),
    })
    expect(asked.status).toBe(303)
    const authorize = new URL(asked.headers.get('location') as string)
    expect(authorize.origin + authorize.pathname).toBe('https://vault.example/oauth/authorize')
    let page = ''
    const back = await f.consent(Object.fromEntries(authorize.searchParams), (html) => {
      page = html
      return [...checkedBoxes(html), ['decision', 'approve']]
    })
    expect(back.origin).toBe(base)
    const returned = await browse(back.pathname + back.search)
    expect(returned.status).toBe(303)
    expect(returned.headers.get('location')).toBe('/account')
    return page
  }

  return { f, shop: s.shop, base, browse, connect, customerId, pushed, vaultCalls }
}

describe('Fjord Outdoor, the reference vendor', () => {
  it('connects: its customer record is exactly the granted fields, with the purposes, receipt, consent record and agreement', async () => {
    const w = await world()
    const consent = await w.connect()
    // The consent page showed the DPV purposes and the agreement the shop accepted.
    expect(consent).toContain('Fjord Outdoor')
    expect(consent).toContain('Service delivery only')
    expect(consent).toContain('Fjord Outdoor accepted them.')

    const record = w.shop.store.customer(w.customerId())
    expect(record?.status).toBe('connected')
    expect(record?.fields).toEqual({
      'name.given': 'Ada',
      email: 'ada@example.org',
      'address.shipping': SHIPPING,
    })
    expect(record?.grant?.purposes).toEqual([
      `${DPV}CustomerOrderManagement`,
      `${DPV}DeliveryOfGoods`,
    ])
    expect(record?.grant?.receipt.split('.')).toHaveLength(3)
    expect(record?.grant?.consentRecord.split('.')).toHaveLength(3)
    expect(record?.agreements.map((a) => [a.agreement, a.status])).toEqual([
      ['SD-BASE', 'accepted'],
    ])

    const page = await (await w.browse('/account')).text()
    for (const text of ['Ada', 'ada@example.org', 'Strandgata 5', 'SD-BASE', 'DeliveryOfGoods'])
      expect(page).toContain(text)
    expect(page).not.toContain('+44 20 7946 0000') // the telephone was never asked for
    expect(page).toContain('Send my order receipt to my vault')
  })

  it('a field changed in the vault reaches the shop as a pushed SET, and it re-reads its copy; a repeated SET is not acted on twice', async () => {
    const w = await world()
    await w.connect()
    expect(
      (await ownerCall(w.f, 'PUT', '/owner/fields/email', { value: 'ada@fjord-mail.example' }))
        .status,
    ).toBe(200)
    await until(
      () => w.shop.store.customer(w.customerId())?.fields.email === 'ada@fjord-mail.example',
    )
    expect(w.pushed.some((set) => set.includes('.'))).toBe(true)

    // At-least-once delivery: the same SET again is answered 202 and not acted on again.
    const reads = w.vaultCalls.filter((p) => p === '/v1/profile').length
    const again = await fetch(`${w.base}/custos/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt' },
      body: w.pushed.at(-1) as string,
    })
    expect(again.status).toBe(202)
    expect(w.vaultCalls.filter((p) => p === '/v1/profile').length).toBe(reads)
  })

  it('holds a conversation: the customer writes in her vault, the shop hears it, answers, and both keep the thread', async () => {
    const w = await world()
    await w.connect()
    const record = () => w.shop.store.customer(w.customerId())
    const vendorId = record()?.clientId as string
    const opened = await ownerCall(w.f, 'POST', '/owner/conversations', {
      vendorId,
      topic: 'question',
      subject: 'Do the Fjord boots run small?',
      message: { text: 'I take EU 38 in most brands.' },
    })
    expect(opened.status).toBe(201)
    const { id } = (await opened.json()) as { id: string }
    await until(() => (record()?.conversations[0]?.messages.length ?? 0) === 2)
    expect(record()?.conversations[0]).toMatchObject({
      threadId: id,
      subject: 'Do the Fjord boots run small?',
      status: 'waiting_for_you',
    })
    expect(record()?.conversations[0]?.messages.map((m) => m.author)).toEqual(['owner', 'vendor'])
    // The owner's record is the one that counts: the answer is in it, countersigned for the shop.
    const thread = (await (await ownerCall(w.f, 'GET', `/owner/conversations/${id}`)).json()) as {
      items: { author: string; client_id?: string; text: string }[]
    }
    expect(thread.items.map((m) => [m.author, m.client_id])).toEqual([
      ['owner', undefined],
      ['vendor', vendorId],
    ])
    expect(thread.items[1]?.text).toContain('Fjord Outdoor has your message')
    expect(await (await w.browse('/account')).text()).toContain('I take EU 38 in most brands.')
  })

  it('refuses what is not a verified SET with 400 and RFC 8935 errors', async () => {
    const w = await world()
    await w.connect()
    const post = (body: string, type = 'application/secevent+jwt') =>
      fetch(`${w.base}/custos/events`, { method: 'POST', headers: { 'content-type': type }, body })
    const wrongType = await post('x', 'application/json')
    expect(wrongType.status).toBe(400)
    expect(await wrongType.json()).toMatchObject({ err: 'invalid_request' })
    expect(await (await post('not a jwt')).json()).toMatchObject({ err: 'invalid_request' })
    const stranger = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ iss: 'https://evil.example' })).toString('base64url')}.x`
    expect(await (await post(stranger)).json()).toMatchObject({ err: 'invalid_issuer' })
    // The vault's issuer, but signed by no key of the vault.
    const forged = `eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUifQ.${Buffer.from(JSON.stringify({ iss: 'https://vault.example' })).toString('base64url')}.AAAA`
    const res = await post(forged)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ err: 'invalid_key' })
    // Nothing was lost by the refusals.
    expect(w.shop.store.customer(w.customerId())?.fields.email).toBe('ada@example.org')
  })

  it('sends an order receipt into the vault inbox', async () => {
    const w = await world()
    await w.connect()
    const sent = await w.browse('/account/receipts', { method: 'POST' })
    expect(sent.status).toBe(303)
    const [receipt] = w.shop.store.customer(w.customerId())?.receiptsSent ?? []
    expect(receipt?.orderNumber).toMatch(/^F-/)
    const inbox = JSON.stringify(await w.f.tv.vault.inbox.list())
    expect(inbox).toContain(receipt?.orderNumber)
    expect(await (await w.browse('/account?sent=1')).text()).toContain(receipt?.orderNumber)
  })

  it('an erasure request empties the shop, and the owner sees it acknowledged', async () => {
    const w = await world()
    await w.connect()
    const clientId = w.shop.store.customer(w.customerId())?.clientId as string
    const asked = await ownerCall(w.f, 'POST', `/owner/vendors/${clientId}/erasure`)
    expect(asked.status).toBe(201)
    await until(() => w.shop.store.customer(w.customerId()) === undefined)
    type Vendors = { vendors: { id: string; signals: { erasure?: { acknowledgedAt?: string } } }[] }
    await until(async () => {
      const list = (await (await ownerCall(w.f, 'GET', '/owner/vendors')).json()) as Vendors
      return (
        typeof list.vendors.find((v) => v.id === clientId)?.signals.erasure?.acknowledgedAt ===
        'string'
      )
    })
    expect(await (await w.browse('/account')).text()).toContain('holds nothing about you')
  })

  it('a revocation deletes the copy', async () => {
    const w = await world()
    await w.connect()
    const grantId = w.shop.store.customer(w.customerId())?.grant?.grantId as string
    expect((await ownerCall(w.f, 'POST', `/owner/grants/${grantId}/revoke`)).status).toBeLessThan(
      300,
    )
    await until(() => w.shop.store.customer(w.customerId())?.status === 'revoked')
    expect(w.shop.store.customer(w.customerId())?.fields).toEqual({})
    // The signed history stays with the shop as evidence: consent given, then withdrawn.
    await until(
      () => w.shop.store.customer(w.customerId())?.consentReceipts.at(-1)?.event === 'withdrawn',
    )
    expect(w.shop.store.customer(w.customerId())?.consentReceipts.map((r) => r.id)).toEqual([
      `${grantId}.1`,
      `${grantId}.1.revoked`,
    ])
    expect(w.shop.store.customer(w.customerId())?.tokens).toBeUndefined()
    const page = await (await w.browse('/account')).text()
    expect(page).not.toContain('ada@example.org')
    expect(page).toContain(`${grantId}.1.revoked`)
  })

  it('answers bad input to its routes with a clear 4xx', async () => {
    const w = await world()
    const notUrl = await w.browse('/connect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'custos=not%20a%20url',
    })
    expect(notUrl.status).toBe(400)
    expect((await w.browse('/custos/callback?code=x&state=forged')).status).toBe(400)
    expect((await w.browse('/account/receipts', { method: 'POST' })).status).toBe(409)
    expect((await w.browse('/nope')).status).toBe(404)
  })

  it('answers an intent its catalogue fits with an offer, hears how it ended, writes in the thread her acceptance opened and asks for the disclosed fields', async () => {
    const w = await world()
    const consent = await w.connect()
    expect(consent).toContain('May see requests you publish and send you offers')
    const publish = async (category: string, text: string) => {
      const res = await ownerCall(w.f, 'POST', '/owner/intents', {
        category,
        text,
        openUntil: new Date(w.f.now().getTime() + 7 * 86400_000).toISOString(),
        audience: 'all',
        disclose: ['email', 'telephone'],
      })
      expect(res.status).toBe(201)
      return ((await res.json()) as { id: string }).id
    }
    const jacket = await publish('Outdoor', 'A rain jacket for hiking, size M')
    const boots = await publish('Shoes', 'Winter boots')
    await publish('Garden', 'Two folding chairs')

    // The shop's rule: one offer per intent its catalogue fits, none twice, none for the chairs.
    const made = await w.shop.answerAllIntents()
    expect(made.map((o) => o.category).sort()).toEqual(['Outdoor', 'Shoes'])
    expect(await w.shop.answerAllIntents()).toEqual([])
    const offersOn = async (id: string) =>
      (
        (await (await ownerCall(w.f, 'GET', `/owner/intents/${id}`)).json()) as {
          offers: { id: string; price: { amount: number } }[]
        }
      ).offers
    const [onJacket] = await offersOn(jacket)
    const [onBoots] = await offersOn(boots)
    expect(onJacket?.price.amount).toBe(179)

    // Declined: the shop is told by its signal.
    const record = () => w.shop.store.customer(w.customerId())
    const offer = (id: string | undefined) => record()?.offers.find((o) => o.offerId === id)
    expect(
      (await ownerCall(w.f, 'POST', `/owner/intents/${boots}/offers/${onBoots?.id}/decline`))
        .status,
    ).toBe(204)
    await until(() => offer(onBoots?.id)?.state === 'declined')

    // Accepted: the shop writes in the thread her vault opened, and asks for what it lacks.
    const accepted = await ownerCall(
      w.f,
      'POST',
      `/owner/intents/${jacket}/offers/${onJacket?.id}/accept`,
    )
    const { threadId } = (await accepted.json()) as { threadId: string }
    await until(() => offer(onJacket?.id)?.threadId === threadId)
    expect(offer(onJacket?.id)?.state).toBe('accepted')
    expect(record()?.fieldsToApprove).toEqual(['telephone'])
    const thread = (await (
      await ownerCall(w.f, 'GET', `/owner/conversations/${threadId}`)
    ).json()) as { items: { author: string; text: string }[] }
    expect(thread.items.map((m) => m.author)).toEqual(['owner', 'vendor'])
    expect(thread.items[1]?.text).toContain('Thank you for choosing Fjord Outdoor')
    expect(thread.items[1]?.text).toContain('we need telephone')

    // The account page asks; the ordinary consent page grants it.
    const page = await (await w.browse('/account')).text()
    expect(page).toContain('Approve them in my Custos')
    const asked = await w.browse('/account/intent-fields', { method: 'POST' })
    expect(asked.status).toBe(303)
    const authorize = new URL(asked.headers.get('location') as string)
    let consentPage = ''
    const back = await w.f.consent(Object.fromEntries(authorize.searchParams), (html) => {
      consentPage = html
      return [...checkedBoxes(html), ['decision', 'approve']]
    })
    expect(consentPage).toContain('Telephone')
    expect((await w.browse(back.pathname + back.search)).status).toBe(303)
    expect(record()?.fields.telephone).toBe('+44 20 7946 0000')
    expect(record()?.fieldsToApprove).toEqual([])
    expect(record()?.offers).toHaveLength(2)
  })
})
