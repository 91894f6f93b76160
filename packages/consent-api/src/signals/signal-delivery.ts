import type { Signal } from '@custos/vault'
import type { StoreContext } from '../app-context.js'
import type { Stores } from '../store/stores.js'
import { SET_TYP, signSecurityEvent } from './security-event.js'

/**
 * Push delivery of the vault's signals (RFC 8935): each due signal of a vendor that registered a
 * `custos_events_endpoint` is signed as a SET (security-event.ts) and POSTed there as
 * `application/secevent+jwt`. A 202 means delivered and the signal leaves the outbox; anything
 * else is a failure, retried with exponential backoff (1 s doubling, at most an hour apart) —
 * at least once, the same `jti` every time, so the vendor drops a repeat. The outbox is durable
 * (written with the change, vault: signals/signal-outbox.ts), so a crash or a restart loses
 * nothing: delivery resumes from what is still there.
 *
 * The endpoint is the vendor's URL, so the request is bounded like any call to a stranger: a
 * timeout, no redirects followed (a 3xx is a failure: RFC 8935 §2 has the receiver answer 202),
 * the response body never read beyond its first 4 KiB and never stored — only a code.
 * Vendors without an endpoint poll (RFC 8936, oauth/events.ts); a blocked vendor gets nothing.
 */
export interface SignalDeliveryOptions {
  /** The HTTP client (tests pass their own); the platform's fetch by default. */
  readonly fetch?: typeof fetch
  readonly timeoutMs?: number
}

export interface DeliveryStatus {
  /** When this process last delivered a signal to the vendor. */
  readonly lastDeliveredAt?: string
}

const MAX_BACKOFF_SECONDS = 3600
/** How long a polling vendor's signals are left to it before push looks at them again. */
const POLL_DEFER_SECONDS = 600

export function retryDelaySeconds(attempts: number): number {
  return Math.min(2 ** Math.min(attempts, 12), MAX_BACKOFF_SECONDS)
}

export class SignalDelivery {
  readonly #app: StoreContext & { readonly stores: Stores }
  readonly #fetch: typeof fetch
  readonly #timeoutMs: number
  readonly #lastDelivered = new Map<string, string>()
  #running: Promise<number> | undefined
  #again = false

  constructor(
    app: StoreContext & { readonly stores: Stores },
    options: SignalDeliveryOptions = {},
  ) {
    this.#app = app
    this.#fetch = options.fetch ?? fetch
    this.#timeoutMs = options.timeoutMs ?? 5000
  }

  /**
   * Delivers what is due; one pass at a time (a call while one runs makes it go round once more).
   * Resolves with how many signals were delivered. Does nothing while the vault is sealed.
   */
  deliverDue(): Promise<number> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      let delivered = 0
      try {
        do {
          this.#again = false
          delivered += await this.#pass()
        } while (this.#again)
      } finally {
        this.#running = undefined
      }
      return delivered
    })()
    return this.#running
  }

  status(vendorId: string): DeliveryStatus {
    const at = this.#lastDelivered.get(vendorId)
    return at ? { lastDeliveredAt: at } : {}
  }

  async #pass(): Promise<number> {
    const app = this.#app
    if (!app.vault.isUnsealed()) return 0
    const due = await app.vault.signals.due(200)
    if (due.length === 0) return 0
    const byVendor = new Map<string, Signal[]>()
    for (const s of due) byVendor.set(s.vendorId, [...(byVendor.get(s.vendorId) ?? []), s])
    let delivered = 0
    const key = await app.stores.signingKeys.signingKey()
    for (const [vendorId, signals] of byVendor) {
      const client = await app.stores.clients.load(vendorId)
      // No endpoint: the vendor polls; blocked or gone: nothing is sent. Either way the signals
      // step aside for a while, so they never crowd out the vendors that listen.
      if (!client?.eventsEndpoint || (await app.stores.clients.vendorBlocked(vendorId))) {
        await app.vault.signals.defer(
          signals.map((s) => s.id),
          new Date(app.now().getTime() + POLL_DEFER_SECONDS * 1000),
        )
        continue
      }
      for (const signal of signals) {
        const set = await signSecurityEvent(key, signal, app.config.issuer, app.now())
        const outcome = await this.#push(client.eventsEndpoint, set)
        if (outcome === 'delivered') {
          await app.vault.signals.delivered([signal.id], vendorId)
          this.#lastDelivered.set(vendorId, app.now().toISOString())
          delivered++
        } else {
          const retryAt = new Date(app.now().getTime() + retryDelaySeconds(signal.attempts) * 1000)
          await app.vault.signals.failed(signal.id, retryAt, outcome)
          break // in order: the vendor's later signals wait for this one
        }
      }
    }
    return delivered
  }

  /** One POST: 'delivered', or why not as a short code (never the response body). */
  async #push(endpoint: string, set: string): Promise<'delivered' | string> {
    let res: Response
    try {
      res = await this.#fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': `application/${SET_TYP}`, accept: 'application/json' },
        body: set,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (err) {
      return err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'unreachable'
    }
    if (res.status === 202) {
      await res.body?.cancel()
      return 'delivered'
    }
    // RFC 8935 §2.3: a 400 carries { err, description }; keep the code only if it is one.
    let code = `http_${res.status}`
    if (res.status === 400) {
      try {
        const text = (await res.text()).slice(0, 4096)
        const err = (JSON.parse(text) as { err?: unknown }).err
        if (typeof err === 'string' && /^[a-z_]{1,40}$/.test(err)) code = `set_${err}`
      } catch {
        // not JSON: the status says enough
      }
    } else {
      await res.body?.cancel()
    }
    return code
  }
}
