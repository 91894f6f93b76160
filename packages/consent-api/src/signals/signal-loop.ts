import type { SignalDelivery } from './signal-delivery.js'

/**
 * The background side of push delivery: one pass every `intervalMs`, never two at once, until
 * `stop` aborts. The timer does not keep the process alive (unref): stopping the server is enough.
 * A failing pass (the database gone, a storage fault) is reported and the next one tries again.
 */
export function startSignalLoop(
  delivery: SignalDelivery,
  options: { readonly intervalMs?: number; readonly stop?: AbortSignal },
  onError: ((err: unknown) => void) | undefined,
): void {
  const every = Math.max(50, options.intervalMs ?? 250)
  const timer = setInterval(() => {
    delivery.deliverDue().catch((err: unknown) => onError?.(err))
  }, every)
  timer.unref()
  options.stop?.addEventListener('abort', () => clearInterval(timer), { once: true })
}
