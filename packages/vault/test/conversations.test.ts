/**
 * Issue 13, Conversations (the vault's side): threads between the owner and one vendor, sealed,
 * hash-chained, signed through the caller's signer, logged, allowed to a vendor only through a
 * live `converse` grant — and the owner's copy outlives the grant.
 */
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type EntrySigner,
  MAX_MESSAGE_CHARS,
  MAX_VENDOR_OPEN_THREADS,
  entryHashHex,
  verifyChain,
} from '../src/index.js'
import { type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

/** A stand-in for the consent API's signer: a JWS-shaped string whose payload is the entry. */
const sign: EntrySigner = (entry) =>
  `eyJhbGciOiJFZERTQSJ9.${Buffer.from(entry).toString('base64url')}.c2lnbmF0dXJl`

async function world() {
  let t = Date.parse('2026-06-01T10:00:00Z')
  tv = await createTestVault({ now: () => new Date(t) })
  const vault = tv.vault
  const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
  const books = await vault.vendors.register({ name: 'Book Nook' })
  const grant = await vault.grants.create({
    vendorId: shop.id,
    actions: ['converse'],
    purpose: 'Talk about orders',
    durationSeconds: 3600,
  })
  const booksGrant = await vault.grants.create({
    vendorId: books.id,
    actions: ['converse'],
    purpose: 'Talk',
    durationSeconds: 3600,
  })
  await vault.signals.delivered((await vault.signals.due()).map((s) => s.id))
  return {
    tv,
    vault,
    shop,
    books,
    grant,
    booksGrant,
    advance: (seconds: number) => {
      t += seconds * 1000
    },
  }
}

describe('conversations', () => {
  it('the owner opens a thread, the vendor answers through its grant, the chain verifies and unread counts follow', async () => {
    const { vault, shop, grant, advance } = await world()
    const thread = await vault.conversations.open(
      {
        vendorId: shop.id,
        topic: 'return',
        subject: 'Boots too small',
        message: { text: 'May I return them?', orderNumber: 'FO-1042', requestedAction: 'refund' },
      },
      sign,
    )
    expect(thread.status).toBe('waiting_for_vendor')
    expect(thread.items[0]?.orderNumber).toBe('FO-1042')
    // The vendor hears of it.
    const signals = await vault.signals.due()
    expect(signals.map((s) => [s.kind, s.vendorId, s.paths])).toEqual([
      ['message.posted', shop.id, [thread.id]],
    ])

    advance(60)
    const asShop = vault.conversations.asVendor({ vendorId: shop.id, grantId: grant.id })
    expect((await asShop.list()).map((t) => [t.id, t.unread])).toEqual([[thread.id, 1]])
    const reply = await asShop.post(thread.id, { text: 'Yes, send them back.' }, sign)
    expect(reply.clientId).toBe(shop.id)
    expect(reply.author).toBe('vendor')

    const [summary] = await vault.conversations.list()
    expect(summary).toMatchObject({
      id: thread.id,
      unread: 1,
      status: 'waiting_for_you',
      messages: 2,
    })
    expect(await vault.conversations.unreadCount()).toBe(1)
    const read = await vault.conversations.read(thread.id)
    expect(read.items.map((m) => [m.seq, m.author, m.text])).toEqual([
      [1, 'owner', 'May I return them?'],
      [2, 'vendor', 'Yes, send them back.'],
    ])
    expect(read.items[1]?.prevHash).toBe(read.items[0]?.hash)
    expect(entryHashHex(read.items[1]?.entry as string)).toBe(read.items[1]?.hash)
    // The exported links verify on their own.
    expect(verifyChain(read.items, { thread: thread.id }).head).toBe(read.items[1]?.hash)
    expect((await vault.conversations.list())[0]?.unread).toBe(0)

    // "Waiting for the vendor since": the owner's reply sets it to the reply's time.
    advance(60)
    await vault.conversations.reply(thread.id, { text: 'Thanks, on the way.' }, sign)
    const [after] = await vault.conversations.list()
    expect(after?.status).toBe('waiting_for_vendor')
    expect(after?.statusSince).toBe('2026-06-01T10:02:00.000Z')

    const actions = (await vault.audit.list({ limit: 100 })).map((e) => e.action)
    expect(actions).toEqual(
      expect.arrayContaining(['conversation.opened', 'conversation.posted', 'conversation.read']),
    )
  })

  it('stores every message sealed: no word of it is in the database file in plaintext', async () => {
    const { vault, shop } = await world()
    await vault.conversations.open(
      {
        vendorId: shop.id,
        topic: 'question',
        subject: 'Wool socks',
        message: { text: 'Do you stock merino?' },
      },
      sign,
    )
    const rows = await sql<{ body: Uint8Array }>`select body from conversation_messages`.execute(
      tv?.handle.db as never,
    )
    expect(rows.rows).toHaveLength(1)
    expect(Buffer.from(rows.rows[0]?.body as Uint8Array).toString('latin1')).not.toContain('merino')
  })

  it('another vendor cannot see, read or post in the thread: it does not exist for it', async () => {
    const { vault, shop, books, booksGrant } = await world()
    const thread = await vault.conversations.open(
      { vendorId: shop.id, topic: 'complaint', subject: 'Late', message: { text: 'Where is it?' } },
      sign,
    )
    const asBooks = vault.conversations.asVendor({ vendorId: books.id, grantId: booksGrant.id })
    expect(await asBooks.list()).toEqual([])
    await expect(asBooks.read(thread.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
    await expect(asBooks.post(thread.id, { text: 'hello' }, sign)).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    })
    // Nor can it use the first vendor's grant.
    const stolen = vault.conversations.asVendor({
      vendorId: books.id,
      grantId: (await vault.grants.list({ vendorId: shop.id }))[0]?.id as string,
    })
    await expect(stolen.list()).rejects.toMatchObject({ code: 'ERR_GRANT_MISMATCH' })
    expect((await vault.conversations.read(thread.id)).items).toHaveLength(1)
  })

  it('a grant without converse, a revoked or an expired grant is refused; the owner keeps every message', async () => {
    const { vault, shop, grant, advance } = await world()
    const readOnly = await vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Receipts',
      durationSeconds: 86400,
    })
    await expect(
      vault.conversations.asVendor({ vendorId: shop.id, grantId: readOnly.id }).list(),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_SCOPE' })

    const asShop = vault.conversations.asVendor({ vendorId: shop.id, grantId: grant.id })
    const opened = await asShop.open(
      { topic: 'purchase', subject: 'Your order shipped', message: { text: 'It left today.' } },
      sign,
    )
    expect(opened.openedBy).toBe('vendor')
    expect(opened.grantId).toBe(grant.id)
    expect(opened.status).toBe('waiting_for_you')
    await vault.grants.revoke(grant.id)
    await expect(asShop.read(opened.id)).rejects.toMatchObject({ code: 'ERR_GRANT_REVOKED' })
    await expect(asShop.post(opened.id, { text: 'more' }, sign)).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })
    const kept = await vault.conversations.read(opened.id)
    expect(kept.items.map((m) => m.text)).toEqual(['It left today.'])
    // The owner may still write; no signal goes to a vendor that cannot read it.
    await vault.signals.delivered((await vault.signals.due()).map((s) => s.id))
    await vault.conversations.reply(opened.id, { text: 'Thanks' }, sign)
    expect((await vault.signals.due()).filter((s) => s.kind === 'message.posted')).toEqual([])

    const later = await vault.grants.create({
      vendorId: shop.id,
      actions: ['converse'],
      purpose: 'Talk',
      durationSeconds: 60,
    })
    advance(120)
    await expect(
      vault.conversations.asVendor({ vendorId: shop.id, grantId: later.id }).list(),
    ).rejects.toMatchObject({ code: 'ERR_GRANT_EXPIRED' })
  })

  it('bad input gets typed errors and loses nothing: oversized, empty, closed, unknown', async () => {
    const { vault, shop, grant } = await world()
    await expect(
      vault.conversations.open(
        {
          vendorId: shop.id,
          topic: 'question',
          subject: 'x',
          message: { text: 'a'.repeat(MAX_MESSAGE_CHARS + 1) },
        },
        sign,
      ),
    ).rejects.toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' })
    await expect(
      vault.conversations.open(
        { vendorId: shop.id, topic: 'gossip' as never, subject: 'x', message: { text: 'hi' } },
        sign,
      ),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    await expect(
      vault.conversations.open(
        { vendorId: shop.id, topic: 'question', subject: 'x', message: { text: '   ' } },
        sign,
      ),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
    await expect(
      vault.conversations.open(
        { vendorId: 'ven_nobody', topic: 'question', subject: 'x', message: { text: 'hi' } },
        sign,
      ),
    ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
    await expect(vault.conversations.read('thr_nope')).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    })
    expect(await vault.conversations.list()).toEqual([])

    const thread = await vault.conversations.open(
      { vendorId: shop.id, topic: 'question', subject: 'Sizes', message: { text: 'EU 38?' } },
      sign,
    )
    const closing = await vault.conversations.close(thread.id, sign)
    expect(closing.closes).toBe(true)
    const asShop = vault.conversations.asVendor({ vendorId: shop.id, grantId: grant.id })
    await expect(asShop.post(thread.id, { text: 'late answer' }, sign)).rejects.toMatchObject({
      code: 'ERR_THREAD_CLOSED',
    })
    await expect(
      vault.conversations.reply(thread.id, { text: 'again' }, sign),
    ).rejects.toMatchObject({
      code: 'ERR_THREAD_CLOSED',
    })
    const read = await vault.conversations.read(thread.id)
    expect(read).toMatchObject({ state: 'closed', status: 'resolved', messages: 2 })
    // A signer that signs something else is the caller's bug.
    const other = await vault.conversations.open(
      { vendorId: shop.id, topic: 'question', subject: 'S', message: { text: 'hi' } },
      sign,
    )
    await expect(
      vault.conversations.reply(other.id, { text: 'x' }, () => sign('{"not":"the entry"}')),
    ).rejects.toThrow(TypeError)
    expect((await vault.conversations.read(other.id)).messages).toBe(1)
  })

  it('a vendor may open only so many threads', async () => {
    const { vault, shop, grant } = await world()
    const asShop = vault.conversations.asVendor({ vendorId: shop.id, grantId: grant.id })
    for (let i = 0; i < MAX_VENDOR_OPEN_THREADS; i++)
      await asShop.open({ topic: 'question', subject: `Q${i}`, message: { text: 'hi' } }, sign)
    await expect(
      asShop.open({ topic: 'question', subject: 'one more', message: { text: 'hi' } }, sign),
    ).rejects.toMatchObject({ code: 'ERR_THREAD_LIMIT' })
  })

  it('a message edited, removed or added in the database fails the chain: the thread is not shown', async () => {
    const { vault, shop, grant } = await world()
    const thread = await vault.conversations.open(
      { vendorId: shop.id, topic: 'question', subject: 'S', message: { text: 'one' } },
      sign,
    )
    const asShop = vault.conversations.asVendor({ vendorId: shop.id, grantId: grant.id })
    await asShop.post(thread.id, { text: 'two' }, sign)
    await vault.conversations.reply(thread.id, { text: 'three' }, sign)
    const db = tv?.handle.db as never
    // Dropping the last message: the thread row's MAC still names it as the head.
    await sql`delete from conversation_messages where thread_id = ${thread.id} and seq = 3`.execute(
      db,
    )
    await expect(vault.conversations.read(thread.id)).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
    })
    await expect(asShop.post(thread.id, { text: 'four' }, sign)).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
    })
    // Moving a thread to another vendor breaks the thread row's MAC.
    const second = await vault.conversations.open(
      { vendorId: shop.id, topic: 'question', subject: 'S2', message: { text: 'x' } },
      sign,
    )
    await sql`update conversation_threads set vendor_id = 'ven_other' where id = ${second.id}`.execute(
      db,
    )
    await expect(vault.conversations.read(second.id)).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
    })
  })

  it('threads survive a key rotation and a backup restore', async () => {
    const { vault, shop } = await world()
    const thread = await vault.conversations.open(
      { vendorId: shop.id, topic: 'question', subject: 'S', message: { text: 'kept' } },
      sign,
    )
    await vault.rotateKeys()
    expect((await vault.conversations.read(thread.id)).items[0]?.text).toBe('kept')
    const chunks: Uint8Array[] = []
    for await (const c of vault.backup()) chunks.push(c)
    await vault.conversations.reply(thread.id, { text: 'after the backup' }, sign)
    await vault.restore(Buffer.concat(chunks), 'correct horse battery staple')
    const restored = await vault.conversations.read(thread.id)
    expect(restored.items.map((m) => m.text)).toEqual(['kept'])
  })

  it('the portable export holds every thread with its signed entries; importing it keeps working', async () => {
    const { vault, shop } = await world()
    const thread = await vault.conversations.open(
      { vendorId: shop.id, topic: 'complaint', subject: 'Late', message: { text: 'Where is it?' } },
      sign,
    )
    const doc = await vault.exportJson()
    expect(doc.conversations).toEqual([
      expect.objectContaining({
        id: thread.id,
        vendorId: shop.id,
        topic: 'complaint',
        messages: [expect.objectContaining({ seq: 1, author: 'owner', text: 'Where is it?' })],
      }),
    ])
    const link = doc.conversations?.[0]?.messages[0]
    expect(verifyChain([link as { entry: string; jws: string }], { thread: thread.id }).head).toBe(
      link?.hash,
    )
    await expect(vault.importJson(doc, { mode: 'merge' })).resolves.toBeDefined()
  })
})
