import { Hono } from 'hono'
import { html } from 'hono/html'
import {
  type ConversationMessage,
  type RequestedAction,
  ThreadTopic,
  type ThreadSummary,
  VaultError,
} from '@custos/vault'
import { type OwnerPageKit, type VerifiedThread, day, downloadHeaders } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type Html, csrfField, fixedMessage, notice, page } from './layout.js'
import { localTime } from './local-time.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { DRAFT_DONE, DRAFT_ERRORS, draftSection } from './assistant-drafts.js'

/**
 * `/conversations` (issue 13): the owner's threads with vendors, kept in her vault — unread
 * counts, "waiting for the vendor since …", a thread with every message and who sent it (a
 * vendor's reply says whether it carries the vendor's own verified signature or the vault's
 * countersignature with the client that posted it), replying, closing, and the thread as a
 * signed file to verify offline. The pages call the same owner actions as `/owner/conversations`.
 */
const ID = /^thr_[A-Za-z0-9_-]{22}$/

const DONE: Record<string, string> = {
  opened: 'Conversation started. The vendor is told if it may write to you.',
  replied: 'Reply sent.',
  closed: 'Conversation closed: no one can write in it any more. You keep every message.',
  ...DRAFT_DONE,
}
const ERRORS: Record<string, string> = {
  ERR_NOT_FOUND: 'That conversation or vendor no longer exists.',
  ERR_MESSAGE_TOO_LARGE: 'That message is too long: 4,000 characters at most.',
  ERR_THREAD_CLOSED: 'That conversation is closed.',
  ERR_VALIDATION: 'Please write a message (and a subject when starting a conversation).',
  ...DRAFT_ERRORS,
}

const TOPIC_WORDS: Record<ThreadTopic, string> = {
  purchase: 'A purchase',
  return: 'A return',
  complaint: 'A complaint',
  question: 'A question',
}
const ACTION_WORDS: Record<RequestedAction, string> = {
  refund: 'a refund',
  replacement: 'a replacement',
  repair: 'a repair',
  cancellation: 'a cancellation',
  information: 'information',
  other: 'something else',
}

function statusText(t: ThreadSummary, vendor: string, zone: string): string {
  if (t.state === 'closed') return 'Closed'
  if (t.status === 'resolved') return `Resolved, since ${localTime(t.statusSince, zone)}`
  if (t.status === 'waiting_for_vendor')
    return `Waiting for ${vendor} since ${localTime(t.statusSince, zone)}`
  return `Waiting for you since ${localTime(t.statusSince, zone)}`
}

function row(t: ThreadSummary, vendor: string, zone: string): Html {
  return html`<li class="card thread"><a href="/conversations/${t.id}"><strong>${t.subject}</strong></a>${t.unread > 0 ? html` <span class="badge" aria-label="${t.unread} unread">${t.unread} new</span>` : ''}
<p class="muted">${vendor} · ${TOPIC_WORDS[t.topic]} · ${t.messages} message${t.messages === 1 ? '' : 's'} · ${statusText(t, vendor, zone)}</p></li>`
}

function signatureLine(m: ConversationMessage, thread: VerifiedThread, vendor: string): Html {
  if (m.author === 'owner') return html`<span class="muted">signed by your vault</span>`
  if (!thread.verification.ok) return html`<span class="error">signature check failed</span>`
  return m.vendorJws !== undefined
    ? html`<span class="ok">signed by ${vendor} with its registered key — signature verifies</span>`
    : html`<span class="muted">sent by client ${m.clientId ?? ''} · countersigned by your vault on receipt — signature verifies</span>`
}

function message(
  m: ConversationMessage,
  thread: VerifiedThread,
  vendor: string,
  zone: string,
): Html {
  const who = m.author === 'owner' ? 'You' : vendor
  const facts = [
    m.orderNumber ? `order #${m.orderNumber}` : '',
    m.requestedAction ? `asks for ${ACTION_WORDS[m.requestedAction]}` : '',
    m.closes ? 'closed the conversation' : '',
  ].filter(Boolean)
  return html`<article class="card message ${m.author}" aria-label="Message ${m.seq} from ${who}"><p><strong>${who}</strong> <span class="muted">· ${localTime(m.at, zone)}</span></p>
${m.text ? html`<p class="text">${m.text}</p>` : ''}${facts.length > 0 ? html`<p class="muted">${facts.join(' · ')}</p>` : ''}
<p class="signature">${signatureLine(m, thread, vendor)}</p></article>`
}

function newThreadForm(csrfToken: string, vendors: { id: string; name: string }[]): Html | string {
  if (vendors.length === 0) return ''
  return html`<details><summary>Start a conversation</summary>
<form method="post" action="/conversations">${csrfField(csrfToken)}
<label for="vendor">With</label><select id="vendor" name="vendor">${vendors.map((v) => html`<option value="${v.id}">${v.name}</option>`)}</select>
<label for="topic">About</label><select id="topic" name="topic">${ThreadTopic.options.map((t) => html`<option value="${t}">${TOPIC_WORDS[t]}</option>`)}</select>
<label for="subject">Subject</label><input id="subject" name="subject" maxlength="200" required>
<label for="order">Order number (optional)</label><input id="order" name="order_number" maxlength="64">
<label for="text">Message</label><textarea id="text" name="text" maxlength="4000" rows="5" required></textarea>
<p><button type="submit">Send</button></p></form></details>`
}

