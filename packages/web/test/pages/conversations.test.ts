/**
 * Issue 13, the owner's Conversations pages: unread counts and "waiting for the vendor since",
 * starting a thread, a vendor's reply shown with who sent it and that its signature verifies,
 * replying, closing, the signed file — and a thread whose signature does not verify says so.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { SigningKeyStore, entrySigner, verifyThreadBundle } from '@custos/consent-api'
import { disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

async function world() {
  const p = await pageClient()
  const vendor = await p.vault.vendors.register({
    name: 'Fjord Outdoor',
    uri: 'https://fjord.example',
  })
  const grant = await p.vault.grants.create({
    vendorId: vendor.id,
    actions: ['converse'],
    purpose: 'Talk about orders',
    durationSeconds: 86_400,
  })
  const sign = entrySigner(await new SigningKeyStore(p.vault).signingKey())
  const asVendor = p.vault.conversations.asVendor({ vendorId: vendor.id, grantId: grant.id })
  return { p, vendor, sign, asVendor }
}

describe('/conversations', () => {
  it('starts a thread, shows the vendor reply as verified, counts unread, replies, closes, downloads', async () => {
    const { p, vendor, sign, asVendor } = await world()
    expect((await p.get('/conversations')).html).toContain('No conversations yet.')
    expect((await p.get('/')).html).toContain('href="/conversations"')

    const opened = await p.submit('/conversations', {
      vendor: vendor.id,
      topic: 'return',
      subject: 'Boots too small',
      order_number: 'FO-1042',
      text: 'May I return them?',
    })
    expect(opened.html).toContain('Conversation started.')
    expect(text(opened.html)).toContain('Waiting for Fjord Outdoor since')
    const [thread] = await p.vault.conversations.list()
    expect(thread?.subject).toBe('Boots too small')

    await asVendor.post(thread?.id as string, { text: 'Yes, send them back.' }, sign)
    const list = text((await p.get('/conversations')).html)
    expect(list).toContain('1 unread.')
    expect(list).toContain('1 new')
    expect(list).toContain('Waiting for you since')

    const view = await p.get(`/conversations/${thread?.id}`)
    const words = text(view.html)
    expect(words).toContain('Fjord Outdoor')
    expect(words).toContain('Yes, send them back.')
    expect(words).toContain(
      `sent by client ${vendor.id} · countersigned by your vault on receipt — signature verifies`,
    )
    expect(words).toContain('order #FO-1042')
    expect(text((await p.get('/conversations')).html)).toContain('Nothing unread.')

    const replied = await p.submit(`/conversations/${thread?.id}/reply`, {
      text: 'Thanks, on the way.',
    })
    expect(replied.html).toContain('Reply sent.')
    const tooLong = await p.submit(`/conversations/${thread?.id}/reply`, { text: 'x'.repeat(4001) })
    expect(tooLong.html).toContain('That message is too long')

    const download = await p.app.request(`/conversations/${thread?.id}/export`, {
      headers: { cookie: p.cookie },
    })
    expect(download.status).toBe(200)
    expect(await verifyThreadBundle(await download.json())).toMatchObject({ ok: true, messages: 3 })

    const closed = await p.submit(`/conversations/${thread?.id}/close`)
    expect(closed.html).toContain('Conversation closed')
    expect(closed.html).not.toContain('Send reply')
    expect((await p.vault.conversations.read(thread?.id as string)).messages).toBe(4)
  })

  it('refuses posts without the CSRF token, and says so when a signature does not verify', async () => {
    const { p, vendor, asVendor } = await world()
    const thread = await asVendor.open(
      { topic: 'question', subject: 'Sizes', message: { text: 'Which size?' } },
      // Not the vault's key: the page must not call this verified.
      (entry) =>
        `eyJhbGciOiJFZERTQSIsInR5cCI6ImN1c3Rvcy1tZXNzYWdlK2p3cyJ9.${Buffer.from(entry).toString('base64url')}.AAAA`,
    )
    const view = text((await p.get(`/conversations/${thread.id}`)).html)
    expect(view).toContain('This conversation does not verify')
    expect(view).toContain('signature check failed')
    expect(
      (await p.post(`/conversations/${thread.id}/reply`, { text: 'hi' }, { csrf: null })).status,
    ).toBe(403)
    expect((await p.vault.conversations.read(thread.id)).messages).toBe(1)
    void vendor
  })
})
