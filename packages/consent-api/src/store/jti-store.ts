import type { StoreContext } from '../app-context.js'

/**
 * The one replay cache for single-use JWT ids — DPoP proofs (RFC 9449 §11.1) and client
 * assertions (RFC 7523 §3 item 7) — shared by every process through the `dpop_jti` table.
 * `claim` inserts the keyed hash of `key` and answers false when it was seen before (the
 * primary key refuses the insert). Expired rows are swept at most once a minute per store (so
 * per app) rather than on every request, keeping a write off the hot path.
 *
 * No row MAC here (unlike every other API table, db/stored-rows.ts), on purpose: a row grants
 * nothing, it only refuses. The one attack on it is removing a row — and deletion is what a MAC
 * cannot stop; an edited expiry or hash amounts to the same removal; a forged row refuses a
 * random `jti` nobody will send. A removed row lets a captured proof or assertion be replayed
 * only inside its own short window (a DPoP proof's `iat` window, an assertion's `exp` at most
 * five minutes ahead), and still only with the rest of what it is checked with (the token it is
 * bound to via `ath`, the client's key).
 *
 * @example
 * await jti.claim(`dpop:${jti}`, expiresAt) // true the first time, false for a replay
 */
export const SWEEP_EVERY_MS = 60_000

export class JtiStore {
  readonly #app: StoreContext
  /** When this store last swept expired rows (ms since the epoch, by the app's clock). */
  #lastSweep = 0

  constructor(app: StoreContext) {
    this.#app = app
  }

  async claim(key: string, expiresAt: Date): Promise<boolean> {
    const app = this.#app
    const now = app.now()
    if (now.getTime() - this.#lastSweep >= SWEEP_EVERY_MS) {
      this.#lastSweep = now.getTime()
      await app.db.deleteFrom('dpop_jti').where('expires_at', '<', now.toISOString()).execute()
    }
    try {
      await app.db
        .insertInto('dpop_jti')
        .values({ jti_hash: app.vault.hashSecret(key), expires_at: expiresAt.toISOString() })
        .execute()
      return true
    } catch {
      return false
    }
  }
}
