import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { AuthorizationRequest } from './authorization-request.js'
import { newSecret } from './tokens.js'

/**
 * Validated authorization requests waiting in `oauth_requests`, in two stages:
 * - `pushed`: stored by PAR (RFC 9126 §2.2), referenced by a `request_uri`, used once at
 *   `/oauth/authorize`, only by the client that pushed it (§4);
 * - `pending`: waiting for the owner's decision on the consent page, consumed by the decision.
 * Ids are 32 random bytes, so neither can be guessed; each stage refuses the other's ids.
 */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:'
/** How long the owner has to sign in and decide. */
export const PENDING_SECONDS = 15 * 60
const REQUEST_ID = /^[A-Za-z0-9_-]{43}$/

type Stage = 'pushed' | 'pending'
const Stored = z.object({ stage: z.enum(['pushed', 'pending']), request: AuthorizationRequest })

export async function storeRequest(app: AppContext, stage: Stage, request: AuthorizationRequest, seconds: number): Promise<string> {
  const now = app.now()
  await app.db.deleteFrom('oauth_requests').where('expires_at', '<', now.toISOString()).execute()
  const id = newSecret()
  await app.db
    .insertInto('oauth_requests')
    .values({
      id,
      client_id: request.clientId,
      params: JSON.stringify({ stage, request }),
      expires_at: new Date(now.getTime() + seconds * 1000).toISOString(),
      created_at: now.toISOString(),
    })
    .execute()
  return id
}

/** Reads a live request of `stage` without consuming it. */
export async function findRequest(app: AppContext, stage: Stage, id: string): Promise<AuthorizationRequest | undefined> {
  if (typeof id !== 'string' || !REQUEST_ID.test(id)) return undefined
  const row = await app.db.selectFrom('oauth_requests').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || row.expires_at <= app.now().toISOString()) return undefined
  const stored = Stored.safeParse(JSON.parse(row.params))
  if (!stored.success || stored.data.stage !== stage || stored.data.request.clientId !== row.client_id) return undefined
  return stored.data.request
}

/**
 * Consumes a live request of `stage` (of `clientId` when given): the conditional delete makes
 * it single-use even when two processes race for it.
 */
export async function takeRequest(app: AppContext, stage: Stage, id: string, clientId?: string): Promise<AuthorizationRequest | undefined> {
  const request = await findRequest(app, stage, id)
  if (!request || (clientId !== undefined && request.clientId !== clientId)) return undefined
  const deleted = await app.db.deleteFrom('oauth_requests').where('id', '=', id).executeTakeFirst()
  return Number(deleted.numDeletedRows) === 1 ? request : undefined
}
