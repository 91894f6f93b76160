/**
 * Issue 13, Conversations through HTTP: the `converse` scope on the consent page, the owner's
 * routes, the vendor's `/v1/conversations` (only its own threads, only while its grant allows),
 * vendor messages signed with the client's registered key or countersigned by the vault, a forged
 * signature refused with nothing lost, and the exported bundle verifying offline.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { VENDOR_MESSAGE_TYP } from '../src/conversations/message-signature.js'
import { verifyThreadBundle } from '../src/conversations/thread-bundle.js'
import {
  type OAuthFixture,
  type TokenResponse,
  disposeFixtures,
  oauthFixture,
  ownerCall,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

const ISSUER = 'https://vault.example'

async function vendorWithConverse(f: OAuthFixture, onPage?: (html: string) => void) {
  const client = await f.registerKeyClient()
  const { code, verifier } = await f.code(
    client,
    { scope: 'converse' },
    {
      choices: (html) => {
        onPage?.(html)
        return [
          ['converse', 'yes'],
          ['decision', 'approve'],
        ]
      },
    },
  )
  const res = await f.exchange(client, code, verifier)
  expect(res.status).toBe(200)
  const tokens = (await res.json()) as TokenResponse
  const call = (method: string, path: string, json?: unknown) =>
    f.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    })
  return { client, tokens, call }
}

describe('conversations over HTTP', () => {
  it('consent page, owner thread, signed vendor reply, forged signature, unread, export verified offline', async () => {
    const f = await oauthFixture()
    let page = ''
    const shop = await vendorWithConverse(f, (html) => {
      page = html
    })
    expect(page).toContain('May write to you in Custos')
    expect(shop.tokens.scope).toBe('converse')

    const opened = await ownerCall(f, 'POST', '/owner/conversations', {
      vendorId: shop.client.id,
      topic: 'return',
      subject: 'Boots too small',
      message: { text: 'May I return them?', orderNumber: 'FO-1042' },
    })
    expect(opened.status).toBe(201)
    const thread = (await opened.json()) as { id: string; status: string }
    expect(thread.status).toBe('waiting_for_vendor')
    // The vendor hears of it (a SET of type message-posted when delivered).
    expect((await f.tv.vault.signals.due()).some((s) => s.kind === 'message.posted')).toBe(true)

    const list = await shop.call('GET', '/v1/conversations')
    expect(list.status).toBe(200)
    expect(((await list.json()) as { items: { id: string; unread: number }[] }).items).toEqual([
      expect.objectContaining({ id: thread.id, unread: 1 }),
    ])

    // A reply signed with the client's registered key.
    const jws = await shop.client.sign(
      { thread_id: thread.id, text: 'Yes, send them back.', status: 'waiting_for_you' },
      { typ: VENDOR_MESSAGE_TYP },
    )
    const signed = await shop.call('POST', `/v1/conversations/${thread.id}/messages`, { jws })
    expect(signed.status).toBe(201)
    expect(await signed.json()).toMatchObject({
      author: 'vendor',
      client_id: shop.client.id,
      text: 'Yes, send them back.',
      vendor_jws: jws,
    })

    // A signature of another thread, and one that does not verify: refused, nothing kept.
    const elsewhere = await shop.client.sign(
      { thread_id: 'thr_other', text: 'replayed' },
      { typ: VENDOR_MESSAGE_TYP },
    )
    const parts = jws.split('.')
    const forged = `${parts[0]}.${Buffer.from(
      JSON.stringify({ aud: ISSUER, thread_id: thread.id, text: 'I owe you nothing' }),
    ).toString('base64url')}.${parts[2]}`
    for (const bad of [elsewhere, forged]) {
      const res = await shop.call('POST', `/v1/conversations/${thread.id}/messages`, { jws: bad })
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    // A plain message: countersigned by the vault with the client recorded.
    const plain = await shop.call('POST', `/v1/conversations/${thread.id}/messages`, {
      text: 'Label attached.',
    })
    expect(plain.status).toBe(201)
    expect(await plain.json()).toMatchObject({ client_id: shop.client.id })
    expect(
      (
        await shop.call('POST', `/v1/conversations/${thread.id}/messages`, {
          text: 'x'.repeat(5000),
        })
      ).status,
    ).toBe(413)

    const owned = await ownerCall(f, 'GET', '/owner/conversations')
    expect(await owned.json()).toMatchObject({ unread: 2, items: [{ id: thread.id, unread: 2 }] })
    const read = await ownerCall(f, 'GET', `/owner/conversations/${thread.id}`)
    const body = (await read.json()) as {
      items: { text: string }[]
      verification: { ok: boolean; vendorSigned: number; messages: number }
    }
    expect(body.items.map((m) => m.text)).toEqual([
      'May I return them?',
      'Yes, send them back.',
      'Label attached.',
    ])
    expect(body.verification).toEqual({
      ok: true,
      threadId: thread.id,
      messages: 3,
      vendorSigned: 1,
    })
    expect(
      ((await (await ownerCall(f, 'GET', '/owner/conversations')).json()) as { unread: number })
        .unread,
    ).toBe(0)

    // The bundle verifies offline; an edited word does not.
    const exported = await ownerCall(f, 'GET', `/owner/conversations/${thread.id}/export`)
    expect(exported.status).toBe(200)
    const bundle = (await exported.json()) as { messages: { entry: string }[] }
    expect(await verifyThreadBundle(bundle)).toMatchObject({
      ok: true,
      messages: 3,
      vendorSigned: 1,
    })
    const edited = structuredClone(bundle)
    ;(edited.messages[0] as { entry: string }).entry = bundle.messages[0]?.entry.replace(
      'May I',
      'Must I',
    ) as string
    expect(await verifyThreadBundle(edited)).toMatchObject({ ok: false })
    const cut = { ...structuredClone(bundle), messages: bundle.messages.slice(1) }
    expect(await verifyThreadBundle(cut)).toMatchObject({ ok: false })

    // Closed: no one writes any more.
    expect((await ownerCall(f, 'POST', `/owner/conversations/${thread.id}/close`, {})).status).toBe(
      201,
    )
    const late = await shop.call('POST', `/v1/conversations/${thread.id}/messages`, { text: 'hi' })
    expect(late.status).toBe(409)
    expect(await late.json()).toMatchObject({ code: 'ERR_THREAD_CLOSED' })
  })

  it('another vendor never sees the thread; revoking ends the vendor’s access, never the owner’s copy', async () => {
    const f = await oauthFixture()
    const shop = await vendorWithConverse(f)
    const other = await vendorWithConverse(f)
    const opened = await shop.call('POST', '/v1/conversations', {
      topic: 'purchase',
      subject: 'Your order shipped',
      text: 'It left today.',
    })
    expect(opened.status).toBe(201)
    const thread = (await opened.json()) as { id: string; opened_by: string }
    expect(thread.opened_by).toBe('vendor')

    expect((await other.call('GET', `/v1/conversations/${thread.id}`)).status).toBe(404)
    expect(
      (await other.call('POST', `/v1/conversations/${thread.id}/messages`, { text: 'hello' }))
        .status,
    ).toBe(404)
    expect(await (await other.call('GET', '/v1/conversations')).json()).toEqual({ items: [] })

    // A grant without converse: insufficient_scope.
    const reader = await f.registerKeyClient()
    const { code, verifier } = await f.code(reader, { scope: 'read:email' })
    const token = ((await (await f.exchange(reader, code, verifier)).json()) as TokenResponse)
      .access_token
    const refused = await f.app.request('/v1/conversations', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toContain('insufficient_scope')

    const grantId = (await f.tv.vault.grants.list({ vendorId: shop.client.id }))[0]?.id as string
    expect((await ownerCall(f, 'POST', `/owner/grants/${grantId}/revoke`)).status).toBeLessThan(300)
    const gone = await shop.call('GET', `/v1/conversations/${thread.id}`)
    expect(gone.status).toBe(401)
    const kept = await ownerCall(f, 'GET', `/owner/conversations/${thread.id}`)
    expect(kept.status).toBe(200)
    expect(((await kept.json()) as { items: { text: string }[] }).items[0]?.text).toBe(
      'It left today.',
    )
    // Bad input at the owner's door: an unknown thread, an unknown topic.
    expect((await ownerCall(f, 'GET', '/owner/conversations/thr_nope')).status).toBe(404)
    const badTopic = await ownerCall(f, 'POST', '/owner/conversations', {
      vendorId: shop.client.id,
      topic: 'gossip',
      subject: 'x',
      message: { text: 'hi' },
    })
    expect(badTopic.status).toBe(400)
  })
})
