import { z } from 'zod'

/**
 * One sliding window of a rate limit: at most `max` events in any `seconds` seconds.
 *
 * @example
 * RateWindow.parse({ max: 10, seconds: 3600 }) // ten an hour
 */
export const RateWindow = z
  .object({
    max: z.number().int().min(1).max(1_000_000),
    seconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86400),
  })
  .strict()
export type RateWindow = z.output<typeof RateWindow>

/**
 * The limits that keep one client or vendor from flooding the owner's vault (issue "P1 —
 * Trust", finding 2). Over a limit the answer is 429 with Retry-After (RFC 6585 §4, RFC 9110
 * §10.2.3). Every count is kept in the database, so several servers on one database share them.
 *
 * - `registrationsPerAddress`: dynamic client registrations (RFC 7591) from one client address
 *   (see `trustedProxies` for what the address is) — default 10 an hour;
 * - `registrations`: all registrations, whatever the address — default 30 an hour (a vault
 *   meets a few vendors a month; each registration is listed on the owner's Connections page);
 * - `appendsPerVendor`: receipts one vendor may add to the owner's inbox (POST /v1/purchases) —
 *   default 120 an hour;
 * - `pendingPerVendor`: receipts of one vendor that may wait for the owner's review at once —
 *   default 100; the next is refused (429 `ERR_INBOX_FULL`) until the owner decides some.
 * - `authorizationRequestsPerClient` / `authorizationRequests`: unexpired authorization requests
 *   stored at once — pushed (PAR) or waiting for the owner's decision — for one client and in
 *   all; defaults 20 and 200. The next one is refused at /oauth/par and /oauth/authorize (429
 *   `temporarily_unavailable`, RFC 9126 §2.3) until one is used or expires (minutes).
 */
export const Limits = z
  .object({
    registrationsPerAddress: RateWindow.default({ max: 10, seconds: 3600 }),
    registrations: RateWindow.default({ max: 30, seconds: 3600 }),
    appendsPerVendor: RateWindow.default({ max: 120, seconds: 3600 }),
    pendingPerVendor: z.number().int().min(1).max(100_000).default(100),
    authorizationRequestsPerClient: z.number().int().min(1).max(100_000).default(20),
    authorizationRequests: z.number().int().min(1).max(1_000_000).default(200),
  })
  .strict()
export type Limits = z.output<typeof Limits>
export type LimitsInput = z.input<typeof Limits>
