import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { type Purchase, selectorMatches } from '@custos/vault'
import { problemRow } from '../api-problems.js'
import type { AppContext } from '../app-context.js'
import { isVaultError } from '../problem.js'
import type { VendorAccess } from '../resource/bearer.js'
import { entryInWords, grantInWords } from './assistant-words.js'
import { registerDraftTools } from './draft-tools.js'

/** A tool's answer: text for the model, and the same as structured content for programs. */
function answer(text: string, structured?: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: 'text', text }],
    ...(structured !== undefined ? { structuredContent: structured } : {}),
  }
}

/** A refusal as a tool error (MCP "Tool Execution Errors", `isError`): fixed words, never data. */
function refused(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true }
}

/** Purchases one search pages through at most: 20 pages of 500 — a bounded read, each page logged. */
const SEARCH_PAGES = 20

const FieldPath = z.string().min(1).max(200)

/**
 * The assistant's tools, for one request's caller: every tool reads through the vault's grant
 * checks as the client the token was issued to — `readThroughGrant` for fields and purchases
 * (SECURITY.md promises 13 and 19: ungranted values never decrypted, the read audited before it
 * leaves), `access.authorize` with `grant.viewed` for the explanations — so each call is decided
 * by the refusal policy and lands in the access log as this client, exactly like a vendor's
 * `GET /v1/profile`, `/v1/purchases` and `/v1/grant` (resource/profile.ts, purchases.ts, grant.ts).
 * What the grant does not include is a tool error naming the missing scope, never data.
 */
