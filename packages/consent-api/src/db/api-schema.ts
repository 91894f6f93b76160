import type { Kysely } from 'kysely'

/**
 * The consent API's own tables, in the vault's database (so several API processes over one
 * PostgreSQL share every piece of state). Secrets — client secrets, codes, tokens, DPoP `jti`s —
 * are stored only as `vault.hashSecret(...)`; what is plaintext is listed in the README.
 *
 * Every table but `dpop_jti` carries `row_mac`: the vault's MAC over the row's access-deciding
 * columns (db/stored-rows.ts), checked on every read that relies on the row. `sealed` holds the
 * row's confidential columns as one envelope (`vault.envelopes`). The plaintext columns they
 * replaced (`redirect_uris`, `metadata`, `params`, `redirect_uri`) are written empty; they hold
 * data only in rows stored before migration 0004, until those are adopted at the next unlock.
 */
export interface OAuthClientsTable {
  client_id: string // = the vault's vendor id
  secret_hash: string | null
  auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'
  redirect_uris: string // before 0004: JSON string[]; now '' (in `sealed`)
  metadata: string // before 0004: JSON; now '' (in `sealed`)
  created_at: string
  /** Envelope of `{ redirect_uris, metadata }` (name, site, logo, contacts, keys, grant types…). */
  sealed: Uint8Array | null
  row_mac: Uint8Array | null
}

export interface OAuthRequestsTable {
  id: string
  client_id: string
  params: string // before 0004: JSON of the validated authorization request; now '' (in `sealed`)
  expires_at: string
  created_at: string
  /** Envelope of `{ stage, request }`: the validated authorization request. */
  sealed: Uint8Array | null
  row_mac: Uint8Array | null
}

export interface OAuthCodesTable {
  code_hash: string
  client_id: string
  grant_id: string
  redirect_uri: string // before 0004: plaintext; now '' (in `sealed`)
  /** Envelope of `{ redirect_uri }`. */
  sealed: Uint8Array | null
  code_challenge: string
  dpop_jkt: string | null
  expires_at: string
  used_at: string | null
  created_at: string
  row_mac: Uint8Array | null
}

export interface OAuthTokensTable {
  token_hash: string
  kind: 'access' | 'refresh'
  client_id: string
  grant_id: string
  family_id: string
  dpop_jkt: string | null
  expires_at: string
  revoked_at: string | null
  used_at: string | null // refresh tokens: when rotated (a second use is reuse)
  created_at: string
  row_mac: Uint8Array | null
}

export interface DpopJtiTable {
  jti_hash: string
  expires_at: string
}

export interface OwnerSessionsTable {
  id_hash: string
  csrf_hash: string
  created_at: string
  last_seen_at: string
  /** Until when this session may set a new passphrase without the old one (it proved the recovery key); migration 0005. */
  recovery_until: string | null
  row_mac: Uint8Array | null
}

/** One counted event of a rate limit (limits/rate-limiter.ts); `bucket` never holds a plain client address. */
export interface RateEventsTable {
  id: string
  bucket: string
  at: string
  expires_at: string
}

/** Settings the owner changes at run time, by name (`registration_mode`). */
export interface ApiSettingsTable {
  name: string
  value: string
  updated_at: string
  row_mac: Uint8Array | null // db/stored-rows.ts
}

/** RFC 7591 §3 initial access tokens: only the keyed hash of each is stored. */
export interface RegistrationTokensTable {
  id: string
  token_hash: string
  label: string | null
  created_at: string
  last_used_at: string | null
}

/**
 * IEEE 7012 agreement records (terms/agreement-store.ts; migration 0006): one per answered request,
 * accepted or declined. `answer_key` is the keyed hash of the vendor's answer id, unique, so an
 * answer is used once. The record and its signed copy are in `sealed`.
 */
export interface MytermsAgreementsTable {
  id: string
  client_id: string
  grant_id: string | null
  answer_key: string
  created_at: string
  /** Envelope of `{ record, jws }`. */
  sealed: Uint8Array | null
  row_mac: Uint8Array | null
}

/**
 * The last good copy of a vendor's own MyTerms document (terms/vendor-terms-store.ts; migration
 * 0007), one row per client that registered a `myterms_uri`, replaced by each good fetch.
 */
export interface MytermsVendorTermsTable {
  client_id: string
  fetched_at: string
  /** Envelope of `{ uri, accepted, effective_date }`. */
  sealed: Uint8Array | null
  row_mac: Uint8Array | null
}

/**
 * A draft the owner's assistant proposed (mcp/draft-store.ts; migration 0008): an intent or a
 * message, kept until she sends or discards it.
 */
export interface AssistantDraftsTable {
  id: string
  /** The assistant (OAuth client) that proposed it. */
  client_id: string
  kind: 'intent' | 'message'
  created_at: string
  /** Envelope of the draft's content (mcp/draft.ts `DraftContent`). */
  sealed: Uint8Array | null
  row_mac: Uint8Array | null
}

export interface ApiTables {
  oauth_clients: OAuthClientsTable
  oauth_requests: OAuthRequestsTable
  oauth_codes: OAuthCodesTable
  oauth_tokens: OAuthTokensTable
  dpop_jti: DpopJtiTable
  owner_sessions: OwnerSessionsTable
  rate_events: RateEventsTable
  api_settings: ApiSettingsTable
  registration_tokens: RegistrationTokensTable
  myterms_agreements: MytermsAgreementsTable
  myterms_vendor_terms: MytermsVendorTermsTable
  assistant_drafts: AssistantDraftsTable
}

export type ApiDb = Kysely<ApiTables>
