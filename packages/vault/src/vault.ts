import type { AuditOrigin } from './audit/audit-entry.js'
import type { AuditReader } from './audit/audit-reader.js'
import type { ImportResult } from './backup/portable.js'
import type { VaultExport } from './backup/export-json.js'
import type { ValueSealer } from './crypto/external-values.js'
import type { FieldStore } from './fields/field-store.js'
import type { AccessPolicy } from './grants/access-policy.js'
import type { GrantStore } from './grants/grant-store.js'
import type { Inbox } from './grants/inbox.js'
import type { GrantedSlice, ReadThroughGrantOptions } from './grants/read-through-grant.js'
import type { VendorStore } from './grants/vendor-store.js'
import type { RowAuthenticator } from './integrity/external-rows.js'
import type { RECOVERY_WINDOW_SECONDS, UnlockResult } from './keys/key-custody.js'
import type { Credentials } from './keys/lifecycle.js'
import type { RotateKeysOptions, RotationResult } from './keys/rotation.js'
import type { PurchaseStore } from './purchases/purchase-store.js'
import type { SignalOutbox } from './signals/signal-outbox.js'
import type { Conversations } from './conversations/conversation-store.js'
import type { IntentStore } from './intents/intent-store.js'

/*
 * The vault's public shape: what `createVault` (create-vault.ts) returns. Types only; the
 * documentation of every operation is here, where an editor shows it.
 */

/** Options of the owner's lock, unlock and sign-in: where it came from, for the access log. */
export interface OwnerActionOptions {
  /** `browser`, `cli`, `api` or `library` (the default): recorded in the action's audit entry. */
  readonly origin?: AuditOrigin
}

/** Where the vault stands. */
export type VaultStatus =
  | { readonly state: 'uninitialized' }
  | {
      readonly state: 'sealed'
      readonly vaultId: string
      readonly createdAt: string
      readonly failedUnlocks: number
      readonly unlockBlockedUntil?: string
    }
  | {
      readonly state: 'unsealed'
      readonly vaultId: string
      readonly createdAt: string
      readonly currentTerm: number
      readonly rotationPending: boolean
    }

