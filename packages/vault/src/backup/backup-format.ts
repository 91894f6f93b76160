import { z } from 'zod'
import { KdfParams } from '../crypto/kdf.js'
import { VaultError } from '../errors.js'

/**
 * The encrypted backup file (SECURITY.md key hierarchy item 7):
 *
 *   "CUSTOSBK" ‖ version u8 (=1) ‖ header length u32 BE ‖ header JSON
 *   ‖ secretstream header (24 bytes)
 *   ‖ frames: length u32 BE ‖ crypto_secretstream_xchacha20poly1305 message, the last tagged FINAL
 *
 * The header is plaintext but authenticated: its bytes are the associated data of every frame.
 * It carries the passphrase and recovery wraps of the root key, so the backup opens on a new
 * machine with the passphrase (as it was when the backup was made) or the recovery key alone.
 * The stream key is the root key's `backup` subkey. Frames hold JSON lines of raw table rows:
 * records stay in their own per-value envelopes inside the stream, so a restore is
 * byte-identical to what was backed up.
 */
export const MAGIC = new TextEncoder().encode('CUSTOSBK')
export const BACKUP_VERSION = 1
export const FRAME_BYTES = 64 * 1024
export const MAX_FRAME_BYTES = 16 * 1024 * 1024

export const BackupHeader = z
  .object({
    vaultId: z.string().min(1).max(64),
    createdAt: z.string(),
    kdf: KdfParams,
    wrappedRootPassphrase: z.string().max(200),
    wrappedRootRecovery: z.string().max(200),
    schema: z.string().max(64),
  })
  .strict()
export type BackupHeader = z.infer<typeof BackupHeader>

/** Table order matters for restore: meta and keyring first. */
export const BACKUP_TABLES = [
  'vault_meta',
  'keyring',
  'vendors',
  'grants',
  'fields',
  'purchases',
  'audit',
  'consent_events',
  'conversation_threads',
  'conversation_messages',
  'intents',
  'intent_offers',
] as const
export type BackupTable = (typeof BACKUP_TABLES)[number]

export function backupInvalid(
  reason = 'The backup is damaged, truncated or not a Custos backup',
): VaultError {
  return new VaultError('ERR_BACKUP_INVALID', reason)
}

/** JSON with byte arrays as {"$b": base64}. */
export function encodeRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      v instanceof Uint8Array ? { $b: Buffer.from(v).toString('base64') } : v,
    ]),
  )
}

export function decodeRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      v !== null &&
      typeof v === 'object' &&
      '$b' in v &&
      typeof (v as { $b: unknown }).$b === 'string'
        ? new Uint8Array(Buffer.from((v as { $b: string }).$b, 'base64'))
        : v,
    ]),
  )
}
