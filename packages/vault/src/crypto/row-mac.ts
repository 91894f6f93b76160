import sodiumNative from 'sodium-native'

/** A column value as the row MAC sees it: text, an integer, bytes, or NULL. */
export type RowValue = string | number | null | Uint8Array

/**
 * Two labels, so a MAC made for the consent API's tables (through `vault.rows`) can never
 * authenticate a row of the vault's own tables, whatever table name it is asked for.
 */
export const ROW_LABELS = {
  vault: Buffer.from('custos/row/v1\0\0\0', 'latin1'),
  external: Buffer.from('custos/xrow/v1\0\0', 'latin1'),
} as const

const TAG = { null: 0, text: 1, integer: 2, bytes: 3 } as const

function part(tag: number, bytes: Buffer): Buffer[] {
  const header = Buffer.alloc(5)
  header.writeUInt8(tag, 0)
  header.writeUInt32BE(bytes.length, 1)
  return [header, bytes]
}

/**
 * The unambiguous encoding a row MAC covers: each value as a type tag, a 4-byte length and its
 * bytes, so no two different rows (a NULL and an empty string, `'1'` and `1`, a value moved
 * between columns) encode alike.
 */
function encode(vaultId: string, table: string, values: readonly RowValue[]): Buffer[] {
  const parts: Buffer[] = [...part(TAG.text, Buffer.from(vaultId, 'utf8')), ...part(TAG.text, Buffer.from(table, 'utf8'))]
  for (const value of values) {
    if (value === null || value === undefined) parts.push(...part(TAG.null, Buffer.alloc(0)))
    else if (typeof value === 'string') parts.push(...part(TAG.text, Buffer.from(value, 'utf8')))
    else if (typeof value === 'number' || typeof value === 'bigint') {
      if (!Number.isSafeInteger(Number(value))) throw new TypeError('row MAC values must be integers, strings, bytes or null')
      parts.push(...part(TAG.integer, Buffer.from(String(value), 'latin1')))
    } else if (value instanceof Uint8Array) parts.push(...part(TAG.bytes, Buffer.from(value.buffer, value.byteOffset, value.byteLength)))
    else throw new TypeError('row MAC values must be integers, strings, bytes or null')
  }
  return parts
}

/**
 * Keyed BLAKE2b-256 over a row's identity (vault id, table) and its column values, primary key
 * first (SECURITY.md, "The barrier"). Through `sodium-native` like the audit MACs: it runs on
 * every vendor read.
 */
export function rowMac(label: Buffer, key: Uint8Array, vaultId: string, table: string, values: readonly RowValue[]): Uint8Array {
  const out = new Uint8Array(32)
  sodiumNative.crypto_generichash_batch(Buffer.from(out.buffer), [label, ...encode(vaultId, table, values)], Buffer.from(key.buffer, key.byteOffset, key.byteLength))
  return out
}
