/**
 * Issue 14, "Drafts from your assistant" on the Intents and Conversations pages: what an assistant
 * proposed is shown with Send (after editing the words) and Discard; nothing is published or
 * posted until the owner sends it, and a new conversation needs her choice of vendor.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Kysely } from 'kysely'
import { DraftStore } from '@custos/consent-api'
import { disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

/** The drafts an assistant of the owner's keeps, written as the MCP tools write them. */
async function withAssistant() {
  const p = await pageClient()
  const assistant = await p.vault.vendors.register({ name: 'Ada’s assistant' })
  const shop = await p.vault.vendors.register({ name: 'Fjord Outdoor' })
  const drafts = new DraftStore({
    vault: p.vault,
    db: p.tv.handle.db as unknown as Kysely<never>,
    config: { issuer: 'http://127.0.0.1' },
    now: () => new Date(),
  } as unknown as ConstructorParameters<typeof DraftStore>[0])
  return { p, assistant, shop, drafts }
}

describe('drafts from the assistant', () => {
  it('shows an intent draft on the Intents page; sending it edited publishes it, and only then', async () => {
    const { p, assistant, drafts } = await withAssistant()
    const draft = await drafts.add(assistant.id, {
      kind: 'intent',
      category: 'Outdoor',
      text: 'A rain jacket for hiking',
      requirements: { size: 'M' },
      days_open: 7,
    })
    const shown = await p.get('/intents')
    expect(text(shown.html)).toContain('Drafts from your assistant')
    expect(text(shown.html)).toContain('From Ada’s assistant')
    expect(shown.html).toContain(`action="/drafts/${draft.id}/send"`)
    expect(await p.vault.intents.list()).toEqual([])

    const sent = await p.submit(`/drafts/${draft.id}/send`, {
      category: 'Outdoor',
      text: 'A light rain jacket for hiking',
    })
    expect(text(sent.html)).toContain('Draft sent')
    const [intent] = await p.vault.intents.list()
    expect(intent).toMatchObject({
      category: 'Outdoor',
      text: 'A light rain jacket for hiking',
      requirements: { size: 'M' },
      audience: 'all',
      disclose: [],
    })
    expect(text(sent.html)).not.toContain('Drafts from your assistant')
  })

  it('a new-conversation draft needs a vendor; discarding a reply draft posts nothing', async () => {
    const { p, assistant, shop, drafts } = await withAssistant()
    const fresh = await drafts.add(assistant.id, {
      kind: 'message',
      subject: 'Boots too small',
      vendor_hint: 'Fjord',
      text: 'May I return them?',
    })
    const page = await p.get('/conversations')
    expect(text(page.html)).toContain('A new conversation: Boots too small (for Fjord)')

    const noVendor = await p.post(`/drafts/${fresh.id}/send`, { text: 'May I return them?' })
    expect(noVendor.location).toBe('/conversations?error=draft_invalid')
    expect(await p.vault.conversations.list()).toEqual([])

    const sent = await p.submit(`/drafts/${fresh.id}/send`, {
      text: 'May I return them, please?',
      vendor: shop.id,
    })
    expect(text(sent.html)).toContain('Draft sent')
    const [thread] = await p.vault.conversations.list()
    expect(thread).toMatchObject({ vendorId: shop.id, subject: 'Boots too small' })

    const reply = await drafts.add(assistant.id, {
      kind: 'message',
      thread_id: thread?.id as string,
      text: 'Any news?',
    })
    const discarded = await p.submit(`/drafts/${reply.id}/discard`)
    expect(text(discarded.html)).toContain('Draft discarded')
    expect((await p.vault.conversations.read(thread?.id as string)).messages).toBe(1)
    expect(await drafts.list()).toEqual([])
    const gone = await p.post(`/drafts/${reply.id}/send`, { text: 'Any news?' })
    expect(gone.location).toBe('/intents?error=draft_gone')
  })
})
