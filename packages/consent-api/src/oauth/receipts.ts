import { Hono } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { signedReceipts } from '../receipts/receipt-history.js'
import { ClientAuthMembers, authenticateJsonClient, jsonBody } from './json-client-auth.js'
import { OAuthError } from './oauth-error.js'
import { oauthEndpoint } from './oauth-endpoint.js'

/**
 * `POST /oauth/receipts` — the vendor fetches its own receipts (issue 12, part 3: "the vendor
 * receives each receipt, and can fetch all of its own"): every consent event of its grants —
 * given, narrowed, withdrawn, expired — and every request of its that was refused, oldest first,
 * each signed in both shapes (Kantara v1.1 and ISO/IEC TS 27560, receipts/receipt-history.ts).
 * The vendor authenticates as at RFC 8936 polling (json-client-auth.ts), not with an access token:
 * a withdrawn or expired grant, or a refused request, leaves it none, and those receipts are the
 * ones it most needs. A `receipt-issued` signal names each new one (signals/security-event.ts).
 * Only its own: another vendor's grant id reads as unknown.
 */
const ReceiptsBody = z
  .object({
    grant_id: z.string().min(1).max(64).optional(),
    /** The `next` of the previous answer. */
    after: z.string().max(300).optional(),
    limit: z.number().int().min(1).max(100).default(20),
    ...ClientAuthMembers,
  })
  .strict()

export function receiptRoutes(app: AppContext): Hono {
  const routes = new Hono()
  const endpoint = `${app.config.issuer}/oauth/receipts`
  routes.post(
    '/',
    oauthEndpoint(async (c) => {
      const body = ReceiptsBody.safeParse(await jsonBody(c))
      if (!body.success)
        throw new OAuthError(
          'invalid_request',
          `The body must be { grant_id?, after?, limit? (1–100) } with client authentication: ${body.error.issues[0]?.path.join('.') || 'body'} is invalid`,
        )
      const client = await authenticateJsonClient(
        app,
        c,
        body.data,
        endpoint,
        'Public clients read the receipt of their live grant at GET /v1/grant',
      )
      const { grant_id: grantId, after, limit } = body.data
      if (grantId !== undefined) {
        const owned = (await app.vault.grants.list({ vendorId: client.clientId })).some(
          (g) => g.id === grantId,
        )
        if (!owned) throw new OAuthError('invalid_request', 'Unknown grant_id')
      }
      let page: Awaited<ReturnType<typeof app.vault.grants.history>>
      try {
        page = await app.vault.grants.history({
          vendorId: client.clientId,
          ...(grantId !== undefined ? { grantId } : {}),
          ...(after !== undefined ? { after } : {}),
          limit,
        })
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ERR_VALIDATION')
          throw new OAuthError('invalid_request', 'after is not a cursor from an earlier answer')
        throw err
      }
      const vendor = await app.vault.vendors.get(client.clientId)
      const receipts = await Promise.all(
        page.events.map(async (event) => {
          const signed = await signedReceipts(app, event, vendor)
          return {
            id: event.id,
            event: event.kind,
            grant_id: event.grantId ?? null,
            revision: event.revision ?? null,
            at: event.at,
            receipt: signed.receipt,
            consent_record: signed.consentRecord,
          }
        }),
      )
      return c.json({ receipts, ...(page.next ? { next: page.next } : {}) }, 200, {
        'cache-control': 'no-store',
      })
    }),
  )
  return routes
}
