import { z } from 'zod'
import { GrantAction, Order } from '@custos/vault'
import type { RouteDoc } from '../openapi/openapi-document.js'
import { PurchasesQuery } from './purchases.js'

/** RFC 6750 §3 errors: the challenge is in WWW-Authenticate, and the body repeats it (resource-error.ts). */
const BEARER_ERROR = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
})
const AUTH_ERRORS = {
  '400': {
    description:
      'invalid_request (RFC 6750 §3.1): a malformed Authorization header, or a token outside it',
    schema: BEARER_ERROR,
  },
  '401': {
    description: 'invalid_token / invalid_dpop_proof, or no credentials; see WWW-Authenticate',
    schema: BEARER_ERROR,
  },
  '403': { description: 'insufficient_scope: the grant does not allow this', schema: BEARER_ERROR },
  '406': { description: 'Sealed delivery asked for, but no X25519 key is registered' },
  '503': { description: 'The vault is sealed' },
} as const

const SEALED_NOTE =
  'With `Accept: application/custos-sealed` (and a registered `custos_x25519_public_key`), the JSON body comes signed (compact JWS, EdDSA, key in /.well-known/jwks.json) and sealed to that key (libsodium crypto_box_seal).'

/** The vendor resource API and the signing key, for the OpenAPI document. */
export const resourceRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/profile',
    tag: 'Vendor resources',
    summary: 'The granted profile fields that have values',
    description: SEALED_NOTE,
    auth: 'bearer',
    responses: {
      '200': {
        description: 'Granted fields by path',
        schema: z.object({ fields: z.record(z.string(), z.unknown()) }),
      },
      ...AUTH_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/v1/purchases',
    tag: 'Vendor resources',
    summary: "The grant's purchase slice, newest first, cursor-paginated",
    description: SEALED_NOTE,
    auth: 'bearer',
    query: PurchasesQuery,
    responses: {
      '200': {
        description: 'One page',
        schema: z.object({
          items: z.array(z.record(z.string(), z.unknown())),
          next_cursor: z.string().optional(),
        }),
      },
      ...AUTH_ERRORS,
    },
  },
  {
    method: 'post',
    path: '/v1/purchases',
    tag: 'Vendor resources',
    summary: "Write a purchase (schema.org Order) into the owner's inbox, pending their decision",
    description: `Needs the \`append\` action. ${SEALED_NOTE}`,
    auth: 'bearer',
    body: { type: 'application/json', schema: Order },
    responses: {
      '202': {
        description: 'Pending in the inbox',
        schema: z.object({ id: z.string(), status: z.literal('pending') }),
      },
      ...AUTH_ERRORS,
      '400': { description: 'invalid_request, or an invalid order (problem+json with issues)' },
      '415': { description: 'The body must be application/json' },
      '429': {
        description:
          'Too many appends from this vendor (ERR_RATE_LIMITED), or too many of its receipts await the owner (ERR_INBOX_FULL); see Retry-After',
      },
    },
  },
  {
    method: 'get',
    path: '/v1/grant',
    tag: 'Vendor resources',
    summary:
      'What this token may do, until when, for what purpose, with the signed consent receipt and consent record',
    description: SEALED_NOTE,
    auth: 'bearer',
    responses: {
      '200': {
        description:
          'The grant and its consent receipt (a JWT, typ consent-receipt+jwt, verifiable with /.well-known/jwks.json)',
        schema: z.object({
          grant_id: z.string(),
          vendor_id: z.string(),
          fields: z.array(z.string()),
          purchases: z
            .object({
              made_with_vendor: z.boolean(),
              categories: z.array(z.string()).optional(),
              since: z.string().optional(),
              until: z.string().optional(),
            })
            .nullable(),
          actions: z.array(GrantAction),
          purpose: z.string(),
          purposes: z.array(z.string()).describe('DPV purpose IRIs (https://w3id.org/dpv#…)'),
          expires_at: z.string(),
          status: z.enum(['active', 'revoked', 'consumed', 'expired']),
          access_mode: z
            .enum(['continuous', 'single_use'])
            .describe(
              'single_use: the first read of /v1/profile or /v1/purchases consumes the grant; later requests are refused (invalid_token, "The single-use grant has been used")',
            ),
          revision: z.number().int(),
          accepted_terms: z.array(z.string()),
          receipt: z.string(),
          consent_record: z
            .string()
            .describe(
              'The same consent event as an ISO/IEC TS 27560 consent record in the W3C DPV profile (JSON-LD; https://w3id.org/dpv/guides/consent-27560): a JWT, typ consent-record+jwt, verifiable with /.well-known/jwks.json',
            ),
        }),
      },
      ...AUTH_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/v1/agreements',
    tag: 'Vendor resources',
    summary:
      'Your IEEE 7012 (MyTerms) agreement records with this customer, accepted and declined, newest first — the same bytes the customer holds',
    description: SEALED_NOTE,
    auth: 'bearer',
    responses: {
      '200': {
        description:
          'Each record with the vault’s compact JWS over it (EdDSA, typ myterms-record+jws, verifiable with /.well-known/jwks.json); your own signature of your answer is inside',
        schema: z.object({
          agreements: z.array(
            z.object({
              record_id: z.string(),
              jws: z.string(),
              record: z.record(z.string(), z.unknown()),
            }),
          ),
        }),
      },
      ...AUTH_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/.well-known/myterms',
    tag: 'Discovery',
    summary:
      'The MyTerms agreements the customer proffers (IEEE 7012; shaped like the tinyMyTerms document), her order of preference and how to answer; ?client_id= names the one proffered to you',
    responses: {
      '200': {
        description: 'The discovery document',
        schema: z.object({
          effective_date: z.string(),
          agreements: z.array(z.object({ id: z.string(), url: z.string() }).passthrough()),
          preference: z.array(z.string()),
          require_agreement: z.boolean(),
          allow_after_decline: z.boolean(),
          tos_url: z.null(),
          proffered_to_you: z
            .string()
            .nullable()
            .optional()
            .describe(
              'With ?client_id=: the agreement proffered to you (from myterms_accepted, or your myterms_uri document fetched again when older than 10 minutes); null when none is proffered or your document cannot be read and no copy is kept',
            ),
          answer: z.record(z.string(), z.unknown()),
        }),
      },
      '503': { description: 'The vault is sealed' },
    },
  },
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    tag: 'Discovery',
    summary: "The vault's public signing key (consent receipts, sealed responses) as a JWK Set",
    responses: {
      '200': {
        description: 'RFC 7517 JWK Set',
        schema: z.object({ keys: z.array(z.record(z.string(), z.string())) }),
      },
      '503': { description: 'The vault is sealed and this process has not seen the key yet' },
    },
  },
]
