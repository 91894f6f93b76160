import { z } from 'zod'
import type { RouteDoc } from '../openapi/openapi-document.js'
import { ClientMetadata } from './client-metadata.js'
import { GrantedDetail } from './granted-access.js'

/**
 * The OAuth endpoints for the OpenAPI document. Request bodies are form-encoded (RFC 6749 §3.2);
 * errors follow RFC 6749 §5.2 (`error`, `error_description`), not problem+json.
 */
const OAUTH_ERROR = z.object({ error: z.string(), error_description: z.string().optional() })
const oauthError = (description: string) => ({ description, schema: OAUTH_ERROR })
const SEALED = { '503': { description: 'The vault is sealed' } } as const

const ClientAuthFields = {
  client_id: z.string().optional(),
  client_secret: z.string().optional().describe('client_secret_post'),
  client_assertion_type: z
    .literal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    .optional(),
  client_assertion: z.string().optional().describe('private_key_jwt (RFC 7523)'),
}

const AuthorizationParameters = z.object({
  response_type: z.literal('code'),
  client_id: z.string(),
  redirect_uri: z
    .string()
    .optional()
    .describe('required when more than one is registered; matched exactly'),
  state: z.string().optional(),
  code_challenge: z.string().describe('BASE64URL(SHA-256(code_verifier)) — RFC 7636'),
  code_challenge_method: z.literal('S256'),
  scope: z
    .string()
    .optional()
    .describe('space-separated read:<field path or subtree>, read:purchases, append:purchases'),
  authorization_details: z
    .string()
    .optional()
    .describe(
      'JSON array with one custos_fields object (RFC 9396): fields, purchases, actions, purpose (the vendor’s words), purposes (1–10 W3C DPV purpose IRIs or compact names such as dpv:CustomerCare; default dpv:ServiceProvision), duration_seconds, accepted_terms, access_mode (continuous, the default, or single_use: the first data read consumes the grant) — or one PDPP https://pdpp.dev/data-access object where it maps onto a grant (README, "Coming from PDPP?")',
    ),
  dpop_jkt: z.string().optional().describe('RFC 9449 §10'),
})

const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.enum(['Bearer', 'DPoP']),
  expires_in: z.number().int(),
  refresh_token: z
    .string()
    .optional()
    .describe('for clients registered with the refresh_token grant'),
  scope: z.string(),
  // What was granted, not what was asked for (granted-access.ts; RFC 9396 §7).
  authorization_details: z.array(GrantedDetail),
})

/** The consent page and its error pages: HTML for the owner's browser, never JSON. */
const PAGE = (description: string) => ({ description, type: 'text/html' })

