import { VaultLockedError } from '../errors.js'
import type { UnsealedKeys } from './unsealed-keys.js'

/**
 * How long a proof of the recovery key lets `Vault.resetPassphrase` set a new passphrase
 * without the old one: long enough to choose one, short enough that a browser left open later
 * cannot take the vault over with it.
 */
export const RECOVERY_WINDOW_SECONDS = 15 * 60

/** What `Vault.unlock` did: unsealed the vault, or found it already unsealed and only proved the secret. */
export type UnlockResult = 'unlocked' | 'already-unsealed'

export interface KeyCustodyOptions {
  readonly now: () => Date
  /**
   * Called whenever keys leave custody (a lock, a close, a destroy, new keys taking their place,
   * an unseal that failed): drops what was derived under them, such as decrypted grant slices.
   */
  readonly onSeal?: () => void
}

/**
 * The one holder of an unsealed vault's keys (SECURITY.md key hierarchy; promise 6, "sealed until
 * unlocked; lock wipes keys"): the key object in use, the queue that lets one unlock run at a
 * time, and the recovery-key proof that {@link RECOVERY_WINDOW_SECONDS} bounds. A state machine
 * with two states — sealed (no keys) and unsealed (one key object) — and nothing else: the
 * database steps of an unseal are the caller's, run through {@link unseal} while the new keys
 * are in place.
 *
 * @example
 * const custody = new KeyCustody({ now, onSeal: () => cache.clear() })
 * await custody.unseal(fresh, () => recordTheUnlock(fresh))
 * custody.require().subkey('auditMac')
 * custody.seal() // wipes every key in memory
 */
export class KeyCustody {
  readonly #now: () => Date
  readonly #onSeal: () => void
  #keys: UnsealedKeys | undefined
  #unlocking: Promise<unknown> = Promise.resolve()
  // When this process last saw the recovery key proved: memory only, so a restart or a lock
  // forgets it and the owner proves the key again.
  #recoveryProvedAt: number | undefined

  constructor(options: KeyCustodyOptions) {
    this.#now = options.now
    this.#onSeal = options.onSeal ?? (() => undefined)
  }

  /** The keys in use; ERR_VAULT_LOCKED while sealed. */
  require(): UnsealedKeys {
    if (!this.#keys) throw new VaultLockedError()
    return this.#keys
  }

  /** The keys in use, or undefined while sealed (for code that also runs sealed, like failed-unlock entries). */
  ifUnsealed(): UnsealedKeys | undefined {
    return this.#keys
  }

  get isUnsealed(): boolean {
    return this.#keys !== undefined
  }

  /** Wipes every key in memory (promise 6) and forgets the recovery proof. Sealing a sealed vault does nothing more. */
  seal(): void {
    this.#keys?.wipe()
    this.#keys = undefined
    this.#recoveryProvedAt = undefined
    this.#onSeal()
  }

  /**
   * Puts `fresh` in custody — sealing whatever was there first — and runs `record`, the unseal's
   * own database work, which needs the new keys in place (its audit entry is MAC'd with them).
   * If `record` fails, `fresh` is wiped and the vault is left sealed: never half unsealed.
   */
  async unseal(
    fresh: UnsealedKeys,
    record: () => Promise<void> = async () => undefined,
  ): Promise<void> {
    this.seal()
    this.#keys = fresh
    try {
      await record()
    } catch (err) {
      this.abandon(fresh)
      fresh.wipe()
      throw err
    }
  }

  /** Takes `fresh` back out of custody if it is still there: for an unseal whose commit failed after `record` returned. */
  abandon(fresh: UnsealedKeys): void {
    if (this.#keys !== fresh) return
    this.#keys = undefined
    this.#onSeal()
  }

  /**
   * Runs `attempt` once every earlier one has settled: one unlock at a time per vault, so an
   * unlock that a concurrent one beat finds the vault unsealed (and must then only prove its
   * secret — installing a second key object would wipe the one that requests and a rotation in
   * flight are using). A failed attempt does not stop the next.
   */
  oneUnlockAtATime(attempt: () => Promise<UnlockResult>): Promise<UnlockResult> {
    const run = this.#unlocking.then(attempt)
    this.#unlocking = run.catch(() => undefined)
    return run
  }

  /** Notes that the recovery key was just proved to this vault object. */
  recoveryProved(): void {
    this.#recoveryProvedAt = this.#now().getTime()
  }

  /**
   * Spends a proof of the recovery key made within {@link RECOVERY_WINDOW_SECONDS}; false when
   * there is none. Spent at once, before any slow KDF: of two resets racing on one proof, only
   * the first goes on.
   */
  spendRecoveryProof(): boolean {
    const provedAt = this.#recoveryProvedAt
    if (provedAt === undefined || this.#now().getTime() - provedAt > RECOVERY_WINDOW_SECONDS * 1000)
      return false
    this.#recoveryProvedAt = undefined
    return true
  }
}
