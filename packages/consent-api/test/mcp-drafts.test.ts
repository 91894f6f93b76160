/**
 * Issue 14 (P6), "The owner's assistant" proposes, never sends: `draft_intent` and `draft_message`
 * through the MCP SDK's client need the grant's `draft` action (shown on the consent page), keep a
 * sealed, MAC'd draft and log it as the assistant — and nothing is published, posted or signalled
 * until the owner sends it through `/owner/drafts/{id}/send` (or discards it).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_PENDING_DRAFTS } from '../src/mcp/draft-store.js'
import { ASSISTANT, connectAssistant, text } from './support/mcp-assistant.js'
import {
  type OAuthFixture,
  disposeFixtures,
  oauthFixture,
  ownerCall,
} from './support/oauth-fixture.js'
import { editRow, rowsOf } from './support/stored-rows.js'

afterEach(disposeFixtures)

const DRAFTING = { ...ASSISTANT, scope: 'read:prefs.sizes.* draft' }

/** A shop the owner can write to: a registered vendor with a `converse` grant. */
async function shop(f: OAuthFixture) {
  const client = await f.registerKeyClient()
  const { code, verifier } = await f.code(
    client,
    { scope: 'converse' },
    {
      choices: () => [
        ['converse', 'yes'],
        ['decision', 'approve'],
      ],
    },
  )
  expect((await f.exchange(client, code, verifier)).status).toBe(200)
  return client
}

interface DraftJson {
  id: string
  kind: string
  client_id: string
  text: string
}

async function drafts(f: OAuthFixture): Promise<DraftJson[]> {
  const res = await ownerCall(f, 'GET', '/owner/drafts')
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: DraftJson[] }).items
}

