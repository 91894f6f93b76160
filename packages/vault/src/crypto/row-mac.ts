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

function invalid(): TypeError {
  return new TypeError('row MAC values must be integers, strings, bytes or null')
}

/** Bytes a value takes after its 5-byte header. */
function sizeOf(value: RowValue): number {
  if (value === null || value === undefined) return 0
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8')
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalid()
    return String(value).length
  }
  if (value instanceof Uint8Array) return value.byteLength
  throw invalid()
}

/**
 * The unambiguous encoding a row MAC covers: each value as a type tag, a 4-byte length and its
 * bytes, so no two different rows (a NULL and an empty string, `'1'` and `1`, a value moved
 * between columns) encode alike. Written into one buffer: this runs for every row a vendor
 * read relies on, and one allocation instead of several per value keeps it to a few µs.
 */
function encode(vaultId: string, table: string, values: readonly RowValue[]): Buffer {
  const all: RowValue[] = [vaultId, table, ...values]
  let total = 0
  for (const value of all) total += 5 + sizeOf(value)
  const out = Buffer.allocUnsafe(total)
  let at = 0
  for (const value of all) {
    const size = sizeOf(value)
    const tag =
      value === null || value === undefined
        ? TAG.null
        : typeof value === 'string'
          ? TAG.text
          : typeof value === 'number'
            ? TAG.integer
            : TAG.bytes
    out.writeUInt8(tag, at)
    out.writeUInt32BE(size, at + 1)
    at += 5
    if (typeof value === 'string') at += out.write(value, at, 'utf8')
    else if (typeof value === 'number') at += out.write(String(value), at, 'latin1')
    else if (value instanceof Uint8Array) {
      out.set(value, at)
      at += size
    }
  }
  return out
}

/**
 * Keyed BLAKE2b-256 over a row's identity (vault id, table) and its column values, primary key
 * first (SECURITY.md, "The barrier"). Through `sodium-native` like the audit MACs: it runs on
 * every vendor read.
 */
export function rowMac(
  label: Buffer,
  key: Uint8Array,
  vaultId: string,
  table: string,
  values: readonly RowValue[],
): Uint8Array {
  const out = new Uint8Array(32)
  sodiumNative.crypto_generichash_batch(
    Buffer.from(out.buffer),
    [label, encode(vaultId, table, values)],
    Buffer.from(key.buffer, key.byteOffset, key.byteLength),
  )
  return out
}
