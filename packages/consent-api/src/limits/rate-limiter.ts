import { randomBytes } from 'node:crypto'
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
 * servers. Each event is inserted first and the window counted after: two servers racing for the
 * last place may both be refused, never both admitted (an insert is visible to every count that
 * starts after it). A refused event is deleted again, so hammering a limit does not extend it.
 * Expired events are swept on the way (`expires_at`), keeping the table at one window's worth.
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
   * the longest wait) when any of them is over its limit.
   */
  async hit(...limits: readonly RateLimit[]): Promise<void> {
    const { db } = this.#app
    const now = this.#app.now()
    const at = now.toISOString()
    await db.deleteFrom('rate_events').where('expires_at', '<=', at).execute()
    const ids: string[] = []
    let waitSeconds = 0
    for (const { bucket, window } of limits) {
      const id = randomBytes(16).toString('base64url')
      ids.push(id)
      await db
        .insertInto('rate_events')
        .values({ id, bucket, at, expires_at: new Date(now.getTime() + window.seconds * 1000).toISOString() })
        .execute()
      const since = new Date(now.getTime() - window.seconds * 1000).toISOString()
      const counted = await db
        .selectFrom('rate_events')
        .select((eb) => [eb.fn.countAll<number | string>().as('events'), eb.fn.min('at').as('oldest')])
        .where('bucket', '=', bucket)
        .where('at', '>', since)
        .executeTakeFirstOrThrow()
      if (Number(counted.events) > window.max) {
        // A place frees when the oldest event in the window leaves it.
        const oldest = typeof counted.oldest === 'string' ? Date.parse(counted.oldest) : now.getTime()
        waitSeconds = Math.max(waitSeconds, (oldest + window.seconds * 1000 - now.getTime()) / 1000)
        break
      }
    }
    if (waitSeconds === 0) return
    await db.deleteFrom('rate_events').where('id', 'in', ids).execute()
    throw new RateLimitedError(waitSeconds)
  }
}
