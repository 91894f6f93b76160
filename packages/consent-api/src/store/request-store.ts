import { type Transaction, sql } from 'kysely'
import { z } from 'zod'
import { AccessMode, DEFAULT_PURPOSE, GrantAction, PurchaseSlice } from '@custos/vault'
import type { StoreContext } from '../app-context.js'
import type { ApiTables } from '../db/api-schema.js'
import { VendorAnswer } from '../terms/vendor-answer.js'
import { purgeExpired } from '../db/expired-rows.js'
import { type UnmacedRow, authentic, rowMac, sealedPlace } from '../db/stored-rows.js'
import { newSecret } from './new-secret.js'

/**
 * Validated authorization requests waiting in `oauth_requests`, in two stages:
 * - `pushed`: stored by PAR (RFC 9126 §2.2), referenced by a `request_uri`, used once at
 *   `/oauth/authorize`, only by the client that pushed it (§4);
 * - `pending`: waiting for the owner's decision on the consent page, consumed by the decision.
 * Ids are 32 random bytes, so neither can be guessed; each stage refuses the other's ids.
 *
 * The request — stage, redirect URI, purpose, requested fields, state — is encrypted in
 * `sealed`, and the row MAC'd (db/stored-rows.ts): a row whose client, expiry or envelope was
 * edited, or another request's envelope moved in, is refused like an expired one. Expired rows
 * are purged as new ones arrive, and the unexpired ones are capped per client and in all.
 */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:'
/** How long the owner has to sign in and decide. */
export const PENDING_SECONDS = 15 * 60
const REQUEST_ID = /^[A-Za-z0-9_-]{43}$/

/** What the vendor asks for, normalized: the grant the owner will be shown. */
export const RequestedAccess = z.object({
  fields: z.array(z.string()),
  purchases: PurchaseSlice.optional(),
  actions: z.array(GrantAction),
  purpose: z.string(),
  /** DPV purpose IRIs; requests stored before purposes existed read as service provision. */
  purposes: z.array(z.string()).default([DEFAULT_PURPOSE]),
  durationSeconds: z.number().int(),
  acceptedTerms: z.array(z.string()),
  /** Single use or continuous (issue 12 §5); requests stored before it existed are continuous. */
  accessMode: AccessMode.default('continuous'),
  /** The vendor's answer to the owner's MyTerms proffer (IEEE 7012), when it pushed one. */
  myterms: VendorAnswer.optional(),
})
export type RequestedAccess = z.output<typeof RequestedAccess>

/**
 * A validated authorization request (oauth/authorization-request.ts validates it), as stored
 * between the request and the owner's decision.
 */
export const AuthorizationRequest = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  /** Whether the request carried `redirect_uri`; then the token request must repeat it (RFC 6749 §4.1.3). */
  redirectUriSent: z.boolean(),
  state: z.string().optional(),
  codeChallenge: z.string(),
  dpopJkt: z.string().optional(),
  access: RequestedAccess,
})
export type AuthorizationRequest = z.output<typeof AuthorizationRequest>

export type RequestStage = 'pushed' | 'pending'
const StoredRequest = z.object({
  stage: z.enum(['pushed', 'pending']),
  request: AuthorizationRequest,
})

/** A request stored under its id, or no room: the seconds until the oldest waiting one expires. */
export type StoreOutcome =
  | { readonly ok: true; readonly id: string }
  | { readonly ok: false; readonly retryAfterSeconds: number }

/**
 * @example
 * const stored = await requests.store('pushed', request, 90)
 * if (stored.ok) await requests.take('pushed', stored.id, request.clientId) // once, then undefined
 */
export class RequestStore {
  readonly #app: StoreContext

  constructor(app: StoreContext) {
    this.#app = app
  }

