import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { MAX_OPEN_DAYS, Requirements } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import type { VendorAccess } from '../resource/bearer.js'
import { type DraftContent, MAX_DRAFT_TEXT } from './draft.js'
import { DraftLimitError, MAX_PENDING_DRAFTS } from './draft-store.js'

type Guard = (run: () => Promise<CallToolResult>) => Promise<CallToolResult>

/**
 * The assistant's two proposing tools (issue 14): `draft_intent` and `draft_message` keep a
 * draft for the owner and do nothing else — no intent is published, no message posted, no
 * vendor hears of it — until she sends it herself (owner/draft-routes.ts), through her own
 * actions. They need the grant's `draft` action, which the consent page shows as "May propose
 * intents and messages for you to approve"; reading the owner's data gives no right to propose.
 * Each draft is logged as this client (`draft.proposed`) before it is kept, through the vault's
 * refusal policy, so a dead grant is refused and logged like every other call.
 */
export function registerDraftTools(
  server: McpServer,
  app: AppContext,
  access: VendorAccess,
  guarded: Guard,
): void {
  const { clientId, grantId } = access

  const propose = async (content: DraftContent): Promise<CallToolResult> => {
    const { grant } = await app.vault.access.authorize(grantId, { vendorId: clientId })
    if (!grant.actions.includes('draft'))
      return refusal(
        'Not granted: draft. The owner has not allowed this assistant to propose intents and messages; ask her to change the grant.',
      )
    await app.vault.access.authorize(grantId, {
      vendorId: clientId,
      action: 'draft',
      record: 'draft.proposed',
    })
    try {
      const draft = await app.stores.drafts.add(clientId, content)
      return {
        content: [
          {
            type: 'text',
            text: `Draft ${draft.id} waits for the owner: nothing is sent until she sends it.`,
          },
        ],
        structuredContent: { draft_id: draft.id, status: 'waiting_for_owner' },
      }
    } catch (err) {
      if (err instanceof DraftLimitError)
        return refusal(
          `${MAX_PENDING_DRAFTS} drafts already wait for the owner; she must send or discard some first.`,
        )
      throw err
    }
  }

  server.registerTool(
    'draft_intent',
    {
      title: 'Propose an intent',
      description:
        'Proposes a request the owner could publish to vendors (an intent): category, her words, requirements (size, budget, deliver_by, location) and how many days it stays open. It is only a draft: the owner reviews, edits and sends it, or discards it.',
      inputSchema: {
        category: z.string().trim().min(1).max(80),
        text: z.string().trim().min(1).max(2000),
        requirements: Requirements.optional(),
        days_open: z.number().int().min(1).max(MAX_OPEN_DAYS),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    (args) =>
      guarded(() =>
        propose({
          kind: 'intent',
          category: args.category,
          text: args.text,
          requirements: args.requirements ?? {},
          days_open: args.days_open,
        }),
      ),
  )

  server.registerTool(
    'draft_message',
    {
      title: 'Propose a message',
      description:
        'Proposes a message to a vendor: a reply in one of the owner’s conversation threads (thread_id), or the first message of a new thread (subject, and vendor_hint saying whom it is for). It is only a draft: the owner reviews, edits and sends it, or discards it.',
      inputSchema: {
        thread_id: z.string().min(1).max(64).optional(),
        subject: z.string().trim().min(1).max(200).optional(),
        vendor_hint: z.string().trim().min(1).max(200).optional(),
        text: z.string().trim().min(1).max(MAX_DRAFT_TEXT),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        if ((args.thread_id === undefined) === (args.subject === undefined))
          return refusal('Give either thread_id (a reply) or subject (a new thread), not both.')
        return propose({
          kind: 'message',
          text: args.text,
          ...(args.thread_id !== undefined ? { thread_id: args.thread_id } : {}),
          ...(args.subject !== undefined ? { subject: args.subject } : {}),
          ...(args.vendor_hint !== undefined ? { vendor_hint: args.vendor_hint } : {}),
        })
      }),
  )
}

function refusal(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true }
}
