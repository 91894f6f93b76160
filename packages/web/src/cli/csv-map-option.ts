import { CSV_COLUMNS, type CsvColumn } from '@custos/consent-api'

/** The names `--map` takes for what a column holds: the import's own, and the owner's words. */
const TARGETS: Readonly<Record<string, CsvColumn>> = {
  ...Object.fromEntries(CSV_COLUMNS.map((c) => [c.toLowerCase(), c])),
  date: 'orderDate',
  order: 'orderNumber',
  amount: 'total',
}

/** Case, accents, spaces and punctuation ignored, as the import compares headers. */
const fold = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')

/**
 * `--map date=Buchungstag,seller=Empfänger,total=Betrag`: the column mapping (one entry per
 * column of the header, `auto` for the ones not named, which the import then recognises by
 * name) — or the reason, in words, why the option cannot be used with this file.
 */
export function columnsFromMap(
  spec: string,
  header: readonly string[],
): { readonly columns: string[] } | { readonly error: string } {
  const columns = header.map(() => 'auto')
  const folded = header.map(fold)
  for (const part of spec.split(',')) {
    const at = part.indexOf('=')
    const target = TARGETS[part.slice(0, at).trim().toLowerCase()]
    const name = part.slice(at + 1).trim()
    if (at < 0 || !target || name === '')
      return {
        error: `--map takes WHAT=COLUMN pairs, WHAT one of ${Object.keys(TARGETS).join(', ')}`,
      }
    const index = folded.indexOf(fold(name))
    if (index < 0) return { error: `--map: the file has no column called “${name}”` }
    columns[index] = target
  }
  return { columns }
}