  /**
   * Stores a request — unless the client, or everyone together, already has as many unexpired
   * requests as `config.limits` allows: then nothing is stored and the answer says how long until
   * the oldest of them expires (the Retry-After of the endpoints' 429, RFC 9126 §2.3, RFC 6585 §4).
   */
  async store(
    stage: RequestStage,
    request: AuthorizationRequest,
    seconds: number,
  ): Promise<StoreOutcome> {
    const app = this.#app
    const now = app.now()
    await purgeExpired(app.db, 'oauth_requests', now)
    const id = newSecret()
    const row: UnmacedRow<'oauth_requests'> = {
      id,
      client_id: request.clientId,
      params: '',
      sealed: app.vault.envelopes.seal(sealedPlace('oauth_requests', id), { stage, request }),
      expires_at: new Date(now.getTime() + seconds * 1000).toISOString(),
      created_at: now.toISOString(),
    }
    // Counted before the insert, in one transaction serialized per cap — on PostgreSQL by
    // transaction-scoped advisory locks taken in name order (as limits/rate-limiter.ts does), on
    // SQLite by its single connection — so a burst admits exactly as many as there is room for:
    // inserting first and counting after refuses every request of a burst that overshoots.
    const wait = await app.db.transaction().execute(async (trx) => {
      if (app.database?.engine === 'postgres') {
        for (const bucket of ['custos/requests/all', `custos/requests/${request.clientId}`].sort())
          await sql`select pg_advisory_xact_lock(hashtextextended(${bucket}, 0))`.execute(trx)
      }
      const room = await waitForRoom(trx, app.config.limits, request.clientId, now)
      if (room === undefined) {
        await trx
          .insertInto('oauth_requests')
          .values({ ...row, row_mac: rowMac(app, 'oauth_requests', row) })
          .execute()
      }
      return room
    })
    return wait === undefined
      ? { ok: true, id }
      : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) }
  }

  /** Reads a live request of `stage` without consuming it. */
  async find(stage: RequestStage, id: string): Promise<AuthorizationRequest | undefined> {
    return (await this.#live(stage, id))?.request
  }

  /**
   * Consumes a live request of `stage` (of `clientId` when given): the conditional delete — of
   * exactly the row that was checked — makes it single-use even when two processes race for it.
   */
  async take(
    stage: RequestStage,
    id: string,
    clientId?: string,
  ): Promise<AuthorizationRequest | undefined> {
    const live = await this.#live(stage, id)
    if (!live || (clientId !== undefined && live.request.clientId !== clientId)) return undefined
    const deleted = await this.#app.db
      .deleteFrom('oauth_requests')
      .where('id', '=', id)
      .where('row_mac', '=', live.mac)
      .executeTakeFirst()
    return Number(deleted.numDeletedRows) === 1 ? live.request : undefined
  }

  /** A live, authentic request of `stage` with the MAC that was checked (for the guarded delete). */
  async #live(
    stage: RequestStage,
    id: string,
  ): Promise<{ request: AuthorizationRequest; mac: Uint8Array } | undefined> {
    if (typeof id !== 'string' || !REQUEST_ID.test(id)) return undefined
    const app = this.#app
    const row = await app.db
      .selectFrom('oauth_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    if (
      !row ||
      row.expires_at <= app.now().toISOString() ||
      !authentic(app, 'oauth_requests', row) ||
      row.row_mac === null
    )
      return undefined
    // A request stored by an older version that no longer parses is as good as expired.
    const stored = StoredRequest.safeParse(
      app.vault.envelopes.open(sealedPlace('oauth_requests', id), row.sealed),
    )
    if (
      !stored.success ||
      stored.data.stage !== stage ||
      stored.data.request.clientId !== row.client_id
    )
      return undefined
    return { request: stored.data.request, mac: row.row_mac }
  }
}

/** Seconds until a place frees, when a cap is exceeded; undefined when there is room. */
async function waitForRoom(
  db: Transaction<ApiTables>,
  limits: StoreContext['config']['limits'],
  clientId: string,
  now: Date,
): Promise<number | undefined> {
  const { authorizationRequestsPerClient, authorizationRequests } = limits
  const live = db
    .selectFrom('oauth_requests')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.min('expires_at').as('first'),
    ])
    .where('expires_at', '>', now.toISOString())
  for (const [count, max] of [
    [
      await live.where('client_id', '=', clientId).executeTakeFirstOrThrow(),
      authorizationRequestsPerClient,
    ],
    [await live.executeTakeFirstOrThrow(), authorizationRequests],
  ] as const) {
    if (Number(count.n) >= max)
      return (
        (typeof count.first === 'string' ? Date.parse(count.first) - now.getTime() : 60_000) / 1000
      )
  }
  return undefined
}
