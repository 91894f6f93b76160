import { HotQuery } from '@custos/vault/storage'
import type { Selectable } from 'kysely'
import type { StoreContext } from '../app-context.js'
import type { ApiDb, OAuthTokensTable } from '../db/api-schema.js'
import { purgeExpired } from '../db/expired-rows.js'
import { type UnmacedRow, authentic, rowMac } from '../db/stored-rows.js'
import { newSecret } from './new-secret.js'

/**
 * The token store (SECURITY.md promises 14–17). Tokens are 32 random bytes, base64url; only
 * `vault.hashSecret(token)` is stored, so a database dump yields no usable token, and lookups
 * by keyed hash compare nothing secret in JavaScript.
 *
 * Every access and refresh token belongs to a *family* (one authorization code's descendants).
 * Refresh tokens rotate: each use returns a new pair and marks the old one used; presenting a used
 * refresh token again is reuse — RFC 9700 §4.14.2 — and revokes the whole family.
 *
 * Every row carries the vault's MAC (db/stored-rows.ts: what it binds, and what a rollback of one
 * row can and cannot do), set on every write and checked on every read before the row is
 * believed; a row that fails is treated as no row (and the operator told).
 */
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
  /** When the token was issued (introspection's `iat`), from the checked row. */
  readonly issuedAt: string
  /** The database's change token taken right before the lookup (SQLite; see the lookup cache below). */
  readonly changeToken?: string
}

/** A pair to issue for a grant: a new family unless `familyId` is given. */
export interface NewTokens {
  readonly clientId: string
  readonly grantId: string
  readonly dpopJkt: string | null
  readonly familyId?: string
  readonly refreshExpiresAt?: string
  readonly grantExpiresAt?: string
}

/**
 * Why a stored token is not live — for the access log only: callers still answer exactly as for a
 * token that matches nothing (`invalid_token`, `invalid_grant`), so a vendor learns nothing more.
 */
export type DeadTokenReason = 'ERR_TOKEN_REVOKED' | 'ERR_TOKEN_EXPIRED' | 'ERR_TOKEN_USED'

/** A token looked up: live, known but dead (and why), or matching no row of `kind`. */
export type TokenLookup =
  | { readonly live: true; readonly record: TokenRecord; readonly reason?: undefined }
  | { readonly live: false; readonly record: TokenRecord; readonly reason: DeadTokenReason }
  | { readonly live: false; readonly record?: undefined; readonly reason?: undefined }

export type RotationOutcome =
  | { readonly ok: true; readonly record: TokenRecord; readonly tokens: IssuedTokens }
  | { readonly ok: false; readonly reason: 'unknown' | 'reused' | 'client_mismatch' }

type TokenKind = 'access' | 'refresh'
type TokenRow = Selectable<OAuthTokensTable>

const MAX_TOKEN_LENGTH = 512
const MAX_CACHED_TOKENS = 10_000

const usable = (token: unknown): token is string =>
  typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN_LENGTH

/**
 * @example
 * const tokens = new TokenStore(ctx)
 * const { accessToken } = await tokens.issue({ clientId, grantId, dpopJkt: null })
 * const found = await tokens.lookup(accessToken, 'access') // { live: true, record }
 */
export class TokenStore {
  readonly #app: StoreContext
  /**
   * Access-token rows as last read, by token hash, each tagged with the database's change token
   * (SQLite: `PRAGMA data_version` plus this connection's own writes — see DatabaseHandle). An
   * equal tag proves no row changed since, in this process or another, so the cached row is
   * exactly what a fresh select would return; revocation, family revocation, rotation and erasure
   * are all writes and change the tag. The checks on the row (revoked, expired against the clock
   * now) still run on every use; its MAC was checked when it was cached, and an equal tag proves
   * it is still the row that was checked. Only authentic rows are kept, and only access tokens:
   * they are what every vendor read presents. PostgreSQL has no change token and always selects
   * (and checks). One cache per store, so per app: it goes with the app.
   */
  readonly #accessRows = new Map<string, { readonly tag: string; readonly row: TokenRow }>()
  /** Every vendor request looks its token up: one statement compiled once per store (see HotQuery). */
  readonly #byHash: HotQuery<OAuthTokensTable> | undefined

