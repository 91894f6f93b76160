/**
 * Writes a file so that it is either the old one or the complete new one, never half: into
 * FILE.partial (mode 0600 — backups and exports are the owner's data), fsync, rename over FILE,
 * fsync the folder (so the rename itself survives a power cut).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'

export async function writeFileAtomically(file: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
  const partial = `${file}.partial`
  const handle = await open(partial, 'w', 0o600)
  let bytes = 0
  try {
    // 'w' keeps the mode of an existing .partial left by a crash; set it again.
    await handle.chmod(0o600)
    for await (const chunk of chunks) {
      await handle.write(chunk)
      bytes += chunk.length
    }
    await handle.sync()
  } catch (err) {
    await handle.close().catch(() => undefined)
    rmSync(partial, { force: true })
    throw err
  }
  await handle.close()
  renameSync(partial, file)
  const dir = openSync(dirname(file), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
  return bytes
}