describe('drafts the assistant proposes', () => {
  it('shows the draft action on the consent page in plain words and grants it as the draft scope', async () => {
    const f = await oauthFixture()
    const client = await f.registerKeyClient()
    let html = ''
    const { code, verifier } = await f.code(
      client,
      { scope: 'draft' },
      {
        choices: (page) => {
          html = page
          return [
            ['draft', 'yes'],
            ['decision', 'approve'],
          ]
        },
      },
    )
    expect(html).toContain('May propose intents and messages for you to approve')
    expect(html).toContain('name="draft" value="yes"')
    const res = await f.exchange(client, code, verifier)
    expect(((await res.json()) as { scope: string }).scope).toBe('draft')
  })

  it('an intent draft is kept sealed and logged, publishes nothing until the owner sends it edited', async () => {
    const f = await oauthFixture()
    const { client, clientId } = await connectAssistant(f, DRAFTING)
    // What waits to be signalled before: the consent receipts of the grants just given.
    const signals = await f.tv.vault.signals.due()
    const proposed = await client.callTool({
      name: 'draft_intent',
      arguments: {
        category: 'shoes',
        text: 'Trail shoes, size 38, waterproof',
        requirements: { size: 'EU 38', budget: { amount: 120, currency: 'EUR' } },
        days_open: 14,
      },
    })
    expect(proposed.isError).toBeFalsy()
    const draftId = (proposed.structuredContent as { draft_id: string }).draft_id

    // Nothing left the vault: no intent, no signal, only the draft and its log entry.
    expect(await f.tv.vault.intents.list()).toEqual([])
    expect(await f.tv.vault.signals.due()).toEqual(signals)
    const logged = await f.tv.vault.audit.list({ vendorId: clientId, action: 'draft.proposed' })
    expect(logged.map((e) => e.actor)).toEqual([`vendor:${clientId}`])
    const [row] = await rowsOf(f.tv, 'assistant_drafts')
    expect(row?.id).toBe(draftId)
    expect(Buffer.from(row?.sealed ?? []).toString('latin1')).not.toContain('Trail shoes')

    const [listed] = await drafts(f)
    expect(listed).toMatchObject({ id: draftId, kind: 'intent', client_id: clientId })
    expect(listed?.text).toBe('Trail shoes, size 38, waterproof')

    const sent = await ownerCall(f, 'POST', `/owner/drafts/${draftId}/send`, {
      text: 'Trail shoes, size 38, waterproof, not black',
    })
    expect(sent.status).toBe(201)
    const [intent] = await f.tv.vault.intents.list()
    expect(intent).toMatchObject({
      category: 'shoes',
      text: 'Trail shoes, size 38, waterproof, not black',
      audience: 'all',
      disclose: [],
      state: 'open',
    })
    expect(intent?.requirements).toEqual({
      size: 'EU 38',
      budget: { amount: 120, currency: 'EUR' },
    })
    expect(await f.tv.vault.audit.list({ action: 'intent.created' })).toHaveLength(1)
    // Sent once: the draft is gone, and sending it again finds nothing.
    expect(await drafts(f)).toEqual([])
    expect((await ownerCall(f, 'POST', `/owner/drafts/${draftId}/send`)).status).toBe(404)
    await client.close()
  })

  it('message drafts (a new thread, a reply) post nothing and signal no vendor until sent', async () => {
    const f = await oauthFixture()
    const vendor = await shop(f)
    const { client } = await connectAssistant(f, DRAFTING)
    const signals = await f.tv.vault.signals.due()
    const fresh = await client.callTool({
      name: 'draft_message',
      arguments: {
        subject: 'Boots too small',
        vendor_hint: 'Fjord Outdoor',
        text: 'May I return them?',
      },
    })
    expect(fresh.isError).toBeFalsy()
    expect(await f.tv.vault.signals.due()).toEqual(signals)
    expect(await f.tv.vault.conversations.list()).toEqual([])
    const freshId = (fresh.structuredContent as { draft_id: string }).draft_id

    // A new thread needs the owner's choice of vendor: the hint is not enough.
    const noVendor = await ownerCall(f, 'POST', `/owner/drafts/${freshId}/send`, {})
    expect(noVendor.status).toBe(400)
    expect(noVendor.headers.get('content-type')).toContain('application/problem+json')
    expect(await f.tv.vault.conversations.list()).toEqual([])

    const opened = await ownerCall(f, 'POST', `/owner/drafts/${freshId}/send`, {
      vendorId: vendor.id,
      topic: 'return',
    })
    expect(opened.status).toBe(201)
    const threadId = ((await opened.json()) as { thread: { id: string } }).thread.id
    expect((await f.tv.vault.signals.due()).some((s) => s.kind === 'message.posted')).toBe(true)

    const reply = await client.callTool({
      name: 'draft_message',
      arguments: { thread_id: threadId, text: 'Any news?' },
    })
    expect(reply.isError).toBeFalsy()
    const before = await f.tv.vault.conversations.read(threadId)
    const replyId = (reply.structuredContent as { draft_id: string }).draft_id
    expect((await ownerCall(f, 'POST', `/owner/drafts/${replyId}/send`)).status).toBe(201)
    const after = await f.tv.vault.conversations.read(threadId)
    expect(after.messages).toBe(before.messages + 1)
    expect(after.items.at(-1)?.text).toBe('Any news?')
    await client.close()
  })

  it('without the draft action the tools are an error naming the missing scope, and nothing is kept', async () => {
    const f = await oauthFixture()
    const { client, clientId } = await connectAssistant(f)
    const res = await client.callTool({
      name: 'draft_intent',
      arguments: { category: 'shoes', text: 'Trail shoes', days_open: 7 },
    })
    expect(res.isError).toBe(true)
    expect(text(res)).toContain('Not granted: draft')
    const msg = await client.callTool({
      name: 'draft_message',
      arguments: { subject: 'Hello', text: 'Hi' },
    })
    expect(msg.isError).toBe(true)
    expect(await rowsOf(f.tv, 'assistant_drafts')).toEqual([])
    expect(await f.tv.vault.audit.list({ vendorId: clientId, action: 'draft.proposed' })).toEqual(
      [],
    )
    await client.close()
  })

  it('bounds the drafts waiting per assistant, discards on request, and reads an edited draft as absent', async () => {
    const f = await oauthFixture()
    const { client } = await connectAssistant(f, DRAFTING)
    const ids: string[] = []
    for (let i = 0; i < MAX_PENDING_DRAFTS; i++) {
      const res = await client.callTool({
        name: 'draft_message',
        arguments: { subject: `Question ${i}`, text: 'Hi' },
      })
      expect(res.isError).toBeFalsy()
      ids.push((res.structuredContent as { draft_id: string }).draft_id)
    }
    const over = await client.callTool({
      name: 'draft_message',
      arguments: { subject: 'One more', text: 'Hi' },
    })
    expect(over.isError).toBe(true)
    expect(text(over)).toContain('send or discard')
    expect(await drafts(f)).toHaveLength(MAX_PENDING_DRAFTS)

    expect((await ownerCall(f, 'DELETE', `/owner/drafts/${ids[0]}`)).status).toBe(204)
    expect((await ownerCall(f, 'DELETE', `/owner/drafts/${ids[0]}`)).status).toBe(404)
    expect(await drafts(f)).toHaveLength(MAX_PENDING_DRAFTS - 1)

    // An attacker with the database and no key moves a draft to another assistant: it reads as absent.
    await editRow(f.tv, 'assistant_drafts', ids[1] as string, { client_id: 'someone-else' })
    expect((await drafts(f)).map((d) => d.id)).not.toContain(ids[1])
    expect((await ownerCall(f, 'POST', `/owner/drafts/${ids[1]}/send`)).status).toBe(404)
    await client.close()
  })
})