export function conversationPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.use('*', ownerGate(kit))
  const names = async () =>
    new Map((await kit.actions.read.vendors.list()).map((v) => [v.id, v.name]))
  const failed = (err: unknown, to: string) => {
    if (err instanceof VaultError && Object.hasOwn(ERRORS, err.code))
      return `${to}?error=${err.code}`
    throw err
  }

  routes.get('/', async (c) => {
    const csrfToken = c.var.session.csrfToken
    const zone = c.var.timeZone
    const [threads, vendors, drafts] = await Promise.all([
      kit.actions.conversations.list(),
      names(),
      kit.actions.drafts.list(),
    ])
    const unread = threads.reduce((n, t) => n + t.unread, 0)
    return page(
      c,
      200,
      'Conversations',
      html`<h1>Conversations</h1>${notice('ok', fixedMessage(DONE, c.req.query('done')))}${notice('error', fixedMessage(ERRORS, c.req.query('error')))}
<p class="muted">What you and your vendors said, kept in your vault — not in their systems. ${unread > 0 ? `${unread} unread.` : 'Nothing unread.'}</p>
${draftSection(drafts, 'message', csrfToken, vendors, zone)}
${newThreadForm(
  csrfToken,
  [...vendors].map(([id, name]) => ({ id, name })),
)}
${threads.length === 0 ? html`<p class="empty">No conversations yet.</p>` : html`<ul class="threads">${threads.map((t) => row(t, vendors.get(t.vendorId) ?? 'an unknown vendor', zone))}</ul>`}`,
      { csrfToken, current: '/conversations' },
    )
  })

  routes.post('/', async (c) => {
    const form = await readForm(c)
    try {
      const orderNumber = form.text('order_number').trim()
      const thread = await kit.actions.conversations.open({
        vendorId: form.text('vendor'),
        topic: form.text('topic') as ThreadTopic,
        subject: form.text('subject'),
        message: { text: form.text('text'), ...(orderNumber ? { orderNumber } : {}) },
      })
      return c.redirect(`/conversations/${thread.id}?done=opened`, 303)
    } catch (err) {
      return c.redirect(failed(err, '/conversations'), 303)
    }
  })

  routes.get('/:id', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return c.redirect('/conversations?error=ERR_NOT_FOUND', 303)
    const csrfToken = c.var.session.csrfToken
    const zone = c.var.timeZone
    let thread: VerifiedThread
    try {
      thread = await kit.actions.conversations.read(id)
    } catch (err) {
      return c.redirect(failed(err, '/conversations'), 303)
    }
    const vendor = (await names()).get(thread.vendorId) ?? 'an unknown vendor'
    const open = thread.state === 'open'
    return page(
      c,
      200,
      thread.subject,
      html`<p><a href="/conversations">← Conversations</a></p><h1>${thread.subject}</h1>${notice('ok', fixedMessage(DONE, c.req.query('done')))}${notice('error', fixedMessage(ERRORS, c.req.query('error')))}
${thread.verification.ok ? '' : notice('error', `This conversation does not verify: ${thread.verification.problem ?? 'unknown problem'}.`)}
<p class="muted">With ${vendor} · ${TOPIC_WORDS[thread.topic]} · ${statusText(thread, vendor, zone)}</p>
${thread.items.map((m) => message(m, thread, vendor, zone))}
${
  open
    ? html`<form method="post" action="/conversations/${id}/reply">${csrfField(csrfToken)}<label for="text">Reply</label><textarea id="text" name="text" maxlength="4000" rows="4" required></textarea><p><button type="submit">Send reply</button></p></form>
<form method="post" action="/conversations/${id}/close" class="inline">${csrfField(csrfToken)}<button type="submit" class="secondary">Close conversation</button></form>`
    : ''
}
<p class="thread-download"><a href="/conversations/${id}/export" download>Download this conversation</a> <span class="muted">(every message with its signatures and your vault's public key, to verify anywhere: <code>custos verify-thread FILE</code>)</span></p>`,
      { csrfToken, current: '/conversations' },
    )
  })

  routes.get('/:id/export', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return c.redirect('/conversations?error=ERR_NOT_FOUND', 303)
    try {
      const bundle = await kit.actions.conversations.export(id)
      return c.body(
        JSON.stringify(bundle, null, 2),
        200,
        downloadHeaders(
          'application/json; charset=utf-8',
          `custos-thread-${id}-${day(new Date(bundle.exported_at))}.json`,
        ),
      )
    } catch (err) {
      return c.redirect(failed(err, '/conversations'), 303)
    }
  })

  routes.post('/:id/reply', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return c.redirect('/conversations?error=ERR_NOT_FOUND', 303)
    const form = await readForm(c)
    try {
      await kit.actions.conversations.reply(id, { text: form.text('text') })
    } catch (err) {
      return c.redirect(failed(err, `/conversations/${id}`), 303)
    }
    return c.redirect(`/conversations/${id}?done=replied`, 303)
  })

  routes.post('/:id/close', async (c) => {
    const id = c.req.param('id')
    if (!ID.test(id)) return c.redirect('/conversations?error=ERR_NOT_FOUND', 303)
    try {
      await kit.actions.conversations.close(id)
    } catch (err) {
      return c.redirect(failed(err, `/conversations/${id}`), 303)
    }
    return c.redirect(`/conversations/${id}?done=closed`, 303)
  })

  return routes
}
