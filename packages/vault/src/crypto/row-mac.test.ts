import { describe, expect, it } from 'vitest'
import { ROW_LABELS, type RowValue, rowMac } from './row-mac.js'

const key = new Uint8Array(32).fill(7)
const hex = (values: readonly RowValue[], table = 'grants', label = ROW_LABELS.vault) =>
  Buffer.from(rowMac(label, key, 'vault_x', table, values)).toString('hex')

describe('row MAC (SECURITY.md, "The barrier")', () => {
  it('is stable: a known answer for a grant-shaped row, so stored MACs keep verifying across versions', () => {
    const values = [
      'grt_abcdefghijklmnopqrstuv',
      'ven_abcdefghijklmnopqrstuv',
      'active',
      '2027-01-01T00:00:00.000Z',
      3,
      new Uint8Array(420).fill(1),
      1,
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
      4,
    ]
    expect(hex(values)).toBe('c6c99bbf89147a8ec217d0d9fcfb05b1becb4e130f404c1f71a190ecc9dfc850')
  })

  it('tells apart what a careless encoding would confuse: NULL, empty text, text and integer, values moved between columns, tables, labels', () => {
    const macs = [
      hex([null]),
      hex(['']),
      hex(['1']),
      hex([1]),
      hex([new Uint8Array([0x31])]),
      hex(['ab', 'c']),
      hex(['a', 'bc']),
      hex(['a', 'bc'], 'vendors'),
      hex(['a', 'bc'], 'grants', ROW_LABELS.external),
    ]
    expect(new Set(macs).size).toBe(macs.length)
  })

  it('refuses values it cannot encode unambiguously (caller misuse)', () => {
    expect(() => hex([1.5])).toThrow(TypeError)
    expect(() => hex([{} as unknown as RowValue])).toThrow(TypeError)
  })
})
