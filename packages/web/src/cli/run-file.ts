/**
 * `custos.run.json` in the data folder: where the server serving this folder answers (issue 10:
 * `custos status` asked the default port and said "not running" while the server ran on another
 * one). `serve` writes it once listening and removes it on a clean shutdown; `status` reads it.
 * A file left by a crash names a dead process: it is ignored, and the next `serve` replaces it.
 * Mode 0600 like everything in the folder; it holds no secret, only a URL and a process id.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

export const RUN_FILE = 'custos.run.json'

export const RunInfo = z.object({
  url: z.string().url(),
  pid: z.number().int().positive(),
  startedAt: z.string(),
})
export type RunInfo = z.infer<typeof RunInfo>

/** Whether a process with this id exists (EPERM: it does, but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** What the run file says, when it names a live process; undefined when absent, unreadable or stale. */
export function readRunFile(folder: string): RunInfo | undefined {
  let text: string
  try {
    text = readFileSync(join(folder, RUN_FILE), 'utf8')
  } catch {
    return undefined
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const parsed = RunInfo.safeParse(json)
  return parsed.success && processAlive(parsed.data.pid) ? parsed.data : undefined
}

/**
 * Writes the run file for this process (replacing any other: a stale one, or one of a server that
 * no longer serves here) and returns what removes it again — only while it is still this
 * process's, so a second server started meanwhile keeps its own. Written whole or not at all (a
 * temporary file, then a rename); the caller decides what a failure means (a warning).
 */
export function writeRunFile(
  folder: string,
  url: string,
  now: Date,
): { previous?: RunInfo; remove(): void } {
  const previous = readRunFile(folder)
  const info: RunInfo = { url, pid: process.pid, startedAt: now.toISOString() }
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  const file = join(folder, RUN_FILE)
  const partial = `${file}.${process.pid}.partial`
  rmSync(partial, { force: true })
  // 'wx': never through a link someone planted at that name.
  writeFileSync(partial, `${JSON.stringify(info)}\n`, { mode: 0o600, flag: 'wx' })
  renameSync(partial, file)
  return {
    ...(previous && previous.pid !== process.pid ? { previous } : {}),
    remove() {
      try {
        const current = RunInfo.safeParse(JSON.parse(readFileSync(file, 'utf8')))
        if (current.success && current.data.pid === process.pid) rmSync(file, { force: true })
      } catch {
        // Already gone (or replaced by something unreadable): nothing of ours to remove.
      }
    },
  }
}
