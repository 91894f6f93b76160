/**
 * The data folder's own permissions. It holds the SQLite database (which the vault creates 0600)
 * and often `custos.json` and an unseal key file. A folder group or others can enter lets them
 * reach every file in it whose mode is lax — a database from an older version, a file copied in
 * by hand — and copy the vault for an offline passphrase attack; one they can write lets them
 * delete or replace the database. `serve` and `init` warn; `--fix-permissions` repairs.
 */
import { chmodSync, lstatSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { OptionSpecs } from './args.js'
import { CliError, EXIT } from './exit-codes.js'

export const FIX_PERMISSIONS_OPTION: OptionSpecs = {
  'fix-permissions': {
    type: 'boolean',
    help: 'chmod the data folder to 0700 and the files in it to 0600 (otherwise a folder open to group or others gets a warning)',
  },
}

/** What is wrong with the data folder, or undefined when only its owner can use it (or it does not exist yet). */
export interface OpenFolder {
  readonly folder: string
  /** Its permission bits, e.g. `755`. */
  readonly mode: string
  /** What to run to close it. */
  readonly fix: string
}

export function openDataFolder(folder: string): OpenFolder | undefined {
  // POSIX permissions only: Windows reports made-up modes, and its ACLs are another matter.
  if (process.platform === 'win32') return undefined
  let mode: number
  try {
    const stat = statSync(folder)
    if (!stat.isDirectory()) return undefined
    mode = stat.mode & 0o777
  } catch {
    return undefined // Not created yet: openVault creates it 0700.
  }
  if ((mode & 0o077) === 0) return undefined
  return {
    folder,
    mode: mode.toString(8),
    fix: `chmod 700 ${folder} && chmod 600 ${folder}/*, or run again with --fix-permissions`,
  }
}

/**
 * Makes the folder 0700, then every regular file directly in it 0600; returns how many files
 * changed (nothing to do when the folder does not exist yet). The folder comes first: once it is closed nobody else can swap a file for a symbolic
 * link between the check below and the chmod, and links are never followed (their target could
 * be any file on the system).
 */
export function fixDataFolder(folder: string): number {
  if (process.platform === 'win32') return 0
  let changed = 0
  try {
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return 0 // Not created yet: openVault creates it 0700.
    chmodSync(folder, 0o700)
    for (const name of readdirSync(folder)) {
      const path = join(folder, name)
      const stat = lstatSync(path)
      if (!stat.isFile() || (stat.mode & 0o777) === 0o600) continue
      chmodSync(path, 0o600)
      changed++
    }
  } catch (err) {
    throw new CliError(
      EXIT.failure,
      `custos: cannot fix the permissions of ${folder}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  return changed
}

/**
 * `--fix-permissions` repairs the folder; without it, an open folder gets a warning. Returns the
 * lines for the operator (the caller writes them in its own style), before anything is opened.
 */
export function guardDataFolder(
  folder: string,
  fix: boolean,
): { readonly warning?: OpenFolder; readonly fixedFiles?: number } {
  if (fix) return { fixedFiles: fixDataFolder(folder) }
  const open = openDataFolder(folder)
  return open ? { warning: open } : {}
}

/** The warning as one sentence (the same words in `init`'s plain text and `serve`'s JSON log). */
export const OPEN_FOLDER_MESSAGE =
  'the data folder is open to group or others: other users of this computer may copy or replace the vault'