export const oauthRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/.well-known/oauth-authorization-server',
    tag: 'Discovery',
    summary: 'Authorization server metadata (RFC 8414)',
    responses: {
      '200': { description: 'The metadata', schema: z.record(z.string(), z.unknown()) },
    },
  },
  {
    method: 'get',
    path: '/.well-known/oauth-protected-resource',
    tag: 'Discovery',
    summary: 'Protected resource metadata (RFC 9728)',
    responses: {
      '200': { description: 'The metadata', schema: z.record(z.string(), z.unknown()) },
    },
  },
  {
    method: 'post',
    path: '/oauth/register',
    tag: 'OAuth',
    summary: 'Dynamic client registration (RFC 7591)',
    description:
      'The client becomes a vendor of the vault, which the owner sees and can block. A client secret is returned once. When the owner requires it, an initial access token (RFC 7591 §3) goes in `Authorization: Bearer`. Registrations are limited per client address and in total. With `myterms_uri` (and no `myterms_accepted`, which wins) the vault fetches your MyTerms document before registering you: 5 s, at most 256 KiB, no redirects, a JSON object with `agreements[{id,url}]`; roster ids it does not know are ignored.',
    body: { type: 'application/json', schema: ClientMetadata },
    responses: {
      '201': {
        description: 'Registered; client_id, client_secret (secret methods) and the metadata',
      },
      '400': oauthError(
        'invalid_redirect_uri or invalid_client_metadata (also: the MyTerms document at myterms_uri is unreachable, redirects, is too large or malformed — the description says which; nothing is registered)',
      ),
      '401': oauthError(
        'invalid_token: the owner requires an initial access token, and none or a wrong one was sent',
      ),
      '429': {
        description: 'Too many registrations (problem+json ERR_RATE_LIMITED); see Retry-After',
      },
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/par',
    tag: 'OAuth',
    summary: 'Pushed authorization request (RFC 9126)',
    auth: 'client',
    body: {
      type: 'application/x-www-form-urlencoded',
      schema: AuthorizationParameters.extend(ClientAuthFields),
    },
    responses: {
      '201': {
        description: 'request_uri and expires_in',
        schema: z.object({ request_uri: z.string(), expires_in: z.number().int() }),
      },
      '400': oauthError(
        'invalid_request, invalid_scope, invalid_authorization_details (also: a MyTerms answer while your myterms_uri cannot be read and no earlier copy is kept — a copy older than 10 minutes is fetched again here, and kept when that fails), access_denied (a purpose the owner never allows; the description names its IRI)',
      ),
      '401': oauthError('invalid_client'),
      ...SEALED,
    },
  },
  {
    method: 'get',
    path: '/oauth/authorize',
    tag: 'OAuth',
    summary: 'Authorization endpoint: the owner’s consent page (RFC 6749 §4.1.1)',
    description:
      'Either the parameters below, or client_id + request_uri from PAR. Renders the consent page; the decision redirects to the redirect URI with code, state and iss (RFC 9207), or error=access_denied.',
    query: AuthorizationParameters.partial().extend({ request_uri: z.string().optional() }),
    responses: {
      '200': { description: 'The consent page (HTML)', type: 'text/html' },
      '302': { description: 'Redirect with an error to a validated redirect URI' },
      '400': {
        description:
          'An error page (never redirected before the client and redirect URI are validated)',
        type: 'text/html',
      },
      '429': oauthError('Too many authorization requests wait for the owner; see Retry-After'),
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/authorize',
    tag: 'OAuth',
    summary:
      'Authorization endpoint with the parameters in a form body (RFC 6749 §3.1 allows POST)',
    body: {
      type: 'application/x-www-form-urlencoded',
      schema: AuthorizationParameters.partial().extend({ request_uri: z.string().optional() }),
    },
    responses: {
      '200': PAGE('The consent page'),
      '302': { description: 'Redirect with an error to a validated redirect URI' },
      '400': PAGE('An error page, or a body that is not a form'),
      '429': oauthError('Too many authorization requests wait for the owner; see Retry-After'),
      ...SEALED,
    },
  },
  {
    method: 'get',
    path: '/oauth/authorize/pending/{id}',
    tag: 'OAuth',
    summary: 'The consent page of a validated authorization request, shown to the owner',
    pathParams: { id: 'The pending request, as the authorization endpoint named it' },
    responses: {
      '200': PAGE('The consent page, or a sign-in form without an owner session'),
      '400': PAGE('Expired or already decided'),
      '403': PAGE('The vendor is blocked'),
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/authorize/decision',
    tag: 'OAuth',
    summary:
      "The owner's decision from the consent page (same-origin form with the session's CSRF token)",
    body: {
      type: 'application/x-www-form-urlencoded',
      schema: z
        .object({
          request_id: z.string(),
          decision: z.enum(['approve', 'deny']),
          csrf_token: z.string(),
        })
        .catchall(z.string()),
    },
    responses: {
      '303': {
        description: 'Back to the vendor: code, state and iss (RFC 9207), or error=access_denied',
      },
      '400': PAGE('Expired, already decided, or a malformed decision'),
      '401': PAGE('No owner session'),
      '403': PAGE('Not from the consent page (origin or CSRF token)'),
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/token',
    tag: 'OAuth',
    summary: 'Token endpoint: authorization_code and refresh_token grants (RFC 6749 §4.1.3, §6)',
    description:
      'PKCE verified; codes single-use; refresh tokens rotate and reuse revokes the family. With a DPoP header the tokens are bound (RFC 9449). Cache-Control: no-store.',
    auth: 'client',
    body: {
      type: 'application/x-www-form-urlencoded',
      schema: z.object({
        grant_type: z.enum(['authorization_code', 'refresh_token']),
        code: z.string().optional(),
        redirect_uri: z.string().optional(),
        code_verifier: z.string().optional(),
        refresh_token: z.string().optional(),
        ...ClientAuthFields,
      }),
    },
    responses: {
      '200': { description: 'Tokens, with what was actually approved', schema: TokenResponse },
      '400': oauthError(
        'invalid_grant, invalid_request, unsupported_grant_type, invalid_dpop_proof',
      ),
      '401': oauthError('invalid_client'),
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/revoke',
    tag: 'OAuth',
    summary: 'Token revocation (RFC 7009)',
    auth: 'client',
    body: {
      type: 'application/x-www-form-urlencoded',
      schema: z.object({
        token: z.string(),
        token_type_hint: z.string().optional(),
        ...ClientAuthFields,
      }),
    },
    responses: {
      '200': { description: 'Revoked (also for unknown tokens)' },
      '401': oauthError('invalid_client'),
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/events',
    tag: 'OAuth',
    summary: 'Poll for signals (RFC 8936): Security Event Tokens (RFC 8417) signed by the vault',
    description:
      'The RFC 8936 request as JSON; the client authenticates with HTTP Basic, or with client_id and client_secret or client_assertion members in the same object. Acknowledged SETs (ack, setErrs) are not sent again. Event types: https://custos.dev/secevent/grant-revoked, grant-narrowed, grant-expired, field-changed (fields: the changed paths), erasure-requested (request_id), receipt-issued (receipt_id, grant_id: fetch it at /oauth/receipts).',
    auth: 'client',
    body: {
      type: 'application/json',
      schema: z.object({
        ack: z.array(z.string()).optional(),
        setErrs: z.record(z.string(), z.object({ err: z.string() })).optional(),
        maxEvents: z.number().int().min(0).max(100).optional(),
        returnImmediately: z.boolean().optional(),
        ...ClientAuthFields,
      }),
    },
    responses: {
      '200': {
        description: 'The SETs by jti, and whether more wait',
        schema: z.object({ sets: z.record(z.string(), z.string()), moreAvailable: z.boolean() }),
      },
      '400': oauthError('invalid_request, unauthorized_client (a public client: push only)'),
      '401': oauthError('invalid_client'),
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/receipts',
    tag: 'OAuth',
    summary:
      'The vendor’s own consent receipts: every grant given, narrowed, withdrawn or expired and every refused request, each signed in two shapes',
    description:
      'Oldest first, a page at a time (pass `next` back as `after`). Each receipt is signed by the vault (verify with /.well-known/jwks.json): `receipt` is a Kantara Consent Receipt v1.1 (typ consent-receipt+jwt), `consent_record` an ISO/IEC TS 27560 consent record in the W3C DPV profile (typ consent-record+jwt); their jti is the receipt id. The client authenticates as at /oauth/events (HTTP Basic, or client_id with client_secret or client_assertion members), since a withdrawn grant or a refused request leaves it no access token. A receipt-issued signal names each new receipt.',
    auth: 'client',
    body: {
      type: 'application/json',
      schema: z.object({
        grant_id: z.string().optional().describe('Only this grant’s receipts'),
        after: z.string().optional(),
        limit: z.number().int().min(1).max(100).optional(),
        ...ClientAuthFields,
      }),
    },
    responses: {
      '200': {
        description: 'The receipts, and the cursor of the next page when there is one',
        schema: z.object({
          receipts: z.array(
            z.object({
              id: z.string(),
              event: z.enum(['given', 'narrowed', 'withdrawn', 'expired', 'consumed', 'refused']),
              grant_id: z.string().nullable(),
              revision: z.number().int().nullable(),
              at: z.string(),
              receipt: z.string().describe('Kantara v1.1, compact JWS'),
              consent_record: z.string().describe('ISO/IEC TS 27560 (DPV), compact JWS'),
            }),
          ),
          next: z.string().optional(),
        }),
      },
      '400': oauthError(
        'invalid_request (an unknown grant_id or cursor), unauthorized_client (a public client)',
      ),
      '401': oauthError('invalid_client'),
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/events/acknowledgements',
    tag: 'OAuth',
    summary:
      'The vendor’s signed acknowledgement of an erasure request: a SET (RFC 8417, pushed as in RFC 8935) signed with its registered key',
    body: {
      type: 'application/secevent+jwt',
      schema: z
        .string()
        .describe(
          'iss: the client id; aud: this issuer; iat; jti; events: { "https://custos.dev/secevent/erasure-acknowledged": { "request_id": "sig_…" } }',
        ),
    },
    responses: {
      '202': { description: 'Accepted: the owner sees the erasure acknowledged' },
      '400': {
        description:
          'RFC 8935 §2.3 { err, description }: invalid_request, invalid_key, invalid_issuer, invalid_audience, authentication_failed, access_denied',
        schema: z.object({ err: z.string(), description: z.string() }),
      },
      ...SEALED,
    },
  },
  {
    method: 'post',
    path: '/oauth/introspect',
    tag: 'OAuth',
    summary: 'Token introspection (RFC 7662)',
    auth: 'client',
    body: {
      type: 'application/x-www-form-urlencoded',
      schema: z.object({
        token: z.string(),
        token_type_hint: z.string().optional(),
        ...ClientAuthFields,
      }),
    },
    responses: {
      '200': {
        description:
          'active:false for unknown, expired, revoked or foreign tokens, or tokens of a dead grant',
        schema: z.object({ active: z.boolean() }).catchall(z.unknown()),
      },
      '401': oauthError('invalid_client'),
      ...SEALED,
    },
  },
]
