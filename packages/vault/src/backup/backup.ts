import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'
import {
  BACKUP_TABLES,
  BACKUP_VERSION,
  type BackupHeader,
  FRAME_BYTES,
  MAGIC,
  encodeRow,
} from './backup-format.js'

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, false)
  return b
}

/**
 * Takes a consistent snapshot of every table in one read transaction (so it is consistent
 * while the vault is in use: SQLite WAL readers see one commit point, PostgreSQL runs it as
 * REPEATABLE READ), then streams it out encrypted with libsodium secretstream. The snapshot's
 * rows are raw ciphertexts; nothing is decrypted to make a backup.
 */
export async function* createBackup(
  ctx: VaultContext,
  keys: UnsealedKeys,
): AsyncGenerator<Uint8Array> {
  const { sodium } = ctx
  const builder =
    ctx.engine === 'postgres'
      ? ctx.db.transaction().setIsolationLevel('repeatable read')
      : ctx.db.transaction()
  const snapshot = await builder.execute(async (trx) => {
    const tables: [string, Record<string, unknown>[]][] = []
    for (const table of BACKUP_TABLES) {
      const rows = await trx.selectFrom(table).selectAll().execute()
      tables.push([table, rows as Record<string, unknown>[]])
    }
    return tables
  })
  const meta = snapshot[0]?.[1][0] as
    | {
        vault_id: string
        kdf_params: string
        wrapped_root_passphrase: Uint8Array
        wrapped_root_recovery: Uint8Array
      }
    | undefined
  if (!meta) throw new Error('vault_meta missing in snapshot')
  const header: BackupHeader = {
    vaultId: meta.vault_id,
    createdAt: ctx.now().toISOString(),
    kdf: JSON.parse(meta.kdf_params) as BackupHeader['kdf'],
    wrappedRootPassphrase: Buffer.from(meta.wrapped_root_passphrase).toString('base64'),
    wrappedRootRecovery: Buffer.from(meta.wrapped_root_recovery).toString('base64'),
    schema: '0001_initial',
  }
  const headerJson = new TextEncoder().encode(JSON.stringify(header))
  const prefix = new Uint8Array(MAGIC.length + 1 + 4 + headerJson.length)
  prefix.set(MAGIC, 0)
  prefix[MAGIC.length] = BACKUP_VERSION
  prefix.set(u32(headerJson.length), MAGIC.length + 1)
  prefix.set(headerJson, MAGIC.length + 5)
  yield prefix

  const { state, header: streamHeader } = sodium.crypto_secretstream_xchacha20poly1305_init_push(
    keys.subkey('backup'),
  )
  yield streamHeader
  const encoder = new TextEncoder()
  let pending: string[] = []
  let pendingBytes = 0
  const frame = (tag: number): Uint8Array => {
    const plain = encoder.encode(pending.join(''))
    pending = []
    pendingBytes = 0
    const ct = sodium.crypto_secretstream_xchacha20poly1305_push(state, plain, prefix, tag)
    sodium.memzero(plain)
    const out = new Uint8Array(4 + ct.length)
    out.set(u32(ct.length), 0)
    out.set(ct, 4)
    return out
  }
  for (const [table, rows] of snapshot) {
    for (const row of rows) {
      const normalized = Object.fromEntries(
        Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? toBytes(v) : v]),
      )
      const line = `${JSON.stringify({ t: table, r: encodeRow(normalized) })}\n`
      pending.push(line)
      pendingBytes += line.length
      if (pendingBytes >= FRAME_BYTES)
        yield frame(sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
    }
  }
  yield frame(sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL)
}
