/** What every benchmark gets from run.ts: a scratch directory, the run's settings and a progress line. */
export interface BenchContext {
  /** A temporary directory removed after the run. */
  readonly dir: string
  /** Shorter everything, for a smoke run (`pnpm bench -- --quick`): figures are then rough. */
  readonly quick: boolean
  readonly soakMinutes: number
  progress(text: string): void
}

/** Fails a run whose figures would be meaningless (wrong data, errors under load). */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`benchmark sanity check failed: ${message}`)
}
