import { sql } from 'kysely'
import type { VaultContext } from '../context.js'
import { passphraseBytes } from '../crypto/bytes.js'
import { open } from '../crypto/envelope.js'
import { deriveKek, kdfParamsAad } from '../crypto/kdf.js'
import { parseRecoveryKey } from '../crypto/recovery-key.js'
import { UnlockFailedError, VaultError } from '../errors.js'
import type { Credentials } from '../keys/lifecycle.js'
import { SUBKEY_IDS } from '../keys/unsealed-keys.js'
import {
  BACKUP_TABLES,
  BACKUP_VERSION,
  BackupHeader,
  type BackupTable,
  MAGIC,
  MAX_FRAME_BYTES,
  backupInvalid,
  decodeRow,
} from './backup-format.js'
import { BACKUP_ROW_SCHEMAS } from './backup-rows.js'

/** A backup's verified contents: its header, root key and rows by table. */
export interface VerifiedBackup {
  readonly header: BackupHeader
  readonly root: Uint8Array
  readonly rows: ReadonlyMap<BackupTable, Record<string, unknown>[]>
}

export async function collectBytes(
  source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source
  const parts: Uint8Array[] = []
  let length = 0
  for await (const part of source) {
    parts.push(part)
    length += part.length
  }
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * Opens and checks a whole backup before anything is replaced (promise 12): the header parses,
 * the credentials unwrap the root key, every frame authenticates, the last frame is FINAL (so a
 * truncated file is refused), nothing trails it, and every row has the shape of its table.
 * secretstream's pull *returns false* on tampering rather than throwing (SECURITY.md), so every
 * result is checked.
 */
export async function verifyBackup(
  ctx: VaultContext,
  bytes: Uint8Array,
  credentials: Credentials,
): Promise<VerifiedBackup> {
  const { sodium } = ctx
  if (bytes.length < MAGIC.length + 5 || !MAGIC.every((b, i) => bytes[i] === b))
    throw backupInvalid('Not a Custos backup')
  if (bytes[MAGIC.length] !== BACKUP_VERSION) throw backupInvalid('Unsupported backup version')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getUint32(MAGIC.length + 1, false)
  const headerEnd = MAGIC.length + 5 + headerLength
  if (headerLength > 64 * 1024 || headerEnd + 24 > bytes.length) throw backupInvalid()
  const prefix = bytes.subarray(0, headerEnd)
  let header: BackupHeader
  try {
    header = BackupHeader.parse(
      JSON.parse(
        new TextDecoder('utf-8', { fatal: true }).decode(
          bytes.subarray(MAGIC.length + 5, headerEnd),
        ),
      ),
    )
  } catch {
    throw backupInvalid()
  }

  // Unwrap the root key with the backup's own wraps: the associated data binds them to the
  // vault id and KDF parameters recorded in the header.
  let root: Uint8Array
  try {
    if (typeof credentials === 'object' && 'recoveryKey' in credentials) {
      const recovery = parseRecoveryKey(sodium, credentials.recoveryKey)
      root = open(
        sodium,
        recovery,
        {
          table: 'vault_meta',
          column: 'wrapped_root_recovery',
          recordId: 'recovery',
          vaultId: header.vaultId,
        },
        new Uint8Array(Buffer.from(header.wrappedRootRecovery, 'base64')),
      )
      sodium.memzero(recovery)
    } else {
      const pass = passphraseBytes(
        typeof credentials === 'object' && 'passphrase' in credentials
          ? credentials.passphrase
          : credentials,
      )
      const kek = await deriveKek(sodium, pass, header.kdf)
      sodium.memzero(pass)
      try {
        root = open(
          sodium,
          kek,
          {
            table: 'vault_meta',
            column: 'wrapped_root_passphrase',
            recordId: kdfParamsAad(header.kdf),
            vaultId: header.vaultId,
          },
          new Uint8Array(Buffer.from(header.wrappedRootPassphrase, 'base64')),
        )
      } finally {
        sodium.memzero(kek)
      }
    }
  } catch (err) {
    if (
      err instanceof VaultError &&
      (err.code === 'ERR_RECOVERY_KEY_FORMAT' || err.code === 'ERR_CRYPTO_UNAVAILABLE')
    )
      throw err
    throw new UnlockFailedError()
  }

  const key = sodium.crypto_kdf_derive_from_key(32, SUBKEY_IDS.backup, 'CUSTOSv1', root)
  const rows = new Map<BackupTable, Record<string, unknown>[]>(BACKUP_TABLES.map((t) => [t, []]))
  try {
    const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(
      bytes.subarray(headerEnd, headerEnd + 24),
      key,
    )
    const decoder = new TextDecoder('utf-8', { fatal: true })
    let offset = headerEnd + 24
    let final = false
    while (offset < bytes.length) {
      if (final || offset + 4 > bytes.length) throw backupInvalid()
      const length = view.getUint32(offset, false)
      if (length > MAX_FRAME_BYTES || offset + 4 + length > bytes.length) throw backupInvalid()
      const result = sodium.crypto_secretstream_xchacha20poly1305_pull(
        state,
        bytes.subarray(offset + 4, offset + 4 + length),
        prefix,
      )
      if (!result) throw backupInvalid()
      offset += 4 + length
      final = result.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      const text = decoder.decode(result.message)
      for (const line of text.split('\n')) {
        if (line === '') continue
        const parsed = JSON.parse(line) as { t?: unknown; r?: unknown }
        const table = parsed.t as BackupTable
        const schema = BACKUP_ROW_SCHEMAS[table]
        if (
          !BACKUP_TABLES.includes(table) ||
          !schema ||
          typeof parsed.r !== 'object' ||
          parsed.r === null
        )
          throw backupInvalid()
        const row = schema.safeParse(decodeRow(parsed.r as Record<string, unknown>))
        if (!row.success) throw backupInvalid()
        rows.get(table)?.push(row.data)
      }
    }
    if (!final) throw backupInvalid('The backup is truncated')
  } catch (err) {
    sodium.memzero(root)
    if (err instanceof VaultError) throw err
    throw backupInvalid()
  } finally {
    sodium.memzero(key)
  }
  const meta = rows.get('vault_meta')
  if (meta?.length !== 1 || meta[0]?.vault_id !== header.vaultId) {
    sodium.memzero(root)
    throw backupInvalid()
  }
  return { header, root, rows }
}

/**
 * Replaces every table with the backup's rows in one transaction; on SQLite, runs
 * `PRAGMA integrity_check` before committing, so a restore that would leave a damaged
 * database is rolled back and the previous vault is untouched.
 */
export async function applyBackup(ctx: VaultContext, backup: VerifiedBackup): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    // Signals of the vault being replaced announce nothing about the restored one.
    await trx.deleteFrom('signal_outbox').execute()
    for (const table of [...BACKUP_TABLES].reverse()) await trx.deleteFrom(table).execute()
    for (const table of BACKUP_TABLES) {
      const rows = backup.rows.get(table) ?? []
      for (let i = 0; i < rows.length; i += 200)
        await trx
          .insertInto(table)
          .values(rows.slice(i, i + 200) as never)
          .execute()
    }
    if (ctx.engine === 'sqlite') {
      const check = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(trx)
      if (check.rows.length !== 1 || check.rows[0]?.integrity_check !== 'ok')
        throw new VaultError('ERR_INTEGRITY', 'The restored database failed its integrity check')
    }
  })
}
