import type { AuditEntryInput } from './audit-entry.js'

/** One refusal as the access log records it: who, which grant, and the stable reason code. */
export interface Refusal {
  /** `vendor:<id>`, or `system` when the request cannot be attributed (a token that matches nothing). */
  readonly actor: string
  readonly vendorId?: string
  readonly grantId?: string
  /** The stable code, e.g. ERR_GRANT_REVOKED. */
  readonly detail: string
  /** `grant.refused` (the default: an attempt on a grant) or `request.refused` (an authorization request). */
  readonly action?: 'grant.refused' | 'request.refused'
  /** The refused purposes, for a request refused for its purposes. */
  readonly purposes?: readonly string[]
}

export interface RefusalBurstDeps {
  /** Appends an entry durably (AuditLog.appendDurable). */
  readonly append: (input: AuditEntryInput) => Promise<unknown>
  readonly now: () => Date
  /** How long one burst window lasts (default one minute). */
  readonly windowMs?: number
}

interface Burst {
  readonly refusal: Refusal
  readonly start: number
  /** Refusals after the first in this window, not yet written. */
  counted: number
}

const WINDOW_MS = 60_000
/** Open bursts kept at most; beyond, every pending count is written and the windows start afresh. */
const MAX_BURSTS = 10_000

const entryOf = ({ action, purposes, ...refusal }: Refusal, count: number): AuditEntryInput => ({
  action: action ?? 'grant.refused',
  outcome: 'refused',
  ...refusal,
  ...(purposes !== undefined ? { purposes: [...purposes] } : {}),
  ...(count > 1 ? { count } : {}),
})

/**
 * Aggregates refusals so a flood cannot grow the access log without bound (issue "P1 — Trust").
 *
 * Per (action, actor, grant, reason, purposes): the first refusal in a window is written at once and durably — the
 * caller answers only after it, as with every vendor entry (promise 19). Further ones in the same
 * window are only counted; the count is written as one entry (`count`) when the window closes (a
 * timer), at the next refusal after it, or when the vault locks or closes ({@link flush}). So a
 * vendor hammering a revoked grant adds at most two entries a minute, and the counts still add up
 * to every refusal. A counted refusal answers before its count is durable: a refusal releases no
 * data, so there is nothing the entry must precede.
 */
export class RefusalBurst {
  readonly #deps: RefusalBurstDeps
  readonly #windowMs: number
  readonly #bursts = new Map<string, Burst>()
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(deps: RefusalBurstDeps) {
    this.#deps = deps
    this.#windowMs = deps.windowMs ?? WINDOW_MS
  }

  /** Records one refusal; resolves once it is durable, or at once when it is counted into an open window. */
  async refuse(refusal: Refusal): Promise<void> {
    const key = [
      refusal.action ?? 'grant.refused',
      refusal.actor,
      refusal.grantId ?? '',
      refusal.detail,
      ...(refusal.purposes ?? []),
    ].join('\n')
    const at = this.#deps.now().getTime()
    const open = this.#bursts.get(key)
    if (open && at >= open.start && at < open.start + this.#windowMs) {
      open.counted++
      this.#arm()
      return
    }
    if (open) {
      // The closed window's count goes first, so the log stays in order.
      this.#bursts.delete(key)
      this.#write(open)
    }
    if (this.#bursts.size >= MAX_BURSTS) void this.flush()
    const burst: Burst = { refusal, start: at, counted: 0 }
    this.#bursts.set(key, burst)
    try {
      await this.#deps.append(entryOf(refusal, 1))
    } catch (err) {
      // Not written: no window is open, so the next refusal tries again instead of being counted.
      if (this.#bursts.get(key) === burst) this.#bursts.delete(key)
      this.#carry(key, refusal, burst.counted)
      throw err
    }
  }

  /** Writes every pending count now (lock, close, restore) and waits until they are durable. */
  async flush(): Promise<void> {
    this.#clearTimer()
    const pending = [...this.#bursts.values()]
    this.#bursts.clear()
    await Promise.all(pending.map((burst) => this.#write(burst)))
  }

  /** Writes a burst's count, if any; a count that cannot be written is kept for the next flush. */
  #write(burst: Burst): Promise<void> {
    const { counted, refusal } = burst
    if (counted === 0) return Promise.resolve()
    return this.#deps.append(entryOf(refusal, counted)).then(
      () => undefined,
      () =>
        this.#carry(
          `${refusal.actor}\n${refusal.grantId ?? ''}\n${refusal.detail}`,
          refusal,
          counted,
        ),
    )
  }

  /** Keeps `counted` refusals pending under `key` (a write failed), in a window that is already closed. */
  #carry(key: string, refusal: Refusal, counted: number): void {
    if (counted === 0) return
    const open = this.#bursts.get(key)
    if (open) open.counted += counted
    else this.#bursts.set(key, { refusal, start: -Infinity, counted })
    this.#arm()
  }

  /** One timer for all bursts: when it fires, closed windows with a count are written. */
  #arm(): void {
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#closeWindows()
    }, this.#windowMs)
    // Pending counts must not keep a process alive; close() and lock() write them anyway.
    this.#timer.unref?.()
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #closeWindows(): void {
    const at = this.#deps.now().getTime()
    let pending = false
    for (const [key, burst] of this.#bursts) {
      if (at < burst.start + this.#windowMs) {
        pending ||= burst.counted > 0
        continue
      }
      this.#bursts.delete(key)
      void this.#write(burst)
    }
    // A window still open by the vault's clock (a test's fake clock, say) is looked at again later.
    if (pending) this.#arm()
  }
}
