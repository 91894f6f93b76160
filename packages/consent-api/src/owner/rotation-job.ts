import { randomBytes } from 'node:crypto'
import { type Vault, VaultError } from '@custos/vault'

/** Progress of the latest key rotation this process started, as `GET /owner/keys/rotation` shows it. */
export interface RotationState {
  readonly id: string
  readonly running: boolean
  /** The new key term; null until the vault has created it. */
  readonly term: number | null
  readonly done: number
  readonly total: number
  readonly startedAt: string
  readonly finishedAt?: string
  /** A stable error code when the rotation stopped early (it resumes when started again). */
  readonly error?: string
}

/**
 * Runs `vault.rotateKeys` in the background, one at a time, and keeps its progress. The vault's
 * rotation is itself resumable (the target term is stored before any record moves), so a
 * rotation that failed or was cut short by a restart continues where it stopped when started
 * again. Progress lives in this process only; `status().rotationPending` is the shared truth.
 */
export class RotationJob {
  #state: RotationState | undefined
  #exclusive = false

  get state(): RotationState | undefined {
    return this.#state
  }

  /** True while a rotation runs or {@link runExclusive} work is under way. */
  get busy(): boolean {
    return this.#exclusive || this.#state?.running === true
  }

  /**
   * Runs work that replaces the vault's keys (a restore) with no rotation running and none
   * starting until it ends: a rotation holds the key object such work wipes. Undefined, without
   * running `work`, when busy.
   */
  async runExclusive<T>(work: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.busy) return undefined
    this.#exclusive = true
    try {
      return { value: await work() }
    } finally {
      this.#exclusive = false
    }
  }

  /** Starts a rotation; undefined when one is already running (or a restore is). */
  start(vault: Vault, now: () => Date): RotationState | undefined {
    if (this.busy) return undefined
    const id = `rot_${randomBytes(12).toString('base64url')}`
    const state: RotationState = {
      id,
      running: true,
      term: null,
      done: 0,
      total: 0,
      startedAt: now().toISOString(),
    }
    this.#state = state
    const update = (patch: Partial<RotationState>) => {
      // A finished job's late callbacks never overwrite the next job's state.
      if (this.#state?.id === id) this.#state = { ...this.#state, ...patch }
    }
    vault
      .rotateKeys({ onProgress: (p) => update({ term: p.term, done: p.done, total: p.total }) })
      .then(
        (result) => update({ running: false, term: result.term, finishedAt: now().toISOString() }),
        (err: unknown) =>
          update({
            running: false,
            finishedAt: now().toISOString(),
            error: err instanceof VaultError ? err.code : 'ERR_INTERNAL',
          }),
      )
    return state
  }
}
