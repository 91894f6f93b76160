import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { AppContext } from '../app-context.js'
import type { RateWindow } from './limits-config.js'

/**
 * Over a rate limit: answered 429 with `Retry-After` (RFC 6585 §4; RFC 9110 §10.2.3) by
 * problem.ts. The message is fixed text; `retryAfterSeconds` is at least 1.
 */
export class RateLimitedError extends Error {
  static readonly code = 'ERR_RATE_LIMITED'
  readonly code = 'ERR_RATE_LIMITED'
  readonly retryAfterSeconds: number
  constructor(retryAfterSeconds: number, message = 'Too many requests; try again later') {
    super(message)
    this.name = 'RateLimitedError'
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds))
  }
}

/** One limit to check: events are counted per `bucket` in a sliding `window`. */
export interface RateLimit {
  readonly bucket: string
  readonly window: RateWindow
}

/**
 * Sliding-window rate limits kept in the database (`rate_events`), so every server on one
 * database counts the same events — per-process counters would multiply a limit by the number of
 * servers. One transaction per check: count the bucket's events in the window, and record the new
 * one only when there is room, so a refused request leaves nothing behind and hammering a limit
 * does not extend it. Checks of one bucket are serialized — on PostgreSQL by a transaction-scoped
 * advisory lock on the bucket's name (taken in name order, so two checks never wait on each other
 * in a cycle); on SQLite the single connection runs one transaction at a time — which makes the
 * count exact: a burst can neither get more than `max` through nor, by counting its own refused
 * attempts, fewer. Expired events are swept on the way (`expires_at`).
 *
 * @example
 * await new RateLimiter(app).hit({ bucket: `append:${vendorId}`, window: { max: 120, seconds: 3600 } })
 */
export class RateLimiter {
  readonly #app: AppContext
  constructor(app: AppContext) {
    this.#app = app
  }

  /**
   * Counts one event in every given bucket, or in none: throws {@link RateLimitedError} (with
   * the longest wait) when any of them is already full.
   */
  async hit(...limits: readonly RateLimit[]): Promise<void> {
    const now = this.#app.now()
    const at = now.toISOString()
    await this.#app.db.deleteFrom('rate_events').where('expires_at', '<=', at).execute()
    const postgres = this.#app.database?.engine === 'postgres'
    await this.#app.db.transaction().execute(async (trx) => {
      if (postgres) {
        for (const bucket of [...new Set(limits.map((l) => l.bucket))].sort())
          await sql`select pg_advisory_xact_lock(hashtextextended(${`custos/rate/${bucket}`}, 0))`.execute(
            trx,
          )
      }
      let waitSeconds = 0
      for (const { bucket, window } of limits) {
        const counted = await trx
          .selectFrom('rate_events')
          .select((eb) => [
            eb.fn.countAll<number | string>().as('events'),
            eb.fn.min('at').as('oldest'),
          ])
          .where('bucket', '=', bucket)
          .where('at', '>', new Date(now.getTime() - window.seconds * 1000).toISOString())
          .executeTakeFirstOrThrow()
        if (Number(counted.events) < window.max) continue
        // A place frees when the oldest event in the window leaves it.
        const oldest =
          typeof counted.oldest === 'string' ? Date.parse(counted.oldest) : now.getTime()
        waitSeconds = Math.max(waitSeconds, (oldest + window.seconds * 1000 - now.getTime()) / 1000)
      }
      if (waitSeconds > 0) throw new RateLimitedError(waitSeconds)
      await trx
        .insertInto('rate_events')
        .values(
          limits.map(({ bucket, window }) => ({
            id: randomBytes(16).toString('base64url'),
            bucket,
            at,
            expires_at: new Date(now.getTime() + window.seconds * 1000).toISOString(),
          })),
        )
        .execute()
    })
  }
}
