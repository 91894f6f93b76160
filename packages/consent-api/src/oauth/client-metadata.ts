import { z } from 'zod'
import { agreementOf } from '../terms/roster.js'
import { redirectUriProblem } from './redirect-uri.js'

/**
 * RFC 7591 §2 client metadata, as Custos accepts it. Redirect URIs are matched exactly later
 * (RFC 9700 §2.1); their rules are in redirect-uri.ts.
 */
const RedirectUri = z
  .string()
  .max(2000)
  .superRefine((value, ctx) => {
    const problem = redirectUriProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })

/**
 * The name shown to the owner when a client registers none: the host of its first redirect URI
 * (`shop.example`), or the scheme of a private-use one (`com.example.app`, RFC 8252 §7.1).
 */
function defaultClientName(redirectUri: string | undefined): string {
  try {
    const url = new URL(redirectUri ?? '')
    return (url.host || url.protocol.slice(0, -1)).slice(0, 200)
  } catch {
    return 'Unnamed application' // unreachable: the redirect URIs were validated first
  }
}

function isLoopbackHttp(url: string): boolean {
  // zod runs this refinement even when `.url()` has already failed: a non-URL is no loopback
  // URL (it threw, and an unparsable endpoint became a 500 instead of invalid_client_metadata).
  if (!URL.canParse(url)) return false
  const host = new URL(url).hostname
  return host === '127.0.0.1' || host === '[::1]' || host === 'localhost'
}

/** A public JWK Set, as private_key_jwt clients register it (RFC 7591 `jwks`). */
const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) })

export const ClientMetadata = z
  .object({
    redirect_uris: z.array(RedirectUri).min(1).max(10),
    /** RFC 7591 §2 makes it optional: without one, the vendor is named after its redirect URI (below). */
    client_name: z.string().trim().min(1).max(200).optional(),
    client_uri: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    logo_uri: z
      .url({ protocol: /^https$/ })
      .max(2000)
      .optional(),
    contacts: z.array(z.string().trim().min(1).max(200)).max(10).optional(),
    /** RFC 7591 §2: the vendor's privacy policy, the `policyUrl` of its consent receipts (receipts/receipt.ts). */
    policy_uri: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    tos_uri: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    /** `none`: a public client (native or single-page app, RFC 8252 §8.4); its tokens are DPoP-bound. */
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'])
      .default('client_secret_basic'),
    grant_types: z
      .array(z.enum(['authorization_code', 'refresh_token']))
      .min(1)
      .default(['authorization_code', 'refresh_token']),
    response_types: z.array(z.literal('code')).min(1).default(['code']),
    jwks: Jwks.optional(),
    jwks_uri: z
      .url({ protocol: /^https$/ })
      .max(2000)
      .optional(),
    /** RFC 9449 §5.2: when true, every access token of this client must be DPoP-bound. */
    dpop_bound_access_tokens: z.boolean().default(false),
    /** Custos extension: an X25519 public key (32 bytes, base64url) for sealed responses. */
    custos_x25519_public_key: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, '32 bytes, base64url')
      .optional(),
    /**
     * Custos extension (issue 12): where the vault pushes Security Event Tokens (RFC 8935) — https,
     * or http on a loopback address for a vendor on the same computer; without it, the vendor
     * polls (RFC 8936, POST /oauth/events).
     */
    custos_events_endpoint: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .refine(
        (u) => u.startsWith('https://') || isLoopbackHttp(u),
        'https, or http on a loopback address (127.0.0.1, [::1], localhost)',
      )
      .optional(),
    scope: z.string().max(2000).optional(),
    /** Custos extension (IEEE 7012, issue 12): the MyTerms roster agreements this vendor accepts. */
    myterms_accepted: z
      .array(z.string().max(64))
      .max(20)
      .refine((ids) => ids.every((id) => agreementOf(id) !== undefined), {
        message: 'unknown agreement: name agreements of the MyTerms roster',
      })
      .optional(),
    /**
     * Custos extension (IEEE 7012, issue 12): the URL of the MyTerms document the vendor serves
     * (tinyMyTerms shape, `agreements[{id,url}]`; terms/vendor-terms-document.ts) — https, or http
     * on a loopback address, as for the events endpoint. Read at registration and when stale;
     * `myterms_accepted`, when given too, wins and the document is not read.
     */
    myterms_uri: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .refine(
        (u) => u.startsWith('https://') || isLoopbackHttp(u),
        'https, or http on a loopback address (127.0.0.1, [::1], localhost)',
      )
      .describe(
        'Custos (IEEE 7012): the URL of the MyTerms document you serve, { effective_date, agreements: [{ id, url }], tos_url }; read when myterms_accepted is absent',
      )
      .optional(),
    software_id: z.string().max(200).optional(),
    software_version: z.string().max(100).optional(),
  })
  // Unknown metadata is ignored, as RFC 7591 §2 asks of servers, not refused.
  .strip()
  .superRefine((m, ctx) => {
    if (m.token_endpoint_auth_method === 'private_key_jwt' && !m.jwks === !m.jwks_uri) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwks'],
        message: 'private_key_jwt needs exactly one of jwks or jwks_uri',
      })
    }
    if (m.token_endpoint_auth_method !== 'private_key_jwt' && (m.jwks || m.jwks_uri)) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'jwks is only for private_key_jwt' })
    }
  })
  .transform((m) => ({
    ...m,
    client_name: m.client_name ?? defaultClientName(m.redirect_uris[0]),
    // A public client proves nothing at the token endpoint, so a stolen refresh or access token
    // must be useless without its key (RFC 9449 §5, RFC 9700 §4.14.2): DPoP is required of it.
    dpop_bound_access_tokens: m.dpop_bound_access_tokens || m.token_endpoint_auth_method === 'none',
  }))
export type ClientMetadata = z.output<typeof ClientMetadata>
