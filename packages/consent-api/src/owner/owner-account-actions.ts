import type { Credentials, OwnerActionOptions, UnlockResult, Vault } from '@custos/vault'
import type { RotationJob, RotationState } from './rotation-job.js'
import type { OwnerSession } from '../store/session-store.js'

/** The owner sessions as the account actions need them: ended all at once, or all but one. */
export interface SessionEnding {
  endAll(): Promise<void>
  endOthers(keep: OwnerSession): Promise<void>
}

export interface AccountActionsDeps {
  readonly vault: Vault
  readonly now: () => Date
  /** Rotation and restore (and destroy) all replace keys: one job per app, whichever door asks. */
  readonly keyJob: RotationJob
  readonly sessions: SessionEnding
  /**
   * Forgets every piece of the API's own state once the vault it belonged to is destroyed: a vault
   * created next must not inherit the old one's vendors, their tokens or the owner's sessions.
   */
  readonly eraseApiState: () => Promise<void>
}

/** The owner's key rotation (SECURITY.md 10), in the background, one at a time. */
export interface KeyActions {
  /** Starts a rotation; undefined (nothing started) while one or a restore runs. */
  rotate(): RotationState | undefined
  /** The latest rotation this process started, if any. */
  readonly state: RotationState | undefined
  /** True while a rotation or a restore runs. */
  readonly busy: boolean
}

/**
 * The owner's vault and account: create, unlock, sign-in check, lock, passphrase, restore, destroy
 * and key rotation — each with the steps that must follow it (ending sessions, erasing the API's
 * state), so neither the owner API nor the pages can do half of one.
 */
export interface OwnerAccountActions {
  /** Creates the vault (then unsealed); the recovery key is returned this once and kept nowhere. */
  initialize(passphrase: string): Promise<{ readonly recoveryKey: string }>
  /**
   * Unseals with the passphrase or the recovery key. An unsealed vault is answered
   * `already-unsealed` before any Argon2 work; unlocks racing past that check are queued by the
   * vault, and the losers told the same. Throttled by the vault (SECURITY.md 8).
   */
  unlock(credentials: Credentials, options: OwnerActionOptions): Promise<UnlockResult>
  /** Checks the owner's secret on an unsealed vault (throttled and audited like unlock). */
  verifyOwner(credentials: Credentials, options: OwnerActionOptions): Promise<void>
  /** Seals the vault and ends every owner session, so no cookie left in a browser comes back to life at the next unlock. */
  lock(options: OwnerActionOptions): Promise<void>
  /**
   * Changes the passphrase after the vault checked the current one (rewrapping the root key only,
   * SECURITY.md 9), then signs out every other session: whoever signed in with the old passphrase
   * is out. `keep` (the asking session) stays.
   */
  changePassphrase(current: string, next: string, keep: OwnerSession): Promise<void>
  /**
   * A new passphrase without the old one, in a session that proved the recovery key (the vault
   * checks its own recent proof again, SECURITY.md 24); then every other session is signed out.
   */
  resetPassphrase(next: string, keep: OwnerSession, options: OwnerActionOptions): Promise<void>
  /**
   * Replaces the vault with a backup (verified whole first, SECURITY.md 12), never beside a key
   * rotation; then every owner session ends — the vault now has the backup's keys and contents.
   * `busy` (nothing done) while a rotation or another restore runs.
   */
  restore(
    backup: Uint8Array | AsyncIterable<Uint8Array>,
    credentials: Credentials,
    options: OwnerActionOptions,
  ): Promise<'restored' | 'busy'>
  /**
   * Crypto-erases the vault, never beside a rotation or restore (both hold the keys it erases),
   * then the API's state: its vendors' registrations and tokens, and every session.
   */
  destroy(): Promise<'destroyed' | 'busy'>
  readonly keys: KeyActions
}

export function ownerAccountActions(deps: AccountActionsDeps): OwnerAccountActions {
  const { vault, keyJob, sessions } = deps
  return Object.freeze({
    async initialize(passphrase: string) {
      const { recoveryKey } = await vault.initialize(passphrase)
      return { recoveryKey }
    },

    async unlock(credentials: Credentials, options: OwnerActionOptions) {
      if (vault.isUnsealed()) return 'already-unsealed' as const
      return vault.unlock(credentials, options)
    },

    verifyOwner: (credentials: Credentials, options: OwnerActionOptions) =>
      vault.verifyOwner(credentials, options),

    async lock(options: OwnerActionOptions) {
      await vault.lock(options)
      await sessions.endAll()
    },

    async changePassphrase(current: string, next: string, keep: OwnerSession) {
      await vault.changePassphrase(current, next)
      await sessions.endOthers(keep)
    },

    async resetPassphrase(next: string, keep: OwnerSession, options: OwnerActionOptions) {
      await vault.resetPassphrase(next, options)
      await sessions.endOthers(keep)
    },

    async restore(
      backup: Uint8Array | AsyncIterable<Uint8Array>,
      credentials: Credentials,
      options: OwnerActionOptions,
    ) {
      const done = await keyJob.runExclusive(() => vault.restore(backup, credentials, options))
      if (!done) return 'busy' as const
      await sessions.endAll()
      return 'restored' as const
    },

    async destroy() {
      const done = await keyJob.runExclusive(() => vault.destroy())
      if (!done) return 'busy' as const
      await deps.eraseApiState()
      return 'destroyed' as const
    },

    keys: Object.freeze({
      rotate: () => keyJob.start(vault, deps.now),
      get state() {
        return keyJob.state
      },
      get busy() {
        return keyJob.busy
      },
    }),
  })
}
