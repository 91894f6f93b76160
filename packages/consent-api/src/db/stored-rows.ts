import { IntegrityError, type RowValue, type SealedPlace } from '@custos/vault'
import type { Selectable } from 'kysely'
import type { z } from 'zod'
import type { StoreContext } from '../app-context.js'
import type { ApiTables } from './api-schema.js'

/**
 * The barrier for the API's own rows (issue "P1 — Trust", SECURITY.md "The barrier"): a row that
 * decides access — a client, a pending request, a code, a token, an owner session — is believed
 * only if the unsealed vault's key vouches for it (`vault.rows`, keyed BLAKE2b bound to the vault
 * and the table). Someone who can write the database but holds no key can delete such rows — a
 * denial, as deleting them always was — but cannot edit, swap, move or forge one.
 *
 * Each list below is the row's primary key and then every column whose value changes what the
 * row lets anyone do. `sealed` is the envelope of the confidential columns (already bound to its
 * row by its associated data; MAC'd all the same, so it cannot be put back from an older copy on
 * its own). The empty legacy columns (`metadata`, `params`, …) are never read, so not covered.
 * `dpop_jti` has no MAC: see store/jti-store.ts.
 */
export type AuthenticatedTable =
  | 'oauth_clients'
  | 'oauth_requests'
  | 'oauth_codes'
  | 'oauth_tokens'
  | 'owner_sessions'
  | 'api_settings'
  | 'myterms_agreements'
  | 'myterms_vendor_terms'
  | 'assistant_drafts'

/** A row as the MAC sees it: every column but the MAC itself. */
export type UnmacedRow<T extends AuthenticatedTable> = Omit<Selectable<ApiTables[T]>, 'row_mac'>

export const authenticated: {
  readonly [T in AuthenticatedTable]: (row: UnmacedRow<T>) => RowValue[]
} = {
  oauth_clients: (r) => [r.client_id, r.secret_hash, r.auth_method, r.sealed, r.created_at],
  oauth_requests: (r) => [r.id, r.client_id, r.sealed, r.expires_at, r.created_at],
  oauth_codes: (r) => [
    r.code_hash,
    r.client_id,
    r.grant_id,
    r.sealed,
    r.code_challenge,
    r.dpop_jkt,
    r.expires_at,
    r.used_at,
    r.created_at,
  ],
  /*
   * A token row binds everything that decides what it does. What a *rollback* of one token row —
   * putting back an older authentic version of it — can and cannot do: it can undo what happened
   * to that row alone since (un-revoke a token revoked on its own or with its family, un-use a
   * rotated refresh token so it rotates once more). It cannot move the token to another client,
   * grant, family or DPoP key, nor extend its expiry, nor make a token that never existed. And
   * every use of a token is also checked against its grant, live, through the vault: the grant's
   * revocation, expiry, narrowing and its vendor's blocking are anchored by the vault's ledger
   * epoch (vault integrity/ledger.ts), which a saved copy of a grant row cannot go back behind.
   * So a rolled-back token never outlives its grant and never gives more than the live grant
   * allows — the same bound as a token that was simply never revoked.
   */
  oauth_tokens: (r) => [
    r.token_hash,
    r.kind,
    r.client_id,
    r.grant_id,
    r.family_id,
    r.dpop_jkt,
    r.expires_at,
    r.revoked_at,
    r.used_at,
    r.created_at,
  ],
  /*
   * A session's times bound it (idle timeout, lifetime) and its CSRF hash guards every change:
   * pushing last_seen_at forward or swapping csrf_hash fails the check. A saved older copy only
   * makes the session look idle for longer (it ends sooner), and within its 12 hours at most.
   * `recovery_until` (issue 10: the passphrase may be reset without the old one until then) is
   * appended only when set, so rows MAC'd before migration 0005 still verify; the encoding is
   * self-delimiting, so adding, removing or moving it fails the check.
   */
  owner_sessions: (r) => [
    r.id_hash,
    r.csrf_hash,
    r.created_at,
    r.last_seen_at,
    ...(r.recovery_until === null ? [] : [r.recovery_until]),
  ],
  // The owner's settings (the registration mode): an edited one falls back to the strictest.
  api_settings: (r) => [r.name, r.value, r.updated_at],
  // IEEE 7012 agreement records: an edited or moved record reads as absent (never as another).
  myterms_agreements: (r) => [r.id, r.client_id, r.grant_id, r.answer_key, r.sealed, r.created_at],
  /*
   * A vendor's MyTerms document as last fetched: an edited copy reads as absent (fetched again).
   * An older authentic copy put back only says what the vendor accepted then — it chooses which
   * of the owner's agreements is proffered, never what is granted — and, being older, is
   * refreshed at its next use.
   */
  myterms_vendor_terms: (r) => [r.client_id, r.sealed, r.fetched_at],
  /*
   * An assistant's draft (issue 14): an edited or moved draft reads as absent. A draft only ever
   * waits for the owner, who reads it before sending it, so a put-back copy can at most show her
   * again a proposal she discarded — never send anything.
   */
  assistant_drafts: (r) => [r.id, r.client_id, r.kind, r.sealed, r.created_at],
}

/** The MAC to store with `row`. Sealed: ERR_VAULT_LOCKED. */
export function rowMac<T extends AuthenticatedTable>(
  app: Pick<StoreContext, 'vault'>,
  table: T,
  row: UnmacedRow<T>,
): Uint8Array {
  return app.vault.rows.mac(table, authenticated[table](row))
}

/**
 * Whether a stored row is authentic. A row that fails is treated by every caller as a row that
 * is not there — exactly what deleting it, which the same attacker can always do, would achieve —
 * so the client gets the refusal it gets for a dead credential (invalid_token, invalid_grant,
 * invalid_client, signed out) and never access; and the operator is told, through createApp's
 * `onUnexpectedError`, with an ERR_INTEGRITY whose stack names the store that refused the row.
 */
export function authentic<T extends AuthenticatedTable>(
  app: Pick<StoreContext, 'vault' | 'onUnexpectedError'>,
  table: T,
  row: UnmacedRow<T> & { readonly row_mac: Uint8Array | null },
): boolean {
  if (app.vault.rows.verifies(table, authenticated[table](row), row.row_mac)) return true
  const err = new IntegrityError()
  Error.captureStackTrace(err, authentic)
  try {
    app.onUnexpectedError?.(err)
  } catch {
    // A failing logger must not turn a refusal into something else.
  }
  return false
}

/** Where a row's `sealed` envelope lives (its associated data). */
export function sealedPlace(
  table:
    | 'oauth_clients'
    | 'oauth_requests'
    | 'oauth_codes'
    | 'myterms_agreements'
    | 'myterms_vendor_terms'
    | 'assistant_drafts',
  recordId: string,
): SealedPlace {
  return { table, column: 'sealed', recordId }
}

/**
 * Opens a row's envelope and parses it. Reached only for rows whose MAC verified, so a failure
 * here is no attacker's edit but a bug or a foreign key: ERR_INTEGRITY, the API's opaque 500.
 */
export function openSealed<S extends z.ZodType>(
  app: Pick<StoreContext, 'vault'>,
  place: SealedPlace,
  envelope: Uint8Array | null,
  schema: S,
): z.output<S> {
  const parsed = schema.safeParse(app.vault.envelopes.open(place, envelope))
  if (!parsed.success) throw new IntegrityError()
  return parsed.data
}
