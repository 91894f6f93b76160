/**
 * Table types for Kysely. Plaintext columns are an explicit allowlist (README, "What is stored
 * in plaintext"): ids, timestamps, states, field paths, and truncated keyed blind indexes.
 * Everything else is an envelope (`Uint8Array`, see crypto/envelope.ts).
 *
 * Times are ISO-8601 UTC strings from `Date#toISOString()`, so text order is time order on
 * every engine; booleans are 0/1 integers.
 */
export interface VaultMetaTable {
  id: number // always 1: one vault per database
  vault_id: string
  created_at: string
  kdf_params: string // JSON KdfParams; authenticated as the wrap's associated data
  wrapped_root_passphrase: Uint8Array
  wrapped_root_recovery: Uint8Array
  current_term: number
  failed_unlocks: number
  unlock_blocked_until: string | null
  audit_head_seq: number
  audit_head_hash: Uint8Array | null
  audit_head_mac: Uint8Array | null
  rotation_target: number | null
  /**
   * Counts the changes that take access away (revoke, narrow, block). Every grant and vendor row
   * MAC covers it, and each such change re-MACs them all under the next value, so a row put back
   * to an older authentic version no longer verifies (SECURITY.md, "The barrier"). Covered by the
   * audit head MAC, so lowering it breaks the log.
   */
  ledger_epoch: number
  /** The seq of the newest acknowledged break of the audit chain (0: none); covered by the head MAC. */
  audit_anchor_seq: number
  /**
   * 0: written before rows were authenticated (adopted at the next unlock); 1: adopted, the log
   * starts from the all-zero genesis; 2: created authenticated, the log starts from a genesis bound
   * to the vault id. Covered by the head MAC.
   */
  row_auth_version: number
}

export interface KeyringTable {
  term: number
  wrapped_key: Uint8Array | null // null once the term is retired (crypto-erased)
  created_at: string
  retired_at: string | null
}

export interface FieldsTable {
  path: string
  value: Uint8Array
  term: number
  updated_at: string
}

export interface PurchasesTable {
  id: string
  order_date: string
  seller_index: string
  category_index: string | null
  provenance: 'owner' | 'import' | 'vendor'
  status: 'accepted' | 'pending'
  vendor_id: string | null
  body: Uint8Array
  term: number
  created_at: string
  row_mac: Uint8Array | null // see integrity/row-auth.ts; NULL only in rows from before row authentication
}

export interface VendorsTable {
  id: string
  body: Uint8Array
  blocked: number
  term: number
  created_at: string
  row_mac: Uint8Array | null // see integrity/row-auth.ts; NULL only in rows from before row authentication
}

export interface GrantsTable {
  id: string
  vendor_id: string
  status: 'active' | 'revoked' | 'consumed'
  expires_at: string
  revision: number
  body: Uint8Array
  term: number
  created_at: string
  updated_at: string
  row_mac: Uint8Array | null // see integrity/row-auth.ts; NULL only in rows from before row authentication
}

/**
 * The consent events of every grant (grants/consent-history.ts): given, narrowed, withdrawn, and
 * requests refused. `body` is the sealed snapshot of what was consented to (or asked and refused)
 * at the event; `row_mac` covers the plaintext columns, the envelope binds the body to its row.
 */
export interface ConsentEventsTable {
  id: string
  vendor_id: string
  grant_id: string | null
  kind: 'given' | 'narrowed' | 'withdrawn' | 'refused'
  revision: number | null
  at: string
  body: Uint8Array
  term: number
  row_mac: Uint8Array
}

export interface AuditTable {
  seq: number
  at: string
  entry: string // canonical JSON of the entry (ids, paths, times — never values)
  prev_hash: Uint8Array
  hash: Uint8Array
  mac: Uint8Array | null // null only for entries written while sealed, until the next unlock seals them
}

/**
 * Signals waiting for a vendor (signals/signal-outbox.ts): written in the transaction of the
 * change they announce. Ids, paths and times only — never values. `row_mac` covers what the signal
 * says (id through due_at); the delivery bookkeeping after it is not authenticated: editing it can
 * only delay a signal, never make the vault say something it did not.
 */
export interface SignalOutboxTable {
  id: string
  vendor_id: string
  grant_id: string | null
  kind: string
  paths: string | null // JSON array of field paths (field.changed)
  created_at: string
  due_at: string
  row_mac: Uint8Array
  attempts: number
  next_attempt_at: string | null
  last_error: string | null
}

/**
 * A conversation between the owner and one vendor (conversations/). `row_mac` covers who the
 * thread is with, what it links to, whether it is open, and the head of its message chain
 * (`last_seq`, `head_hash`): the columns that decide who may read and post, and that a message was
 * neither dropped nor added. `body` is the sealed topic and subject. The columns after `row_mac`
 * are bookkeeping for the owner's list (status, read marks): editing them can misstate an unread
 * count, never grant access or change what was said.
 */
export interface ConversationThreadsTable {
  id: string
  vendor_id: string
  opened_by: 'owner' | 'vendor'
  grant_id: string | null
  purchase_id: string | null
  state: 'open' | 'closed'
  last_seq: number
  head_hash: Uint8Array
  created_at: string
  body: Uint8Array
  term: number
  row_mac: Uint8Array
  status: 'waiting_for_you' | 'waiting_for_vendor' | 'resolved'
  status_since: string
  last_at: string
  owner_read_seq: number
  vendor_read_seq: number
}

/**
 * One message of a thread, hash-chained: `hash` is SHA-256 of the message's canonical entry (in
 * the sealed `body`, with its signature), `prev_hash` the previous message's. `row_mac` covers the
 * plaintext columns; the envelope binds the body to its row.
 */
export interface ConversationMessagesTable {
  id: string
  thread_id: string
  seq: number
  author: 'owner' | 'vendor'
  at: string
  prev_hash: Uint8Array
  hash: Uint8Array
  body: Uint8Array
  term: number
  row_mac: Uint8Array
}

/**
 * The owner's intents (intents/intent-store.ts). `audience` decides which vendors see one:
 * `*` (every vendor whose live grant includes `intents`) or a JSON array of vendor ids; it and the
 * state are plaintext so a vendor's listing can select on them, and `row_mac` covers them.
 */
export interface IntentsTable {
  id: string
  state: 'open' | 'fulfilled' | 'closed'
  audience: string
  open_until: string
  created_at: string
  closed_at: string | null
  accepted_offer_id: string | null
  body: Uint8Array
  term: number
  row_mac: Uint8Array
}

/** Vendors' offers on intents; `row_mac` covers every plaintext column. */
export interface IntentOffersTable {
  id: string
  intent_id: string
  vendor_id: string
  state: 'open' | 'withdrawn' | 'accepted' | 'declined'
  created_at: string
  updated_at: string
  body: Uint8Array
  term: number
  row_mac: Uint8Array
}

export interface VaultDatabase {
  vault_meta: VaultMetaTable
  keyring: KeyringTable
  fields: FieldsTable
  purchases: PurchasesTable
  vendors: VendorsTable
  grants: GrantsTable
  audit: AuditTable
  signal_outbox: SignalOutboxTable
  consent_events: ConsentEventsTable
  conversation_threads: ConversationThreadsTable
  conversation_messages: ConversationMessagesTable
  intents: IntentsTable
  intent_offers: IntentOffersTable
}

/** The database engines the vault runs on. */
export type Engine = 'sqlite' | 'postgres'
