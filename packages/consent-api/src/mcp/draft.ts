import { z } from 'zod'
import { MAX_MESSAGE_CHARS, MAX_OPEN_DAYS, Requirements } from '@custos/vault'

/** A message draft's text, at most: what the vault takes for one message. */
export const MAX_DRAFT_TEXT = MAX_MESSAGE_CHARS

/**
 * An intent the assistant proposes: what the owner's intents take (vault intents/intent.ts) — a
 * category, her words, requirements — and how many days it would stay open. Not the audience nor
 * the fields disclosed on acceptance: those are the owner's to choose when she sends it.
 */
export const IntentDraft = z
  .object({
    kind: z.literal('intent'),
    category: z.string().trim().min(1).max(80),
    text: z.string().trim().min(1).max(2000),
    requirements: Requirements.default({}),
    days_open: z.number().int().min(1).max(MAX_OPEN_DAYS),
  })
  .strict()

/**
 * A message the assistant proposes: a reply in one of the owner's threads (`thread_id`), or the
 * first message of a new thread — its subject and whom it is meant for in the assistant's words
 * (`vendor_hint`); the owner picks the vendor when she sends it.
 */
export const MessageDraft = z
  .object({
    kind: z.literal('message'),
    thread_id: z.string().min(1).max(64).optional(),
    subject: z.string().trim().min(1).max(200).optional(),
    vendor_hint: z.string().trim().min(1).max(200).optional(),
    text: z.string().trim().min(1).max(MAX_DRAFT_TEXT),
  })
  .strict()
  .refine((d) => (d.thread_id === undefined) !== (d.subject === undefined), {
    message: 'a message draft has a thread_id or a subject, not both',
    path: ['thread_id'],
  })

/** What a draft says, as sealed in its row. */
export const DraftContent = z.discriminatedUnion('kind', [IntentDraft, MessageDraft])
export type DraftContent = z.output<typeof DraftContent>

/** A draft as the owner sees it: what it says, who proposed it, when. */
export interface Draft {
  readonly id: string
  readonly clientId: string
  readonly createdAt: string
  readonly content: DraftContent
}
