import { randomBytes } from 'node:crypto'
import { HotQuery } from '@custos/vault'
import type { Selectable } from 'kysely'
import type { AppContext } from '../app-context.js'
import type { OAuthTokensTable } from '../db/api-schema.js'

/**
 * The token store (SECURITY.md promises 14–17). Tokens are 32 random bytes, base64url; only
 * `vault.hashSecret(token)` is stored, so a database dump yields no usable token, and lookups
 * by keyed hash compare nothing secret in JavaScript.
 *
 * Every access and refresh token belongs to a *family* (one authorization code's descendants).
 * Refresh tokens rotate: each use returns a new pair and marks the old one used; presenting a used
 * refresh token again is reuse — RFC 9700 §4.14.2 — and revokes the whole family.
 */
export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

export interface IssuedTokens {
  readonly accessToken: string
  readonly refreshToken: string
  readonly expiresIn: number
  readonly familyId: string
}

export interface TokenRecord {
  readonly kind: 'access' | 'refresh'
  readonly clientId: string
  readonly grantId: string
  readonly familyId: string
  readonly dpopJkt: string | null
  readonly expiresAt: string
  /** The database's change token taken right before the lookup (SQLite; see tokenRow). */
  readonly changeToken?: string
}

/** Issues an access + refresh token pair for a grant (a new family unless `familyId` is given). */
export async function issueTokens(
  app: AppContext,
  input: { clientId: string; grantId: string; dpopJkt: string | null; familyId?: string; refreshExpiresAt?: string },
): Promise<IssuedTokens> {
  const now = app.now()
  const familyId = input.familyId ?? newSecret()
  const accessToken = newSecret()
  const refreshToken = newSecret()
  const accessExpires = new Date(now.getTime() + app.config.accessTokenSeconds * 1000).toISOString()
  const refreshExpires = input.refreshExpiresAt ?? new Date(now.getTime() + app.config.refreshTokenSeconds * 1000).toISOString()
  const base = { client_id: input.clientId, grant_id: input.grantId, family_id: familyId, dpop_jkt: input.dpopJkt, revoked_at: null, used_at: null, created_at: now.toISOString() }
  await app.db
    .insertInto('oauth_tokens')
    .values([
      { ...base, token_hash: app.vault.hashSecret(accessToken), kind: 'access', expires_at: accessExpires },
      { ...base, token_hash: app.vault.hashSecret(refreshToken), kind: 'refresh', expires_at: refreshExpires },
    ])
    .execute()
  return { accessToken, refreshToken, expiresIn: app.config.accessTokenSeconds, familyId }
}

/**
 * Finds a live token of `kind`: known, unexpired, not revoked (and for refresh tokens, not yet
 * used — a used one is handled by {@link rotateRefreshToken}). Undefined otherwise: callers
 * answer `invalid_token` / `invalid_grant` without saying which check failed.
 */
export async function findToken(app: AppContext, token: string, kind: 'access' | 'refresh'): Promise<TokenRecord | undefined> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512) return undefined
  const hash = app.vault.hashSecret(token)
  const { row, tag } = await tokenRow(app, hash, kind)
  if (!row || row.kind !== kind || row.revoked_at !== null || row.expires_at <= app.now().toISOString()) return undefined
  if (kind === 'refresh' && row.used_at !== null) return undefined
  return { kind: row.kind, clientId: row.client_id, grantId: row.grant_id, familyId: row.family_id, dpopJkt: row.dpop_jkt, expiresAt: row.expires_at, ...(tag !== undefined ? { changeToken: tag } : {}) }
}

type TokenRow = Selectable<OAuthTokensTable>

/**
 * Access-token rows as last read, by token hash, each tagged with the database's change token
 * (SQLite: `PRAGMA data_version` plus this connection's own writes — see DatabaseHandle). An equal
 * tag proves no row changed since, in this process or another, so the cached row is exactly what
 * a fresh select would return; revocation, family revocation, rotation and erasure are all writes
 * and change the tag. The checks on the row (revoked, expired against the clock now) still run on
 * every use. Only rows that exist are kept, and only access tokens: they are what every vendor
 * read presents. PostgreSQL has no change token and always selects.
 */
const accessRows = new WeakMap<AppContext, Map<string, { readonly tag: string; readonly row: TokenRow }>>()
const MAX_CACHED_TOKENS = 10_000

