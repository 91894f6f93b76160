/**
 * Typed errors of the vault library. Every failure a caller can meet carries a stable
 * `code` (never reworded once published), so `switch (err.code)` narrows and the HTTP
 * layer can map codes to statuses in one table. Messages about security failures are
 * deliberately opaque: they never say *why* a decrypt or an unlock failed.
 *
 * Caller misuse (calling with the wrong JavaScript types) throws `TypeError` instead.
 */
export type VaultErrorCode =
  | 'ERR_VAULT_LOCKED'
  | 'ERR_VAULT_UNINITIALIZED'
  | 'ERR_VAULT_EXISTS'
  | 'ERR_UNLOCK_FAILED'
  | 'ERR_UNLOCK_THROTTLED'
  | 'ERR_RECOVERY_KEY_FORMAT'
  /** resetPassphrase without a recent proof of the recovery key. */
  | 'ERR_RECOVERY_REQUIRED'
  | 'ERR_WEAK_PASSPHRASE'
  | 'ERR_INTEGRITY'
  | 'ERR_UNSUPPORTED_FORMAT'
  | 'ERR_VALIDATION'
  | 'ERR_UNKNOWN_PATH'
  | 'ERR_VALUE_TOO_LARGE'
  | 'ERR_NOT_FOUND'
  | 'ERR_GRANT_EXPIRED'
  | 'ERR_GRANT_REVOKED'
  | 'ERR_GRANT_CONSUMED'
  | 'ERR_GRANT_SCOPE'
  | 'ERR_VENDOR_BLOCKED'
  | 'ERR_GRANT_MISMATCH'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_USED'
  | 'ERR_AUDIT_WRITE'
  | 'ERR_AUDIT_BROKEN'
  | 'ERR_BACKUP_INVALID'
  | 'ERR_IMPORT_INVALID'
  | 'ERR_CONFLICT'
  | 'ERR_INBOX_FULL'
  /** A conversation message longer than the vault keeps (conversations/conversation.ts). */
  | 'ERR_MESSAGE_TOO_LARGE'
  /** A post to a conversation thread that was closed. */
  | 'ERR_THREAD_CLOSED'
  /** A vendor has as many open threads as it may open; the owner must close some first. */
  | 'ERR_THREAD_LIMIT'
  /** An offer, or its withdrawal, on an intent that is no longer open (intents/intent-store.ts). */
  | 'ERR_INTENT_CLOSED'
  /** The owner has as many open intents as the vault allows; she must close one first. */
  | 'ERR_INTENT_LIMIT'
  /** A vendor has made as many offers on this intent as it may. */
  | 'ERR_OFFER_LIMIT'
  /** The owner tried to accept an offer whose own validity has passed. */
  | 'ERR_OFFER_EXPIRED'
  | 'ERR_CRYPTO_UNAVAILABLE'

/** One problem with an input: where (`path`) and why (`message`), never the offending value. */
export interface ValidationIssue {
  readonly path: string
  readonly message: string
}

/**
 * Base class of every error the vault throws on purpose.
 *
 * @example
 * try { await vault.fields.get('email') }
 * catch (err) { if (err instanceof VaultError && err.code === 'ERR_VAULT_LOCKED') promptUnlock() }
 */
export class VaultError extends Error {
  readonly code: VaultErrorCode
  /** Validation issues, when the error is about input. */
  readonly issues: readonly ValidationIssue[]

  constructor(
    code: VaultErrorCode,
    message: string,
    options?: { issues?: readonly ValidationIssue[]; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'VaultError'
    this.code = code
    this.issues = options?.issues ?? []
  }
}

/** The vault is sealed: unlock it first. */
export class VaultLockedError extends VaultError {
  static readonly code = 'ERR_VAULT_LOCKED'
  constructor() {
    super('ERR_VAULT_LOCKED', 'The vault is locked')
    this.name = 'VaultLockedError'
  }
}

/** Wrong passphrase or recovery key, or a damaged key blob: deliberately indistinguishable (SECURITY.md promise 7). */
export class UnlockFailedError extends VaultError {
  static readonly code = 'ERR_UNLOCK_FAILED'
  constructor() {
    super('ERR_UNLOCK_FAILED', 'Unlock failed')
    this.name = 'UnlockFailedError'
  }
}

/** Too many failed unlocks: refused before any key derivation runs (SECURITY.md promise 8). */
export class UnlockThrottledError extends VaultError {
  static readonly code = 'ERR_UNLOCK_THROTTLED'
  /** When the next attempt will be considered. */
  readonly retryAt: Date
  constructor(retryAt: Date) {
    super('ERR_UNLOCK_THROTTLED', 'Too many failed unlock attempts; try again later')
    this.name = 'UnlockThrottledError'
    this.retryAt = retryAt
  }
}

/** A stored ciphertext, key blob, audit entry or backup failed authentication. */
export class IntegrityError extends VaultError {
  static readonly code = 'ERR_INTEGRITY'
  constructor(message = 'Stored data failed its integrity check') {
    super('ERR_INTEGRITY', message)
    this.name = 'IntegrityError'
  }
}

/**
 * A ciphertext names a key term this process does not hold. Usually another process on the same
 * database rotated keys since this one unsealed; the vault reloads its keyring and retries once.
 */
export class UnknownTermError extends VaultError {
  static readonly code = 'ERR_UNSUPPORTED_FORMAT'
  constructor() {
    super('ERR_UNSUPPORTED_FORMAT', 'Unknown key term')
    this.name = 'UnknownTermError'
  }
}

/** Input failed validation; `issues` say where and why. */
export class ValidationError extends VaultError {
  static readonly code = 'ERR_VALIDATION'
  constructor(issues: readonly ValidationIssue[], message = 'Invalid input') {
    super('ERR_VALIDATION', message, { issues })
    this.name = 'ValidationError'
  }
}

/** The requested record does not exist. */
export class NotFoundError extends VaultError {
  static readonly code = 'ERR_NOT_FOUND'
  constructor(what: string) {
    super('ERR_NOT_FOUND', `${what} not found`)
    this.name = 'NotFoundError'
  }
}

/**
 * No such conversation thread — or one of another vendor, which to a vendor is the same thing.
 * Its own class so an API that answers a missing grant differently can tell the two apart.
 */
export class ThreadNotFoundError extends NotFoundError {
  constructor() {
    super('Thread')
    this.name = 'ThreadNotFoundError'
  }
}

/**
 * No such intent or offer — or one this vendor may not see, which to it is the same thing
 * (intents/vendor-intents.ts). Its own class so the resource API answers 404, not the
 * `invalid_token` it gives a grant that is gone.
 */
export class IntentNotFoundError extends NotFoundError {
  constructor(what: 'Intent' | 'Offer') {
    super(what)
    this.name = 'IntentNotFoundError'
  }
}

/** Converts zod issues to ours: a path and a reason in fixed words, never the rejected value (validation-issues.ts). */
export { issuesFromZod } from './validation-issues.js'
