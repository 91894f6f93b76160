import type { ValidationIssue } from '@custos/vault'

/**
 * Which column of an import file holds what. Spreadsheets and shops name their columns in many
 * ways and languages ("Date", "Order number", "Betrag", "Händler"), so a header is folded (case,
 * accents, spaces and punctuation ignored) and looked up among common names; what is still
 * unknown the owner maps by hand in the preview (the `columns` option), or leaves out.
 */
export const CSV_COLUMNS = [
  'seller',
  'orderDate',
  'orderNumber',
  'category',
  'currency',
  'total',
  'notes',
] as const
export type CsvColumn = (typeof CSV_COLUMNS)[number]
/** Currency may instead come from the import's default currency (the `currency` option). */
export const REQUIRED_COLUMNS: readonly CsvColumn[] = ['seller', 'orderDate', 'total']

/** What each column is called in the owner's words (messages and the mapping step). */
export const COLUMN_WORDS: Record<CsvColumn, string> = {
  seller: 'seller',
  orderDate: 'date',
  orderNumber: 'order number',
  category: 'category',
  currency: 'currency',
  total: 'total',
  notes: 'notes',
}

/** `Händler` → `handler`, `Order No.` → `orderno`: what a header is compared by. */
export function foldHeader(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
}

const ALIASES: Record<CsvColumn, readonly string[]> = {
  seller: [
    'seller',
    'merchant',
    'shop',
    'store',
    'vendor',
    'retailer',
    'payee',
    'handler',
    'haendler',
    'verkaufer',
    'verkaeufer',
    'geschaft',
    'vendeur',
    'marchand',
    'magasin',
    'tienda',
    'vendedor',
    'comercio',
    'negozio',
    'venditore',
    'winkel',
    'verkoper',
    'butik',
    'sellername',
    'merchantname',
    'shopname',
  ],
  orderDate: [
    'orderdate',
    'date',
    'datum',
    'bestelldatum',
    'kaufdatum',
    'purchasedate',
    'fecha',
    'data',
    'dateofpurchase',
    'datedecommande',
    'dato',
    'transactiondate',
  ],
  orderNumber: [
    'ordernumber',
    'orderno',
    'ordernr',
    'orderid',
    'order',
    'bestellnummer',
    'bestellnr',
    'auftragsnummer',
    'numerodecommande',
    'ncommande',
    'numerodepedido',
    'numeroordine',
    'bestelnummer',
    'ordrenummer',
    'reference',
    'ref',
  ],
  category: ['category', 'kategorie', 'categorie', 'categoria', 'kategori', 'type'],
  currency: [
    'currency',
    'curr',
    'waehrung',
    'wahrung',
    'devise',
    'monnaie',
    'moneda',
    'valuta',
    'valuuta',
  ],
  total: [
    'total',
    'amount',
    'betrag',
    'summe',
    'gesamt',
    'gesamtbetrag',
    'montant',
    'importe',
    'importo',
    'totaal',
    'bedrag',
    'belop',
    'belopp',
    'price',
    'preis',
    'prix',
    'precio',
    'sum',
    'totalamount',
    'ordertotal',
  ],
  notes: [
    'notes',
    'note',
    'notiz',
    'notizen',
    'bemerkung',
    'bemerkungen',
    'comment',
    'comments',
    'memo',
    'description',
    'beschreibung',
    'remarque',
    'notas',
  ],
}
const COLUMN_BY_ALIAS = new Map<string, CsvColumn>(
  CSV_COLUMNS.flatMap((c) => ALIASES[c].map((a) => [a, c] as const)),
)

/** How a file's header was understood: one entry per header cell, `null` where the column is left out. */
export interface CsvLayout {
  readonly headers: readonly string[]
  readonly columns: readonly (CsvColumn | null)[]
  /** Header cells neither recognised nor mapped by the owner. */
  readonly unknown: readonly number[]
  /** Required columns no header cell holds (currency counts only without a default currency). */
  readonly missing: readonly CsvColumn[]
}

/** The owner's mapping, per header position: a column name, or `ignore` / empty to leave that column out. */
export type ColumnMapping = readonly string[]

export function csvLayout(
  headers: readonly string[],
  mapping: ColumnMapping | undefined,
  defaultCurrency: string | undefined,
): CsvLayout {
  const columns: (CsvColumn | null)[] = []
  const unknown: number[] = []
  headers.forEach((header, i) => {
    const mapped = mapping?.[i]
    if (mapped !== undefined && mapped !== '' && mapped !== 'auto') {
      columns.push(
        mapped === 'ignore'
          ? null
          : (CSV_COLUMNS as readonly string[]).includes(mapped)
            ? (mapped as CsvColumn)
            : null,
      )
      return
    }
    const known = COLUMN_BY_ALIAS.get(foldHeader(header)) ?? null
    // A column without a name holds nothing anyone asked for: left out rather than asked about.
    if (known === null && header.trim() !== '') unknown.push(i)
    columns.push(known)
  })
  const required =
    defaultCurrency === undefined ? [...REQUIRED_COLUMNS, 'currency' as const] : REQUIRED_COLUMNS
  return { headers, columns, unknown, missing: required.filter((c) => !columns.includes(c)) }
}

/** Why a layout cannot be imported as it stands, as fixed messages (a header cell is never repeated). */
export function layoutIssues(layout: CsvLayout): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  for (const i of layout.unknown)
    issues.push({
      path: `header.${i}`,
      message: `Column ${i + 1} has a name this import does not know: choose what it holds, or leave it out`,
    })
  layout.columns.forEach((c, i) => {
    if (c !== null && layout.columns.indexOf(c) !== i)
      issues.push({
        path: `header.${i}`,
        message: `Column ${i + 1} holds the ${COLUMN_WORDS[c]} again: one column per kind`,
      })
  })
  for (const c of layout.missing)
    issues.push({
      path: 'header',
      message: `No column holds the ${COLUMN_WORDS[c]}${c === 'currency' ? ' (or choose one currency for every row)' : ''}`,
    })
  return issues
}
