/**
 * Issue 13, intents through HTTP: the `intents` scope on the normal consent page, the vendor
 * routes under /v1/intents (bearer checks, per-vendor ids, signed offers — the vendor's own JWS
 * or the vault's countersignature), the owner's routes (publish, compare, accept, decline) and
 * the refusals: another vendor's id, a forged signature, an offer after the intent closed.
 */
import { type JSONWebKeySet, createLocalJWKSet, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Client,
  ISSUER,
  disposeFixtures,
  oauthFixture,
  ownerCall,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

type F = Awaited<ReturnType<typeof oauthFixture>>

async function tokenFor(f: F, client: Client, scope: string, seen?: (html: string) => void) {
  const { code, verifier } = await f.code(
    client,
    { scope },
    seen
      ? {
          choices: (html) => {
            seen(html)
            return [
              ...[
                ...html.matchAll(/<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>/g),
              ].map((m) => [m[1] as string, m[2] as string] as [string, string]),
              ['decision', 'approve'],
            ]
          },
        }
      : {},
  )
  const res = await f.exchange(client, code, verifier)
  expect(res.status).toBe(200)
  return (await res.json()) as { access_token: string; scope: string }
}

const OFFER = {
  price: { amount: 180, currency: 'EUR' },
  included: 'Jacket, shipping, 2-year warranty',
  validUntil: '2099-01-01T00:00:00Z',
  terms: { url: 'https://fjord.example/terms' },
}

function call(f: F, token: string, method: string, path: string, json?: unknown) {
  return f.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  })
}

