import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { AppContext } from '../app-context.js'

/**
 * The address a request came from, for per-client limits: the TCP peer of the socket, as
 * @hono/node-server hands it to the app (`getConnInfo`). `X-Forwarded-For` is believed only for
 * the `trustedProxies` hops the configuration names: each proxy appends the address it saw, so
 * with N trusted proxies the client is the N-th entry from the right — entries further left were
 * written by the client itself and would let it pick a fresh address per request.
 * Undefined when the app runs without a socket (in-process `app.request`, another runtime).
 */
export function clientAddress(c: Context, trustedProxies: number): string | undefined {
  let peer: string | undefined
  try {
    peer = getConnInfo(c).remote.address
  } catch {
    // No node socket behind this request.
    peer = undefined
  }
  if (trustedProxies === 0) return peer
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
  // Fewer hops than proxies: the request did not come through all of them; the peer is what is known.
  return hops.length >= trustedProxies ? hops[hops.length - trustedProxies] : peer
}

/**
 * The part of a rate-limit bucket name that stands for the request's client: a keyed hash of its
 * address (rate_events never holds an address), or `unknown` when there is no socket.
 */
export function addressKey(app: AppContext, c: Context): string {
  const address = clientAddress(c, app.config.trustedProxies)
  return address === undefined
    ? 'unknown'
    : app.vault.hashSecret(`custos/rate-address/v1:${address}`)
}
