import { z } from 'zod'
import {
  type ConversationMessage,
  type Intent,
  IntentAudience,
  IntentInput,
  MessageInput,
  NotFoundError,
  Requirements,
  type Thread,
  ThreadInput,
  ThreadTopic,
  ValidationError,
  issuesFromZod,
} from '@custos/vault'
import type { OwnerConversations } from '../conversations/owner-conversations.js'
import type { Draft } from '../mcp/draft.js'
import type { DraftStore } from '../mcp/draft-store.js'

const DAY_MS = 24 * 3600 * 1000

/**
 * What the owner may change as she sends a draft (every member optional: nothing sends the draft
 * as proposed). An intent's audience and disclosed fields are hers alone to choose — the
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

/** What sending a draft did: the intent published, or the message posted (in a new thread). */
export type SentDraft =
  | { readonly kind: 'intent'; readonly intent: Intent }
  | { readonly kind: 'reply'; readonly threadId: string; readonly message: ConversationMessage }
  | { readonly kind: 'thread'; readonly thread: Thread }

/** The drafts the owner's assistants proposed (issue 14): read, send, discard. */
export interface OwnerDrafts {
  list(): Promise<Draft[]>
  /** Sends it through her own actions; NotFoundError, ValidationError, or the action's own errors. */
  send(id: string, edits?: DraftEdits): Promise<SentDraft>
  /** NotFoundError when there is no such draft. */
  discard(id: string): Promise<void>
}

/**
 * Sending a draft is the owner's act, done through her own actions exactly as if she had written
 * it: an intent is published by `intents.create`, a message posted by `conversations.reply` or
 * `open`, so their checks, access-log entries and vendor signals are the normal ones. The draft is
 * forgotten once sent, so a second send finds nothing rather than posting twice.
 */
export function ownerDrafts(deps: {
  readonly drafts: Pick<DraftStore, 'list' | 'get' | 'remove'>
  readonly intents: { create(input: IntentInput): Promise<Intent> }
  readonly conversations: Pick<OwnerConversations, 'open' | 'reply'>
  readonly now: () => Date
}): OwnerDrafts {
  return {
    list: () => deps.drafts.list(),
    async send(id, edits = {}) {
      const draft = await deps.drafts.get(id)
      if (!draft) throw new NotFoundError('draft')
      const sent = await send(draft, edits, deps)
      await deps.drafts.remove(id)
      return sent
    },
    async discard(id) {
      if (!(await deps.drafts.remove(id))) throw new NotFoundError('draft')
    },
  }
}

function checked<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error.issues))
  return parsed.data
}

async function send(
  draft: Draft,
  edits: DraftEdits,
  deps: Parameters<typeof ownerDrafts>[0],
): Promise<SentDraft> {
  const d = draft.content
  if (d.kind === 'intent') {
    const input = checked(IntentInput, {
      category: edits.category ?? d.category,
      text: edits.text ?? d.text,
      requirements: edits.requirements ?? d.requirements,
      openUntil:
        edits.openUntil ?? new Date(deps.now().getTime() + d.days_open * DAY_MS).toISOString(),
      audience: edits.audience ?? 'all',
      disclose: edits.disclose ?? [],
    })
    return { kind: 'intent', intent: await deps.intents.create(input) }
  }
  const text = edits.text ?? d.text
  if (d.thread_id !== undefined) {
    const message = await deps.conversations.reply(d.thread_id, checked(MessageInput, { text }))
    return { kind: 'reply', threadId: d.thread_id, message }
  }
  const input = checked(ThreadInput, {
    vendorId: edits.vendorId,
    topic: edits.topic ?? 'question',
    subject: edits.subject ?? d.subject,
    message: { text },
  })
  return { kind: 'thread', thread: await deps.conversations.open(input) }
}