/** The vault: what `createVault` returns. */
export interface Vault {
  status(): Promise<VaultStatus>
  /** Whether this process holds the keys right now — a synchronous, in-memory check for hot paths (an HTTP guard per request). */
  isUnsealed(): boolean
  /**
   * Creates the vault with a passphrase; returns the recovery key, shown this once. The vault is then unsealed.
   * A passphrase that `checkPassphrase` refuses gives `ERR_WEAK_PASSPHRASE` with the reason, before any Argon2 work.
   */
  initialize(passphrase: string | Uint8Array): Promise<{ recoveryKey: string; vaultId: string }>
  /**
   * Unseals with the passphrase or `{ recoveryKey }`. Throttled after repeated failures. One
   * unlock runs at a time per vault; each resolves with what it did: `'unlocked'`, or
   * `'already-unsealed'` when the vault was unsealed already (an earlier or concurrent unlock
   * won). Even then the secret is checked — a wrong one rejects with ERR_UNLOCK_FAILED — and a
   * recovery key counts as proved for {@link Vault.resetPassphrase}; the keys in use are left alone.
   *
   * @example
   * if ((await vault.unlock(passphrase)) === 'already-unsealed') console.log('It was unlocked already')
   */
  unlock(credentials: Credentials, options?: OwnerActionOptions): Promise<UnlockResult>
  /**
   * Checks the owner's passphrase or recovery key without changing the vault's state — for an
   * owner session on an already unsealed vault. Throttled and audited exactly like unlock.
   */
  verifyOwner(credentials: Credentials, options?: OwnerActionOptions): Promise<void>
  /**
   * Seals: records `vault.locked` (with where it came from) and the pending refusal counts, waits
   * for pending audit writes, then wipes every key from memory. Locking a sealed vault does nothing.
   */
  lock(options?: OwnerActionOptions): Promise<void>
  /** Changes the passphrase after checking the current one; only the root-key wrap changes. A weak `next` gives `ERR_WEAK_PASSPHRASE` before the current one is tried. */
  changePassphrase(current: string | Uint8Array, next: string | Uint8Array): Promise<void>
  /** Sets a new passphrase with the recovery key (forgotten passphrase); leaves the vault unsealed. A weak one gives `ERR_WEAK_PASSPHRASE` before the key is tried. */
  recover(
    recoveryKey: string,
    newPassphrase: string | Uint8Array,
    options?: OwnerActionOptions,
  ): Promise<void>
  /**
   * Sets a new passphrase without the current one, for an owner who forgot it and has just proved
   * the recovery key to this vault object (`unlock` or `verifyOwner` with `{ recoveryKey }`)
   * within the last {@link RECOVERY_WINDOW_SECONDS}. The unsealed vault holds the
   * root key, so re-wrapping it needs no secret; the recent proof is what stands in for the current
   * passphrase (which stops a walk-up attacker in {@link Vault.changePassphrase}). Without a
   * fresh proof: `ERR_RECOVERY_REQUIRED`. A weak `next` gives `ERR_WEAK_PASSPHRASE` first. The
   * proof is spent: a second reset needs the recovery key again.
   *
   * @example
   * await vault.verifyOwner({ recoveryKey }, { origin: 'browser' })
   * await vault.resetPassphrase('a new passphrase of several words')
   */
  resetPassphrase(next: string | Uint8Array, options?: OwnerActionOptions): Promise<void>
  /** Rotates the data key online; resumes an interrupted rotation. */
  rotateKeys(options?: RotateKeysOptions): Promise<RotationResult>
  readonly fields: FieldStore
  readonly purchases: PurchaseStore
  readonly vendors: VendorStore
  readonly grants: GrantStore
  readonly inbox: Inbox
  readonly audit: AuditReader
  /**
   * The refusal policy for vendor attempts that do not read through a grant (grant lookups, checks
   * before an append, token exchanges and refreshes): the same rules and the same access-log
   * entries as {@link Vault.readThroughGrant} — see {@link AccessPolicy}.
   */
  readonly access: AccessPolicy
  /**
   * Signals waiting for vendors — grants revoked, narrowed or expired, granted fields changed,
   * erasure requests — written with the changes they announce; the consent API delivers them
   * (see {@link SignalOutbox}).
   */
  readonly signals: SignalOutbox
  /**
   * Conversation threads with vendors, kept here rather than in a vendor's CRM: sealed,
   * hash-chained, signed, logged (see {@link Conversations}); `asVendor` is a vendor's side,
   * allowed only while its grant includes `converse`.
   */
  readonly conversations: Conversations
  /**
   * The owner's intents — requests for proposals vendors answer with offers (issue 13); a
   * vendor's side through `intents.asVendor({ vendorId, grantId })` — see {@link IntentStore}.
   */
  readonly intents: IntentStore
  /**
   * Authenticates access-deciding rows the application stores beside the vault (the consent
   * API's clients, tokens, codes, requests, sessions) under a root-derived key — see
   * {@link RowAuthenticator}. Sealed: ERR_VAULT_LOCKED.
   */
  readonly rows: RowAuthenticator
  /**
   * Encrypts the confidential values the application stores beside the vault (the consent API's
   * client metadata, pending requests, code redirect URIs), bound to their place, under a
   * root-derived key that key rotation leaves alone — see {@link ValueSealer}. Sealed: ERR_VAULT_LOCKED.
   */
  readonly envelopes: ValueSealer
  /** Reads exactly what a grant allows, audited durably before it resolves. */
  readThroughGrant(grantId: string, options?: ReadThroughGrantOptions): Promise<GrantedSlice>
  /** The portable plaintext export (`custos-export` v1). */
  exportJson(): Promise<VaultExport>
  /** Imports a `custos-export` document (validated whole before anything is written). */
  importJson(doc: unknown, options?: { mode?: 'merge' | 'replace' }): Promise<ImportResult>
  /** An encrypted, consistent backup as a stream of chunks. */
  backup(): AsyncIterable<Uint8Array>
  /** Verifies a whole backup, then replaces this vault with it; the vault is unsealed with the backup's keys afterwards. */
  restore(
    source: Uint8Array | AsyncIterable<Uint8Array>,
    credentials: Credentials,
    options?: OwnerActionOptions,
  ): Promise<void>
  /**
   * A keyed BLAKE2b-256 (the `tokenHash` subkey) of a bearer secret — an access or refresh token,
   * an authorization code, a client secret — as hex. Callers store this, never the secret
   * (SECURITY.md key hierarchy item 6), and compare hashes in constant time. Sealed: ERR_VAULT_LOCKED.
   *
   * @example
   * const stored = vault.hashSecret(accessToken)
   */
  hashSecret(secret: string): string
  /**
   * The 32-byte Ed25519 seed of the vault's signing key (consent receipts, signed deliveries): the
   * root-derived `signingSeed` subkey, its own KDF context, so no other use of the keys can ever
   * produce or reveal it. Stable across restarts, rotations and passphrase changes. A copy: wipe it
   * after use. Sealed: ERR_VAULT_LOCKED.
   */
  signingSeed(): Uint8Array
  /** Crypto-erases and deletes everything; the database is left empty (uninitialized). */
  destroy(): Promise<void>
  /** Writes pending refusal counts, drains pending audit writes and closes the database. */
  close(): Promise<void>
}