export function registerAssistantTools(
  server: McpServer,
  app: AppContext,
  access: VendorAccess,
): void {
  const { clientId, grantId } = access
  const read = (include: 'fields' | 'purchases', purchases?: { cursor?: string; limit?: number }) =>
    app.vault.readThroughGrant(grantId, {
      include: [include],
      vendorId: clientId,
      ...(purchases !== undefined ? { purchases } : {}),
    })
  /** Checks and logs a look at the grant (`grant.viewed`); a dead grant is refused and logged. */
  const view = () =>
    app.vault.access.authorize(grantId, { vendorId: clientId, record: 'grant.viewed' })

  server.registerTool(
    'read_profile',
    {
      title: 'Read profile fields',
      description:
        'The owner’s profile fields this assistant was granted, by path (for example prefs.sizes.shoe, or a subtree such as prefs.sizes.*). Name fields to read only those; a field outside the grant is refused.',
      inputSchema: { fields: z.array(FieldPath).max(200).optional() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(app, async () => {
        if (args.fields !== undefined) {
          // Decided before anything is read: the refusal names what is missing and reads nothing.
          const { grant } = await view()
          const missing = args.fields.filter(
            (p) => !grant.fields.some((s) => selectorMatches(s, p)),
          )
          if (missing.length > 0)
            return refused(
              `Not granted: ${missing.map((p) => `read:${p}`).join(' ')}. The owner has not given this assistant these fields; ask her to change the grant.`,
            )
        }
        const { fields } = await read('fields')
        const asked = args.fields
        const chosen =
          asked === undefined
            ? fields
            : Object.fromEntries(
                Object.entries(fields).filter(([p]) => asked.some((a) => selectorMatches(a, p))),
              )
        return answer(JSON.stringify(chosen), { fields: chosen })
      }),
  )

  server.registerTool(
    'list_purchases',
    {
      title: 'List purchases',
      description:
        'The purchases this assistant was granted, newest first, one page at a time (next_cursor until the last page).',
      inputSchema: {
        cursor: z.string().min(1).max(512).optional(),
        limit: z.number().int().min(1).max(500).optional(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(app, async () => {
        const slice = await read('purchases', {
          ...(args.cursor !== undefined ? { cursor: args.cursor } : {}),
          ...(args.limit !== undefined ? { limit: args.limit } : {}),
        })
        if (!slice.purchases) return noPurchases()
        const { items, nextCursor } = slice.purchases
        const page = { items, ...(nextCursor !== undefined ? { next_cursor: nextCursor } : {}) }
        return answer(JSON.stringify(page), page)
      }),
  )

  server.registerTool(
    'search_purchases',
    {
      title: 'Search purchases',
      description:
        'Searches the granted purchases: words in the seller, item names or order number; seller; category; order dates from/to (YYYY-MM-DD). Only purchases within the grant are searched.',
      inputSchema: {
        text: z.string().trim().min(1).max(200).optional(),
        seller: z.string().trim().min(1).max(200).optional(),
        category: z.string().trim().min(1).max(80).optional(),
        from: z.iso.date().optional(),
        to: z.iso.date().optional(),
        limit: z.number().int().min(1).max(200).optional(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(app, async () => {
        const matches = purchaseMatcher(args)
        const found: Purchase[] = []
        const max = args.limit ?? 50
        let cursor: string | undefined
        for (let page = 0; page < SEARCH_PAGES && found.length < max; page++) {
          const slice = await read('purchases', { limit: 500, ...(cursor ? { cursor } : {}) })
          if (!slice.purchases) return noPurchases()
          found.push(...slice.purchases.items.filter(matches))
          cursor = slice.purchases.nextCursor
          if (cursor === undefined) break
        }
        const items = found.slice(0, max)
        return answer(JSON.stringify({ items }), { items })
      }),
  )

  server.registerTool(
    'explain_grant',
    {
      title: 'Explain this assistant’s grant',
      description:
        'What the owner allowed this assistant: which fields and purchases it may read, what for, and until when — in plain words.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      guarded(app, async () => {
        const { grant } = await view()
        return answer(grantInWords(grant), {
          grant_id: grant.id,
          fields: grant.fields,
          purchases: grant.purchases ?? null,
          actions: grant.actions,
          purpose: grant.purpose,
          purposes: grant.purposes,
          expires_at: grant.expiresAt,
          status: grant.status,
        })
      }),
  )

  server.registerTool(
    'explain_log_entry',
    {
      title: 'Explain an access-log entry',
      description:
        'Explains one of this assistant’s own entries in the owner’s access log (by its number, seq), or without one its ten newest.',
      inputSchema: { seq: z.number().int().positive().optional() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(app, async () => {
        await view()
        // Only this client's entries: another vendor's are not its to read (vendorId filter).
        const entries = await app.vault.audit.list({
          vendorId: clientId,
          ...(args.seq !== undefined ? { before: args.seq + 1, limit: 1 } : { limit: 10 }),
        })
        const chosen = args.seq !== undefined ? entries.filter((e) => e.seq === args.seq) : entries
        if (chosen.length === 0)
          return refused('No entry of this assistant has that number in the access log.')
        return answer(chosen.map(entryInWords).join('\n'), { entries: chosen })
      }),
  )

  registerDraftTools(server, app, access, (run) => guarded(app, run))
}

function noPurchases(): CallToolResult {
  return refused(
    'Not granted: read:purchases. The owner has not given this assistant her purchases; ask her to change the grant.',
  )
}

/** A purchase filter from a search's arguments: every given condition applies. */
function purchaseMatcher(args: {
  text?: string | undefined
  seller?: string | undefined
  category?: string | undefined
  from?: string | undefined
  to?: string | undefined
}): (p: Purchase) => boolean {
  const text = args.text?.toLowerCase()
  const seller = args.seller?.toLowerCase()
  const category = args.category?.toLowerCase()
  return (p) => {
    const day = p.orderDate.slice(0, 10)
    if (args.from !== undefined && day < args.from) return false
    if (args.to !== undefined && day > args.to) return false
    if (seller !== undefined && !p.seller.toLowerCase().includes(seller)) return false
    if (category !== undefined && p.category?.toLowerCase() !== category) return false
    if (text === undefined) return true
    const haystack = [p.seller, p.orderNumber ?? '', ...p.items.map((i) => i.name)]
    return haystack.some((s) => s.toLowerCase().includes(text))
  }
}

/**
 * Runs a tool, turning the vault's refusals into tool errors in its fixed words (the bearer column
 * of api-problems.ts) and anything unexpected into one opaque error reported to the operator —
 * never a stack, a query or a value.
 */
async function guarded(
  app: AppContext,
  run: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await run()
  } catch (err) {
    if (isVaultError(err)) {
      const row = problemRow(err.code)
      return refused(row.bearer?.description ?? row.title)
    }
    app.onUnexpectedError?.(err)
    return refused('Something went wrong in the vault; nothing was read.')
  }
}
