import { CsvError, parse } from 'csv-parse/sync'

/**
 * Reading CSV files as spreadsheets write them, through `csv-parse` (RFC 4180 quoting plus the
 * dialects seen in the wild): the delimiter is a comma, a semicolon (what spreadsheets write where
 * the decimal mark is a comma) or a tab, detected from the header line; fields in double quotes
 * may hold delimiters, line breaks and doubled quotes (`""`); lines end in CRLF or LF; a leading
 * byte-order mark and blank lines are skipped. What RFC 4180 §2 forbids is refused with the line it
 * was found on rather than guessed at: a quote inside an unquoted field, text after a closing
 * quote, a quoted field never closed. The library's own messages quote the offending field, so
 * they are replaced by fixed ones (an error never repeats the file's content).
 *
 * @example
 * parseCsv('seller,total\r\n"Fjord, Outdoor",12.50\r\n') // [['seller', 'total'], ['Fjord, Outdoor', '12.50']]
 * parseCsv('Händler;Betrag\nFjord;129,90\n')            // [['Händler', 'Betrag'], ['Fjord', '129,90']]
 */
export class CsvSyntaxError extends Error {
  /** 1-based line of the input where the problem was found. */
  readonly line: number
  constructor(line: number, message: string) {
    super(message)
    this.name = 'CsvSyntaxError'
    this.line = line
  }
}

export interface CsvLimits {
  /** Most records (the header included) before refusing; default 10,001. */
  readonly maxRecords?: number
  /** Most fields in one record; default 100. */
  readonly maxFields?: number
}

export type CsvDelimiter = ',' | ';' | '\t'
const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t']

/**
 * The delimiter of a file: whichever of comma, semicolon and tab occurs most often outside
 * quotes on its first non-blank line (the header); a comma when none does.
 */
export function detectDelimiter(text: string): CsvDelimiter {
  const first =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '') ?? ''
  const unquoted = first.replace(/"[^"]*"/g, '')
  let best: CsvDelimiter = ','
  let most = 0
  for (const d of DELIMITERS) {
    const count = unquoted.split(d).length - 1
    if (count > most) [best, most] = [d, count]
  }
  return best
}

/** The line on which the last quoted field opened (for a field never closed: csv-parse reports the end of the file). */
function lineOfUnclosedQuote(text: string, delimiter: string): number {
  let line = 1
  let opened = 1
  let inQuotes = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\n') line++
    if (ch !== '"') continue
    if (inQuotes) {
      if (text[i + 1] === '"') i++
      else inQuotes = false
    } else if (
      i === 0 ||
      text[i - 1] === delimiter ||
      text[i - 1] === '\n' ||
      text[i - 1] === '\r' ||
      (i === 1 && text[0] === '\uFEFF')
    ) {
      inQuotes = true
      opened = line
    }
  }
  return opened
}

const MESSAGES: Record<string, string> = {
  CSV_INVALID_OPENING_QUOTE: 'A quote inside an unquoted field',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'Text after a closing quote',
  CSV_INVALID_CLOSING_QUOTE: 'Text after a closing quote',
  CSV_QUOTE_NOT_CLOSED: 'A quoted field is never closed',
}

export function parseCsv(
  text: string,
  limits: CsvLimits = {},
  delimiter: CsvDelimiter = detectDelimiter(text),
): string[][] {
  const maxRecords = limits.maxRecords ?? 10_001
  const maxFields = limits.maxFields ?? 100
  let records: string[][]
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // Stop reading well past the limit rather than building a huge array first.
      to: maxRecords + 1,
    }) as string[][]
  } catch (err) {
    if (err instanceof CsvError) {
      const line =
        err.code === 'CSV_QUOTE_NOT_CLOSED'
          ? lineOfUnclosedQuote(text, delimiter)
          : Number((err as CsvError & { lines?: number }).lines ?? 1)
      throw new CsvSyntaxError(line, MESSAGES[err.code] ?? 'The file is not readable CSV')
    }
    throw err
  }
  if (records.length > maxRecords) throw new CsvSyntaxError(maxRecords + 1, 'Too many rows')
  const wide = records.findIndex((r) => r.length > maxFields)
  if (wide >= 0) throw new CsvSyntaxError(wide + 1, 'Too many columns')
  return records
}
