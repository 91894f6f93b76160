import type { Kysely } from 'kysely'

/**
 * The consent API's own tables, in the vault's database (so several API processes over one
 * PostgreSQL share every piece of state). Secrets — client secrets, codes, tokens, DPoP `jti`s —
 * are stored only as `vault.hashSecret(...)`; what is plaintext is listed in the README.
 */
export interface OAuthClientsTable {
  client_id: string // = the vault's vendor id
  secret_hash: string | null
  auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
  redirect_uris: string // JSON string[]
  metadata: string // JSON: grant types, jwks / jwks_uri, dpop_bound_access_tokens, x25519 key
  created_at: string
}

export interface OAuthRequestsTable {
  id: string
  client_id: string
  params: string // JSON of the validated authorization request
  expires_at: string
  created_at: string
}

export interface OAuthCodesTable {
  code_hash: string
  client_id: string
  grant_id: string
  redirect_uri: string
  code_challenge: string
  dpop_jkt: string | null
  expires_at: string
  used_at: string | null
  created_at: string
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
}

/** RFC 7591 §3 initial access tokens: only the keyed hash of each is stored. */
export interface RegistrationTokensTable {
  id: string
  token_hash: string
  label: string | null
  created_at: string
  last_used_at: string | null
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
}

export type ApiDb = Kysely<ApiTables>
