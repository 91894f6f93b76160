import { Hono } from 'hono'
import { html } from 'hono/html'
import { ValidationError, VaultError } from '@custos/vault'
import type { Draft, OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type Html, csrfField } from './layout.js'
import { localTime } from './local-time.js'
import { type PageEnv, ownerGate } from './owner-gate.js'

const ID = /^[A-Za-z0-9_-]{1,64}$/

/** What the intent or conversation actions may answer a sent draft with: the owner is told so. */
const REFUSALS = new Set([
  'ERR_INTENT_LIMIT',
  'ERR_THREAD_CLOSED',
  'ERR_THREAD_LIMIT',
  'ERR_MESSAGE_TOO_LARGE',
  'ERR_CONFLICT',
])

/** Where each kind of draft is shown, and so where the owner is sent back after deciding. */
const HOME = { intent: '/intents', message: '/conversations' } as const

/** The words each page shows after a decision on a draft (fixed; `?done=` / `?error=`). */
export const DRAFT_DONE: Record<string, string> = {
  draft_sent: 'Draft sent, as if you had written it.',
  draft_discarded: 'Draft discarded; nothing was sent.',
}
export const DRAFT_ERRORS: Record<string, string> = {
  draft_gone: 'That draft no longer exists.',
  draft_invalid:
    'The draft could not be sent as it stands: check its words (and, for a new conversation, choose a vendor).',
  draft_refused: 'The draft could not be sent: the intent or conversation no longer takes it.',
}

/**
 * "Drafts from your assistant" (issue 14): what an assistant proposed — intents on the Intents
 * page, messages on Conversations — each in a small form the owner can edit, then Send (through
 * her own actions, as if she had written it) or Discard. Nothing was sent before she does.
 */
export function draftSection(
  drafts: readonly Draft[],
  kind: 'intent' | 'message',
  csrfToken: string,
  names: ReadonlyMap<string, string>,
  zone: string,
): Html | string {
  const mine = drafts.filter((d) => d.content.kind === kind)
  if (mine.length === 0) return ''
  return html`<section aria-labelledby="drafts"><h2 id="drafts">Drafts from your assistant</h2>
<p class="muted">Your assistant proposed these; nothing is sent until you send it. Edit the words first if you like.</p>
${mine.map((d) => draftCard(d, csrfToken, names, zone))}</section>`
}

function draftCard(
  d: Draft,
  csrfToken: string,
  names: ReadonlyMap<string, string>,
  zone: string,
): Html {
  const by = names.get(d.clientId) ?? 'an assistant'
  const c = d.content
  const what =
    c.kind === 'intent'
      ? html`<label for="category-${d.id}">What kind of thing</label><input id="category-${d.id}" name="category" maxlength="80" value="${c.category}" required>
<p class="muted">Open for ${c.days_open} days · seen by every vendor you allowed to see intents · discloses nothing on acceptance</p>`
      : c.thread_id !== undefined
        ? html`<p class="muted">A reply in <a href="/conversations/${c.thread_id}">your conversation</a></p>`
        : html`<p class="muted">A new conversation: ${c.subject}${c.vendor_hint ? ` (for ${c.vendor_hint})` : ''}</p>
<label for="vendor-${d.id}">To</label><select id="vendor-${d.id}" name="vendor" required><option value="">Choose a vendor</option>${[...names].map(([id, name]) => html`<option value="${id}">${name}</option>`)}</select>`
  return html`<article class="card draft" aria-label="Draft from ${by}"><p class="muted">From ${by} · ${localTime(d.createdAt, zone)}</p>
<form method="post" action="/drafts/${d.id}/send">${csrfField(csrfToken)}${what}
<label for="text-${d.id}">Words</label><textarea id="text-${d.id}" name="text" required>${c.text}</textarea>
<p><button type="submit">Send</button></p></form>
<form method="post" action="/drafts/${d.id}/discard" class="inline">${csrfField(csrfToken)}<button type="submit" class="secondary" aria-label="Discard the draft from ${by}">Discard</button></form></article>`
}

/** `/drafts/{id}/send` and `/drafts/{id}/discard`: the owner's decision, then back to the draft's page. */
export function draftPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  routes.use('*', ownerGate(kit))

  /** Which page the draft belongs on, or undefined when there is no such draft. */
  const back = async (id: string) => {
    const draft = ID.test(id)
      ? (await kit.actions.drafts.list()).find((d) => d.id === id)
      : undefined
    return draft ? HOME[draft.content.kind] : undefined
  }

  routes.post('/:id/send', async (c) => {
    const id = c.req.param('id')
    const home = await back(id)
    if (!home) return c.redirect('/intents?error=draft_gone', 303)
    const form = await readForm(c)
    const category = form.text('category')
    const vendor = form.text('vendor')
    try {
      await kit.actions.drafts.send(id, {
        text: form.text('text'),
        ...(category !== '' ? { category } : {}),
        ...(vendor !== '' ? { vendorId: vendor } : {}),
      })
    } catch (err) {
      if (err instanceof ValidationError) return c.redirect(`${home}?error=draft_invalid`, 303)
      if (err instanceof VaultError && err.code === 'ERR_NOT_FOUND')
        return c.redirect(`${home}?error=draft_gone`, 303)
      if (err instanceof VaultError && REFUSALS.has(err.code))
        return c.redirect(`${home}?error=draft_refused`, 303)
      throw err
    }
    return c.redirect(`${home}?done=draft_sent`, 303)
  })

  routes.post('/:id/discard', async (c) => {
    const id = c.req.param('id')
    const home = await back(id)
    if (!home) return c.redirect('/intents?error=draft_gone', 303)
    await kit.actions.drafts.discard(id)
    return c.redirect(`${home}?done=draft_discarded`, 303)
  })

  return routes
}
