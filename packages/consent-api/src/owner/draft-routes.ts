import { Hono } from 'hono'
import { z } from 'zod'
import {
  IntentAudience,
  IntentInput,
  MessageInput,
  Requirements,
  ThreadInput,
  ThreadTopic,
} from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { messageJson, threadJson } from '../conversations/thread-json.js'
import type { Draft } from '../mcp/draft.js'
import { apiProblem } from '../problem.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RequestProblem } from './owner-errors.js'
import { RecordId, jsonBody, mediaType, pathParam, validate } from './owner-input.js'

const DAY_MS = 24 * 3600 * 1000

/**
 * What the owner may change as she sends a draft (every member optional: an empty body sends the
 * draft as proposed). An intent's audience and disclosed fields are hers alone to choose — the
 * assistant cannot propose them — so an intent goes to every vendor allowed to see intents and
 * discloses nothing unless she says otherwise; a new thread needs her choice of vendor.
 */
export const DraftEdits = z
  .object({
    text: z
      .string()
      .max(64 * 1024)
      .optional(),
    category: z.string().max(80).optional(),
    requirements: Requirements.optional(),
    openUntil: z.iso.datetime({ offset: true }).optional(),
    audience: IntentAudience.optional(),
    disclose: z.array(z.string().max(200)).max(50).optional(),
    vendorId: z.string().min(1).max(64).optional(),
    topic: ThreadTopic.optional(),
    subject: z.string().max(200).optional(),
  })
  .strict()
export type DraftEdits = z.output<typeof DraftEdits>

/** A draft as the owner API answers it. */
export function draftJson(d: Draft): Record<string, unknown> {
  return { id: d.id, client_id: d.clientId, created_at: d.createdAt, ...d.content }
}

/**
 * `/owner/drafts` (issue 14): what her assistants proposed — list, send (after editing, if she
 * wants), discard. Sending goes through her own actions, exactly as if she had written it: an
 * intent is published by `intents.create`, a message posted by `conversations.reply` or `open`,
 * so their checks, access-log entries and vendor signals are the normal ones. Until then nothing
 * leaves the vault: a draft is only a row she can read.
 */
export function draftRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))
  const drafts = app.stores.drafts

  routes.get('/', async (c) => c.json({ items: (await drafts.list()).map(draftJson) }))

  routes.post('/:id/send', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    // An empty body (no content type) sends the draft as proposed.
    const edits =
      mediaType(c) === '' && (await c.req.text()) === '' ? {} : await jsonBody(c, DraftEdits)
    const draft = await drafts.get(id)
    if (!draft) throw notFound()
    const sent = await send(draft, edits, actions, app.now())
    // Forgotten once sent: a second send finds nothing (404) rather than posting twice.
    await drafts.remove(id)
    return c.json(sent, 201)
  })

  routes.delete('/:id', async (c) => {
    if (!(await drafts.remove(pathParam(c, 'id', RecordId)))) throw notFound()
    return c.body(null, 204)
  })

  return routes
}

const notFound = () => new RequestProblem(apiProblem('ERR_NOT_FOUND', 'No such draft'))

async function send(
  draft: Draft,
  edits: DraftEdits,
  actions: OwnerActions,
  now: Date,
): Promise<Record<string, unknown>> {
  const d = draft.content
  if (d.kind === 'intent') {
    const input = validate(
      IntentInput,
      {
        category: edits.category ?? d.category,
        text: edits.text ?? d.text,
        requirements: edits.requirements ?? d.requirements,
        openUntil: edits.openUntil ?? new Date(now.getTime() + d.days_open * DAY_MS).toISOString(),
        audience: edits.audience ?? 'all',
        disclose: edits.disclose ?? [],
      },
      'Invalid request body',
    )
    return { kind: 'intent', intent: await actions.intents.create(input) }
  }
  const text = edits.text ?? d.text
  if (d.thread_id !== undefined) {
    const message = validate(MessageInput, { text }, 'Invalid request body')
    const posted = await actions.conversations.reply(d.thread_id, message)
    return { kind: 'message', thread_id: d.thread_id, message: messageJson(posted) }
  }
  const input = validate(
    ThreadInput,
    {
      vendorId: edits.vendorId,
      topic: edits.topic ?? 'question',
      subject: edits.subject ?? d.subject,
      message: { text },
    },
    'Invalid request body',
  )
  return { kind: 'message', thread: threadJson(await actions.conversations.open(input)) }
}
