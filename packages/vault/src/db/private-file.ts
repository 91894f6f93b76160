import { chmodSync, closeSync, constants, fchmodSync, openSync, statSync } from 'node:fs'

/** Read and write for the owner, nothing for group or others. */
const PRIVATE_MODE = 0o600

/**
 * Creates the SQLite database file with mode 0600 when it does not exist yet. Left to SQLite,
 * the file gets 0644 under the usual umask (022), and in an ordinary 0755 folder every local
 * user can then copy the vault and guess its passphrase offline at leisure. SQLite gives the
 * `-wal` and `-shm` files it creates later the database file's own mode, so they follow.
 *
 * `O_EXCL` makes this a no-op when the file already exists (even if it appeared a moment ago),
 * and the `fchmod` on our own new descriptor sets exactly 0600 whatever the umask removed. Any
 * other failure (a missing or read-only folder) is left for SQLite to report as before.
 */
export function createPrivateFile(file: string): void {
  let fd: number
  try {
    fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, PRIVATE_MODE)
  } catch {
    return
  }
  try {
    if (process.platform !== 'win32') fchmodSync(fd, PRIVATE_MODE)
  } finally {
    closeSync(fd)
  }
}

/**
 * Takes group and other permissions off an existing file this process's user owns: a database
 * made by an older version, or copied in with a lax mode, is as readable as a new one would be,
 * and SQLite keeps the mode of `-wal` and `-shm` files that already exist. A file owned by
 * someone else is theirs to set (and chmod would fail anyway); the CLI warns about the folder.
 * Best effort: a read-only file system cannot be tightened, and the database still opens.
 * Does nothing on Windows, whose file modes are not POSIX permissions.
 */
export function tightenFileMode(file: string): void {
  const uid = process.getuid?.()
  if (uid === undefined || process.platform === 'win32') return
  try {
    const stat = statSync(file)
    if (stat.uid !== uid || (stat.mode & 0o077) === 0) return
    chmodSync(file, stat.mode & PRIVATE_MODE)
  } catch {
    // Missing (a -shm not created yet), or not ours to change: see above.
  }
}