  constructor(app: StoreContext) {
    this.#app = app
    this.#byHash = app.database
      ? new HotQuery(
          app.database,
          app.db.selectFrom('oauth_tokens').selectAll().where('token_hash', '=', ''),
        )
      : undefined
  }

  /** Issues an access + refresh token pair for a grant (a new family unless `familyId` is given). */
  issue(input: NewTokens): Promise<IssuedTokens> {
    return this.#issue(this.#app.db, input)
  }

  /**
   * Looks a token of `kind` up: live (known, unexpired, not revoked, and for refresh tokens not yet
   * used), or why not — so a request with a dead token can be logged as a refusal of that token's
   * client and grant (issue "P1 — Trust").
   */
  async lookup(token: string, kind: TokenKind): Promise<TokenLookup> {
    if (!usable(token)) return { live: false }
    const { row, tag } = await this.#row(this.#app.vault.hashSecret(token), kind)
    if (!row || row.kind !== kind) return { live: false }
    const record: TokenRecord = {
      ...recordOf(row),
      ...(tag !== undefined ? { changeToken: tag } : {}),
    }
    // A used refresh token first: presenting it again is reuse (RFC 9700 §4.14.2), revoked or not.
    const reason: DeadTokenReason | undefined =
      kind === 'refresh' && row.used_at !== null
        ? 'ERR_TOKEN_USED'
        : row.revoked_at !== null
          ? 'ERR_TOKEN_REVOKED'
          : row.expires_at <= this.#app.now().toISOString()
            ? 'ERR_TOKEN_EXPIRED'
            : undefined
    return reason === undefined ? { live: true, record } : { live: false, record, reason }
  }

  /**
   * Finds a live token of `kind` (see {@link lookup}). Undefined otherwise: callers answer
   * `invalid_token` / `invalid_grant` without saying which check failed.
   */
  async find(token: string, kind: TokenKind): Promise<TokenRecord | undefined> {
    const found = await this.lookup(token, kind)
    return found.live ? found.record : undefined
  }

