/**
 * Load generation for the server benchmarks with autocannon (64 connections, bounded duration):
 * plain GETs, and refresh-token grants where every request spends one refresh token and its
 * answer hands back the next — the only way to load a rotating token endpoint honestly.
 */
import autocannon from 'autocannon'

export const CONNECTIONS = 64

export interface LoadResult {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly requests: number
  readonly non2xx: number
  readonly errors: number
}

function summarize(result: autocannon.Result): LoadResult {
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

/**
 * Live refresh tokens waiting for a connection. A request takes one; its 200 answer gives the
 * rotated one back. Requests still in flight when a run stops lose theirs (the server rotated
 * them, the answer is dropped), so the pool must hold a connection's worth more per run.
 */
export class RefreshPool {
  readonly #tokens: string[]
  constructor(tokens: readonly string[]) {
    this.#tokens = [...tokens]
  }
  get size(): number {
    return this.#tokens.length
  }
  take(): string {
    // An empty pool sends a token the server does not know: it shows as a non-2xx answer.
    return this.#tokens.shift() ?? 'pool-exhausted'
  }
  give(token: string): void {
    this.#tokens.push(token)
  }
}

/** The autocannon request that spends one refresh token from `pool` (client_secret_basic). */
export function refreshRequest(pool: RefreshPool, clientAuthorization: string): autocannon.Request {
  return {
    method: 'POST',
    path: '/oauth/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: clientAuthorization,
    },
    setupRequest: (req) => ({
      ...req,
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: pool.take(),
      }).toString(),
    }),
    onResponse: (status, body) => {
      if (status === 200) pool.give((JSON.parse(body) as { refresh_token: string }).refresh_token)
    },
  }
}

/** Runs `requests` in a loop on every connection for `seconds`. */
export async function load(
  base: string,
  requests: autocannon.Request[],
  seconds: number,
): Promise<LoadResult> {
  return summarize(
    await autocannon({ url: base, connections: CONNECTIONS, duration: seconds, requests }),
  )
}

/** GET `path` with `headers` on every connection for `seconds`. */
export function loadGet(
  base: string,
  path: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<LoadResult> {
  return load(base, [{ method: 'GET', path, headers }], seconds)
}
