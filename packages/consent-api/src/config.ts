import { z } from 'zod'
import { Limits } from './limits/limits-config.js'

/**
 * Configuration of the consent API, parsed once and frozen. The issuer is the server's public
 * base URL: every endpoint in the metadata is derived from it, and `htu` of DPoP proofs and the
 * `aud` of client assertions are checked against it.
 */
export const AppConfig = z
  .object({
    issuer: z
      .url({ protocol: /^https?$/ })
      .refine(
        (u) => !u.endsWith('/') && !u.includes('?') && !u.includes('#'),
        'issuer must have no trailing slash, query or fragment',
      ),
    accessTokenSeconds: z.number().int().min(30).max(3600).default(600),
    refreshTokenSeconds: z
      .number()
      .int()
      .min(300)
      .max(366 * 86400)
      .default(30 * 86400),
    codeSeconds: z.number().int().min(10).max(600).default(60),
    requestUriSeconds: z.number().int().min(10).max(600).default(90),
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(64 * 1024),
    /** Rate limits and the inbox cap (limits/limits-config.ts); every part has a default. */
    limits: Limits.prefault({}),
    /**
     * How many reverse proxies in front of the server append to `X-Forwarded-For`; 0 (the
     * default) means none, and the header is ignored — the socket's address is the client's
     * (limits/client-address.ts). Anything else lets a client choose its own address.
     */
    trustedProxies: z.number().int().min(0).max(5).default(0),
  })
  .strict()
export type AppConfigInput = z.input<typeof AppConfig>
export type AppConfig = Readonly<z.output<typeof AppConfig>>

export function parseConfig(input: AppConfigInput): AppConfig {
  return Object.freeze(AppConfig.parse(input))
}