describe('intents through HTTP', () => {
  it('publishes an intent, takes signed offers from two vendors, accepts one and declines the other', async () => {
    const f = await oauthFixture()
    const shop = await f.register()
    const keyed = await f.registerKeyClient()
    let page = ''
    const a = await tokenFor(f, shop, 'intents', (html) => {
      page = html
    })
    expect(page).toContain('May see requests you publish and send you offers')
    expect(a.scope).toBe('intents')
    const b = await tokenFor(f, keyed, 'intents')

    const created = await ownerCall(f, 'POST', '/owner/intents', {
      category: 'Outdoor',
      text: 'A rain jacket for hiking',
      requirements: { size: 'M', budget: { amount: 200, currency: 'EUR' } },
      openUntil: new Date(f.now().getTime() + 7 * 86400_000).toISOString(),
      audience: 'all',
      disclose: ['email'],
    })
    expect(created.status).toBe(201)
    const intent = (await created.json()) as { id: string }

    const listA = (await (await call(f, a.access_token, 'GET', '/v1/intents')).json()) as {
      items: { id: string; text: string }[]
    }
    const listB = (await (await call(f, b.access_token, 'GET', '/v1/intents')).json()) as {
      items: { id: string }[]
    }
    const idA = listA.items[0]?.id as string
    const idB = listB.items[0]?.id as string
    expect(listA.items[0]?.text).toBe('A rain jacket for hiking')
    expect(idA).not.toBe(idB)
    expect(idA).not.toBe(intent.id)
    // Another vendor's id for the same intent names nothing: 404, not a dead token.
    const foreign = await call(f, a.access_token, 'GET', `/v1/intents/${idB}`)
    expect(foreign.status).toBe(404)
    expect(((await foreign.json()) as { code: string }).code).toBe('ERR_NOT_FOUND')

    // The plain client: the vault countersigns, naming the client.
    const offeredA = await call(f, a.access_token, 'POST', `/v1/intents/${idA}/offers`, OFFER)
    expect(offeredA.status).toBe(201)
    const offerA = (await offeredA.json()) as {
      id: string
      signature: { jws: string; signedBy: string }
    }
    expect(offerA.signature.signedBy).toBe('vault')
    const jwks = createLocalJWKSet(
      (await (await f.app.request('/.well-known/jwks.json')).json()) as JSONWebKeySet,
    )
    const { payload, protectedHeader } = await jwtVerify(offerA.signature.jws, jwks, {
      issuer: ISSUER,
    })
    expect(protectedHeader.typ).toBe('offer+jwt')
    expect(payload).toMatchObject({ sub: shop.id, client_id: shop.id, intent: idA, offer: OFFER })

    // The key client signs its own; a signature over another offer is refused.
    const sign = (offer: unknown) => keyed.sign({ intent: idB, offer, jti: crypto.randomUUID() })
    const forged = await call(f, b.access_token, 'POST', `/v1/intents/${idB}/offers`, {
      ...OFFER,
      price: { amount: 150, currency: 'EUR' },
      signature: await sign(OFFER),
    })
    expect(forged.status).toBe(400)
    const cheaper = { ...OFFER, price: { amount: 150, currency: 'EUR' } }
    const offeredB = await call(f, b.access_token, 'POST', `/v1/intents/${idB}/offers`, {
      ...cheaper,
      signature: await sign(cheaper),
    })
    expect(offeredB.status).toBe(201)
    const offerB = (await offeredB.json()) as { id: string; signature: { signedBy: string } }
    expect(offerB.signature.signedBy).toBe('vendor')

    // Side by side, cheapest first.
    const view = (await (await ownerCall(f, 'GET', `/owner/intents/${intent.id}`)).json()) as {
      offers: { id: string }[]
    }
    expect(view.offers.map((o) => o.id)).toEqual([offerB.id, offerA.id])

    const accepted = await ownerCall(
      f,
      'POST',
      `/owner/intents/${intent.id}/offers/${offerA.id}/accept`,
    )
    expect(accepted.status).toBe(200)
    const acceptance = (await accepted.json()) as { threadId: string }
    expect(acceptance).toMatchObject({
      intentId: intent.id,
      offerId: offerA.id,
      vendorId: shop.id,
      threadId: expect.stringMatching(/^thr_/),
      disclose: ['email'],
      declined: [offerB.id],
    })
    // The acceptance opened a thread with that vendor about the order, signed by the vault.
    const owned = (await (await ownerCall(f, 'GET', '/owner/conversations')).json()) as {
      items: { id: string; vendor_id: string; subject: string }[]
    }
    expect(owned.items).toEqual([
      expect.objectContaining({
        id: acceptance.threadId,
        vendor_id: shop.id,
        subject: 'Your offer on Outdoor',
      }),
    ])
    const thread = (await (
      await ownerCall(f, 'GET', `/owner/conversations/${acceptance.threadId}`)
    ).json()) as { items: { order_number: string }[]; verification: { ok: boolean } }
    expect(thread.items[0]?.order_number).toBe(offerA.id)
    expect(thread.verification.ok).toBe(true)
    // The vendor's `intents` grant does not open the thread to it; one with `converse` does.
    expect((await call(f, a.access_token, 'GET', '/v1/conversations')).status).toBe(403)
    const talk = await tokenFor(f, shop, 'converse read:email')
    const theirs = await call(
      f,
      talk.access_token,
      'GET',
      `/v1/conversations/${acceptance.threadId}`,
    )
    expect(theirs.status).toBe(200)
    const posted = await call(
      f,
      talk.access_token,
      'POST',
      `/v1/conversations/${acceptance.threadId}/messages`,
      { text: 'Thank you, it ships Monday.' },
    )
    expect(posted.status).toBe(201)
    // The declined vendor has no thread.
    const other = await tokenFor(f, keyed, 'converse')
    expect(await (await call(f, other.access_token, 'GET', '/v1/conversations')).json()).toEqual({
      items: [],
    })

    // Closed: a clear 409, and nothing changes.
    const late = await call(f, b.access_token, 'POST', `/v1/intents/${idB}/offers`, OFFER)
    expect(late.status).toBe(409)
    expect(((await late.json()) as { code: string }).code).toBe('ERR_INTENT_CLOSED')
    const withdraw = await call(
      f,
      b.access_token,
      'DELETE',
      `/v1/intents/${idB}/offers/${offerB.id}`,
    )
    expect(withdraw.status).toBe(409)
    // The accepted vendor still reads the intent it won: which fields to ask for, how its offer ended.
    const won = await call(f, a.access_token, 'GET', `/v1/intents/${idA}`)
    expect(won.status).toBe(200)
    expect(await won.json()).toMatchObject({
      state: 'closed',
      disclose: ['email'],
      offers: [{ id: offerA.id, state: 'accepted' }],
    })
    const after = (await (await ownerCall(f, 'GET', `/owner/intents/${intent.id}`)).json()) as {
      intent: { state: string }
      offers: { id: string; state: string }[]
    }
    expect(after.intent.state).toBe('fulfilled')
    expect(Object.fromEntries(after.offers.map((o) => [o.id, o.state]))).toEqual({
      [offerA.id]: 'accepted',
      [offerB.id]: 'declined',
    })
  })

  it('refuses a vendor without `intents` (403 insufficient_scope) and bad input (400), and lets a vendor withdraw while open', async () => {
    const f = await oauthFixture()
    const reader = await f.register()
    const shop = await f.register()
    const r = await tokenFor(f, reader, 'read:email')
    const s = await tokenFor(f, shop, 'intents')
    const refused = await call(f, r.access_token, 'GET', '/v1/intents')
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toMatch(/insufficient_scope/)
    expect(refused.headers.get('www-authenticate')).toMatch(/scope="intents"/)

    const bad = await ownerCall(f, 'POST', '/owner/intents', { category: 'X', text: 'Y' })
    expect(bad.status).toBe(400)
    const created = await ownerCall(f, 'POST', '/owner/intents', {
      category: 'Shoes',
      text: 'Trail shoes',
      openUntil: new Date(f.now().getTime() + 86400_000).toISOString(),
      audience: 'all',
    })
    const intent = (await created.json()) as { id: string }
    const [seen] = (
      (await (await call(f, s.access_token, 'GET', '/v1/intents')).json()) as {
        items: { id: string }[]
      }
    ).items
    const id = seen?.id as string
    const invalid = await call(f, s.access_token, 'POST', `/v1/intents/${id}/offers`, {
      ...OFFER,
      price: { amount: -1, currency: 'EUR' },
    })
    expect(invalid.status).toBe(400)
    const made = (await (
      await call(f, s.access_token, 'POST', `/v1/intents/${id}/offers`, OFFER)
    ).json()) as { id: string }
    const withdrawn = await call(f, s.access_token, 'DELETE', `/v1/intents/${id}/offers/${made.id}`)
    expect(withdrawn.status).toBe(204)
    const view = (await (await ownerCall(f, 'GET', `/owner/intents/${intent.id}`)).json()) as {
      offers: { state: string }[]
    }
    expect(view.offers.map((o) => o.state)).toEqual(['withdrawn'])
    // Declining a withdrawn offer is a conflict, not a crash.
    const decline = await ownerCall(
      f,
      'POST',
      `/owner/intents/${intent.id}/offers/${made.id}/decline`,
    )
    expect(decline.status).toBe(409)
    expect((await ownerCall(f, 'POST', `/owner/intents/${intent.id}/close`)).status).toBe(204)
  })
})