async function tokenRow(app: AppContext, hash: string, kind: 'access' | 'refresh'): Promise<{ row: TokenRow | undefined; tag?: string }> {
  const database = app.database
  if (!database) return { row: await app.db.selectFrom('oauth_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst() }
  // Taken before the select: a write that lands meanwhile leaves the stored entry already stale.
  const tag = kind === 'access' ? database.changeToken?.() : undefined
  let cache = accessRows.get(app)
  if (tag !== undefined) {
    if (!cache) accessRows.set(app, (cache = new Map()))
    const hit = cache.get(hash)
    if (hit?.tag === tag) return { row: hit.row, tag }
  }
  const row = (await tokenByHash(app, database).run([hash]))[0]
  if (tag === undefined) return { row }
  if (cache && row) {
    if (cache.size >= MAX_CACHED_TOKENS) cache.clear()
    cache.set(hash, { tag, row: Object.freeze(row) })
  }
  return { row, tag }
}

/** Every vendor request looks its token up: one statement compiled once per app (see HotQuery). */
const tokenLookups = new WeakMap<AppContext, HotQuery<OAuthTokensTable>>()
function tokenByHash(app: AppContext, database: NonNullable<AppContext['database']>): HotQuery<OAuthTokensTable> {
  let query = tokenLookups.get(app)
  if (!query) tokenLookups.set(app, (query = new HotQuery(database, app.db.selectFrom('oauth_tokens').selectAll().where('token_hash', '=', ''))))
  return query
}

export type RotationOutcome =
  | { readonly ok: true; readonly record: TokenRecord; readonly tokens: IssuedTokens }
  | { readonly ok: false; readonly reason: 'unknown' | 'reused' | 'client_mismatch' }

/**
 * Uses a refresh token once: marks it used and issues a new pair in the same family, in one
 * transaction with a conditional update, so two concurrent uses cannot both succeed (also across
 * processes). A second use of a used token revokes the family (reuse detection).
 */
export async function rotateRefreshToken(app: AppContext, token: string, clientId: string, dpopJkt: string | null): Promise<RotationOutcome> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512) return { ok: false, reason: 'unknown' }
  const hash = app.vault.hashSecret(token)
  const now = app.now().toISOString()
  const row = await app.db.selectFrom('oauth_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst()
  if (!row || row.kind !== 'refresh') return { ok: false, reason: 'unknown' }
  if (row.client_id !== clientId) return { ok: false, reason: 'client_mismatch' }
  if (row.used_at !== null) {
    await revokeFamily(app, row.family_id)
    return { ok: false, reason: 'reused' }
  }
  if (row.revoked_at !== null || row.expires_at <= now) return { ok: false, reason: 'unknown' }
  // Claim and successor commit together: were the new pair not written (database full, connection
  // lost), the old token must stay unused, or the vendor's retry would count as reuse and kill the family.
  const tokens = await app.db.transaction().execute(async (trx) => {
    const claimed = await trx.updateTable('oauth_tokens').set({ used_at: now }).where('token_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst()
    if (Number(claimed.numUpdatedRows) !== 1) return undefined
    // The new refresh token keeps the family's DPoP binding (RFC 9449 §5: refresh tokens of public
    // clients stay bound; for confidential clients the binding of the access token follows the proof).
    return issueTokens({ ...app, db: trx }, { clientId, grantId: row.grant_id, dpopJkt: dpopJkt ?? row.dpop_jkt, familyId: row.family_id, refreshExpiresAt: row.expires_at })
  })
  if (!tokens) {
    // Lost a race with a concurrent use of the same token: that is reuse too.
    await revokeFamily(app, row.family_id)
    return { ok: false, reason: 'reused' }
  }
  const record: TokenRecord = { kind: 'refresh', clientId: row.client_id, grantId: row.grant_id, familyId: row.family_id, dpopJkt: row.dpop_jkt, expiresAt: row.expires_at }
  return { ok: true, record, tokens }
}

/** Revokes every token of a family (refresh reuse, authorization-code reuse). */
export async function revokeFamily(app: AppContext, familyId: string): Promise<void> {
  await app.db.updateTable('oauth_tokens').set({ revoked_at: app.now().toISOString() }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute()
}

/** Revokes every token issued under a grant (the owner revoked the grant). */
export async function revokeGrantTokens(app: AppContext, grantId: string): Promise<void> {
  await app.db.updateTable('oauth_tokens').set({ revoked_at: app.now().toISOString() }).where('grant_id', '=', grantId).where('revoked_at', 'is', null).execute()
}

/** RFC 7009: revokes one token (and, for a refresh token, its family); unknown tokens are ignored. */
export async function revokeToken(app: AppContext, token: string, clientId: string): Promise<void> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512) return
  const hash = app.vault.hashSecret(token)
  const row = await app.db.selectFrom('oauth_tokens').select(['family_id', 'client_id', 'kind']).where('token_hash', '=', hash).executeTakeFirst()
  // RFC 7009 §2.1: a token of another client is not revoked, and the answer is the same 200.
  if (!row || row.client_id !== clientId) return
  if (row.kind === 'refresh') await revokeFamily(app, row.family_id)
  else await app.db.updateTable('oauth_tokens').set({ revoked_at: app.now().toISOString() }).where('token_hash', '=', hash).execute()
}
