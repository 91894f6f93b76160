/**
 * Unlock throttling (SECURITY.md promise 8). Every attempt is counted in the database *before*
 * Argon2 runs — so parallel guesses cannot slip past the limit, a crash mid-derivation counts,
 * and the counter survives restarts and is shared by every process on the same database.
 * From the fifth consecutive failure on, attempts are refused outright until `blockedUntil`,
 * with a delay that doubles each time (30 s, 1 min, 2 min … capped at one hour).
 */
export const FREE_ATTEMPTS = 5
const BASE_DELAY_MS = 30_000
const MAX_DELAY_MS = 60 * 60_000

/** When the attempt numbered `attempt` (1-based, counted before the result is known) unblocks again, if it blocks. */
export function blockedUntilAfter(attempt: number, now: Date): Date | null {
  if (attempt < FREE_ATTEMPTS) return null
  const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt - FREE_ATTEMPTS, 20))
  return new Date(now.getTime() + delay)
}

/** `{ unlockBlockedUntil }` while the stored block lies in the future; nothing once it has passed. */
export function blockedUntil(stored: string | null, now: Date): { unlockBlockedUntil?: string } {
  return stored && new Date(stored) > now ? { unlockBlockedUntil: stored } : {}
}
