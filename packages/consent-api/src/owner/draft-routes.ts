import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { messageJson, threadJson } from '../conversations/thread-json.js'
import type { Draft } from '../mcp/draft.js'
import { DraftEdits, type SentDraft } from './draft-actions.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, jsonBody, mediaType, pathParam } from './owner-input.js'

/** A draft as the owner API answers it. */
export function draftJson(d: Draft): Record<string, unknown> {
  return { id: d.id, client_id: d.clientId, created_at: d.createdAt, ...d.content }
}

function sentJson(sent: SentDraft): Record<string, unknown> {
  if (sent.kind === 'intent') return { kind: 'intent', intent: sent.intent }
  if (sent.kind === 'reply')
    return { kind: 'message', thread_id: sent.threadId, message: messageJson(sent.message) }
  return { kind: 'message', thread: threadJson(sent.thread) }
}

/**
 * `/owner/drafts` (issue 14): what her assistants proposed — list, send (after editing, if she
 * wants), discard — over the owner actions' `drafts` (owner/draft-actions.ts). Until she sends
 * one, nothing leaves the vault: a draft is only a row she can read.
 */
export function draftRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => c.json({ items: (await actions.drafts.list()).map(draftJson) }))

  routes.post('/:id/send', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    // An empty body (no content type) sends the draft as proposed.
    const edits =
      mediaType(c) === '' && (await c.req.text()) === '' ? {} : await jsonBody(c, DraftEdits)
    return c.json(sentJson(await actions.drafts.send(id, edits)), 201)
  })

  routes.delete('/:id', async (c) => {
    await actions.drafts.discard(pathParam(c, 'id', RecordId))
    return c.body(null, 204)
  })

  return routes
}