  /**
   * Uses a refresh token once: marks it used and issues a new pair in the same family, in one
   * transaction with a conditional update, so two concurrent uses cannot both succeed (also across
   * processes). A second use of a used token revokes the family (reuse detection).
   */
  async rotateRefresh(
    token: string,
    clientId: string,
    dpopJkt: string | null,
    grantExpiresAt?: string,
  ): Promise<RotationOutcome> {
    if (!usable(token)) return { ok: false, reason: 'unknown' }
    const app = this.#app
    const hash = app.vault.hashSecret(token)
    const now = app.now().toISOString()
    const row = this.#checked(
      await app.db
        .selectFrom('oauth_tokens')
        .selectAll()
        .where('token_hash', '=', hash)
        .executeTakeFirst(),
    )
    if (row?.kind !== 'refresh') return { ok: false, reason: 'unknown' }
    if (row.client_id !== clientId) return { ok: false, reason: 'client_mismatch' }
    if (row.used_at !== null) {
      await this.revokeFamily(row.family_id)
      return { ok: false, reason: 'reused' }
    }
    if (row.revoked_at !== null || row.expires_at <= now) return { ok: false, reason: 'unknown' }
    // Claim and successor commit together: were the new pair not written (database full, connection
    // lost), the old token must stay unused, or the vendor's retry would count as reuse and kill the family.
    const { row_mac: checkedMac, ...values } = row
    const tokens = await app.db.transaction().execute(async (trx) => {
      // Guarded by the MAC that was checked: a row changed since (revoked, claimed) is not claimed.
      const claimed = await trx
        .updateTable('oauth_tokens')
        .set({ used_at: now, row_mac: rowMac(app, 'oauth_tokens', { ...values, used_at: now }) })
        .where('token_hash', '=', hash)
        .where('used_at', 'is', null)
        .where('row_mac', '=', checkedMac as Uint8Array)
        .executeTakeFirst()
      if (Number(claimed.numUpdatedRows) !== 1) return undefined
      // The new pair is bound to the key of this refresh's proof (RFC 9449 §5; token.ts has already
      // required it to be the family's key for a public client), else keeps the family's binding.
      return this.#issue(trx, {
        clientId,
        grantId: row.grant_id,
        dpopJkt: dpopJkt ?? row.dpop_jkt,
        familyId: row.family_id,
        refreshExpiresAt: row.expires_at,
        ...(grantExpiresAt !== undefined ? { grantExpiresAt } : {}),
      })
    })
    if (!tokens) {
      // Lost a race with a concurrent use of the same token: that is reuse too.
      await this.revokeFamily(row.family_id)
      return { ok: false, reason: 'reused' }
    }
    return { ok: true, record: recordOf(row), tokens }
  }

  /** Revokes every token of a family (refresh reuse, authorization-code reuse). */
  revokeFamily(familyId: string): Promise<void> {
    return this.#revokeWhere('family_id', familyId)
  }

  /** Revokes every token issued under a grant (the owner revoked the grant). */
  revokeGrant(grantId: string): Promise<void> {
    return this.#revokeWhere('grant_id', grantId)
  }

  /** RFC 7009: revokes one token (and, for a refresh token, its family); unknown tokens are ignored. */
  async revoke(token: string, clientId: string): Promise<void> {
    if (!usable(token)) return
    const hash = this.#app.vault.hashSecret(token)
    const row = this.#checked(
      await this.#app.db
        .selectFrom('oauth_tokens')
        .selectAll()
        .where('token_hash', '=', hash)
        .executeTakeFirst(),
    )
    // RFC 7009 §2.1: a token of another client is not revoked, and the answer is the same 200.
    if (!row || row.client_id !== clientId) return
    if (row.kind === 'refresh') await this.revokeFamily(row.family_id)
    else await this.#revokeWhere('token_hash', hash)
  }

  /** Issues a pair on `db`: the store's database, or the transaction of a rotation. */
  async #issue(db: ApiDb, input: NewTokens): Promise<IssuedTokens> {
    const app = this.#app
    const now = app.now()
    const familyId = input.familyId ?? newSecret()
    const accessToken = newSecret()
    const refreshToken = newSecret()
    // An access token never outlives its grant, and `expires_in` says so (RFC 6749 §5.1): a vendor
    // told 600 s while the grant ends in 60 would act on a token that is dead long before.
    const grantEnds =
      input.grantExpiresAt === undefined
        ? Number.POSITIVE_INFINITY
        : Date.parse(input.grantExpiresAt)
    const accessSeconds = Math.max(
      0,
      Math.min(app.config.accessTokenSeconds, Math.floor((grantEnds - now.getTime()) / 1000)),
    )
    const accessExpires = new Date(now.getTime() + accessSeconds * 1000).toISOString()
    const refreshExpires =
      input.refreshExpiresAt ??
      new Date(now.getTime() + app.config.refreshTokenSeconds * 1000).toISOString()
    const base = {
      client_id: input.clientId,
      grant_id: input.grantId,
      family_id: familyId,
      dpop_jkt: input.dpopJkt,
      revoked_at: null,
      used_at: null,
      created_at: now.toISOString(),
    }
    const rows: UnmacedRow<'oauth_tokens'>[] = [
      {
        ...base,
        token_hash: app.vault.hashSecret(accessToken),
        kind: 'access',
        expires_at: accessExpires,
      },
      {
        ...base,
        token_hash: app.vault.hashSecret(refreshToken),
        kind: 'refresh',
        expires_at: refreshExpires,
      },
    ]
    // Tokens dead for a day go, a few per pair issued (the day keeps them for the access log's reasons).
    await purgeExpired(db, 'oauth_tokens', new Date(now.getTime() - 86400_000))
    await db
      .insertInto('oauth_tokens')
      .values(rows.map((row) => ({ ...row, row_mac: rowMac(app, 'oauth_tokens', row) })))
      .execute()
    return { accessToken, refreshToken, expiresIn: accessSeconds, familyId }
  }

  /** The row of `hash`, from the lookup cache when the change token proves it current (see #accessRows). */
  async #row(hash: string, kind: TokenKind): Promise<{ row: TokenRow | undefined; tag?: string }> {
    const database = this.#app.database
    if (!database || !this.#byHash)
      return {
        row: this.#checked(
          await this.#app.db
            .selectFrom('oauth_tokens')
            .selectAll()
            .where('token_hash', '=', hash)
            .executeTakeFirst(),
        ),
      }
    // Taken before the select: a write that lands meanwhile leaves the stored entry already stale.
    const tag = kind === 'access' ? database.changeToken?.() : undefined
    if (tag !== undefined) {
      const hit = this.#accessRows.get(hash)
      if (hit?.tag === tag) return { row: hit.row, tag }
    }
    const row = this.#checked((await this.#byHash.run([hash]))[0])
    if (tag === undefined) return { row }
    if (row) {
      if (this.#accessRows.size >= MAX_CACHED_TOKENS) this.#accessRows.clear()
      this.#accessRows.set(hash, { tag, row: Object.freeze(row) })
    }
    return { row, tag }
  }

  /** The row if the vault vouches for it; a row that fails its MAC is no row (db/stored-rows.ts). */
  #checked(row: TokenRow | undefined): TokenRow | undefined {
    return row && authentic(this.#app, 'oauth_tokens', row) ? row : undefined
  }

  /**
   * Revokes the live tokens whose `column` equals `value` — a family (refresh or code reuse), a
   * grant (the owner revoked it), or one token (RFC 7009) — in one transaction, row by row: each
   * row is checked, then written back with `revoked_at` and its new MAC. A bulk UPDATE could not
   * re-MAC, and a MAC must never be made for a row nobody checked: a row that fails its check is
   * left as it is (it is refused on every read anyway; re-MACing it would launder the edit).
   * Expired tokens are left too: nothing can use them again, and no copy can extend their expiry.
   *
   * On PostgreSQL the rows are locked (FOR UPDATE) so a concurrent rotation waits; every update is
   * also guarded by the MAC that was checked, so a row changed meanwhile is never overwritten with
   * one computed from stale values.
   */
  async #revokeWhere(
    column: 'family_id' | 'grant_id' | 'token_hash',
    value: string,
  ): Promise<void> {
    const app = this.#app
    const now = app.now().toISOString()
    await app.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('oauth_tokens')
        .selectAll()
        .where(column, '=', value)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .$if(app.database?.engine === 'postgres', (q) => q.forUpdate())
        .execute()
      for (const row of rows) {
        if (!authentic(app, 'oauth_tokens', row)) continue
        const { row_mac: checkedMac, ...values } = row
        await trx
          .updateTable('oauth_tokens')
          .set({
            revoked_at: now,
            row_mac: rowMac(app, 'oauth_tokens', { ...values, revoked_at: now }),
          })
          .where('token_hash', '=', row.token_hash)
          .where('row_mac', '=', checkedMac as Uint8Array)
          .execute()
      }
    })
  }
}

function recordOf(row: TokenRow): TokenRecord {
  return {
    kind: row.kind,
    clientId: row.client_id,
    grantId: row.grant_id,
    familyId: row.family_id,
    dpopJkt: row.dpop_jkt,
    expiresAt: row.expires_at,
    issuedAt: row.created_at,
  }
}
