/**
 * Writes a file so that it is either the old one or the complete new one, never half: into
 * FILE.partial (mode 0600 — backups and exports are the owner's data), fsync, rename over FILE,
 * fsync the folder (so the rename itself survives a power cut). On any failure the partial file
 * is removed, so no stray copy of the owner's data is left beside FILE.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CliError, EXIT } from './exit-codes.js'

export async function writeFileAtomically(
  file: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<number> {
  const partial = `${file}.partial`
  let bytes = 0
  let created = false
  try {
    // Always a new file of our own: a .partial left by a crash goes first, and 'wx' (O_EXCL)
    // never opens an existing path — so a symlink planted there by whoever else can write to the
    // folder cannot redirect the owner's data (nor its chmod) to a file of theirs.
    rmSync(partial, { force: true })
    const handle = await open(partial, 'wx', 0o600)
    created = true
    try {
      // The process umask could only narrow 0600; set it exactly anyway.
      await handle.chmod(0o600)
      for await (const chunk of chunks) {
        await handle.write(chunk)
        bytes += chunk.length
      }
      await handle.sync()
    } finally {
      await handle.close()
    }
    renameSync(partial, file)
  } catch (err) {
    if (created) rmSync(partial, { force: true })
    // A file-system refusal (a folder in the way, no such folder, no permission, disk full) is
    // the owner's to fix: one clear line. Anything else (the vault's own errors) passes on.
    const { code, syscall } = err as NodeJS.ErrnoException
    if (typeof code === 'string' && typeof syscall === 'string')
      throw new CliError(EXIT.failure, `custos: cannot write ${file}: ${code}`)
    throw err
  }
  const dir = openSync(dirname(file), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
  return bytes
}
