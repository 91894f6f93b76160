/**
 * A strict RFC 4180 CSV reader: comma-separated fields, fields in double quotes may hold commas,
 * line breaks and doubled quotes (`""`); lines end in CRLF or LF. What RFC 4180 §2 forbids is
 * refused with the line it was found on rather than guessed at: a quote inside an unquoted
 * field, text after a closing quote, a quoted field never closed. A leading UTF-8 byte-order
 * mark (spreadsheet exports write one) is skipped; blank lines are skipped.
 *
 * @example
 * parseCsv('seller,total\r\n"Fjord, Outdoor",12.50\r\n') // [['seller', 'total'], ['Fjord, Outdoor', '12.50']]
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

export function parseCsv(text: string, limits: CsvLimits = {}): string[][] {
  const maxRecords = limits.maxRecords ?? 10_001
  const maxFields = limits.maxFields ?? 100
  const records: string[][] = []
  let record: string[] = []
  let lastQuoted = false
  let line = 1
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  const n = text.length

  const endRecord = () => {
    // A blank line is one empty unquoted field: skip it.
    if (!(record.length === 1 && record[0] === '' && !lastQuoted)) {
      if (records.length >= maxRecords) throw new CsvSyntaxError(line, 'Too many rows')
      records.push(record)
    }
    record = []
  }
  const pushField = (value: string, quoted: boolean) => {
    if (record.length >= maxFields) throw new CsvSyntaxError(line, 'Too many columns')
    record.push(value)
    lastQuoted = quoted
  }

  while (i < n) {
    let value = ''
    let quoted = false
    if (text[i] === '"') {
      quoted = true
      const startLine = line
      i++
      for (;;) {
        if (i >= n) throw new CsvSyntaxError(startLine, 'A quoted field is never closed')
        const ch = text[i] as string
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"'
            i += 2
            continue
          }
          i++
          break
        }
        if (ch === '\n') line++
        value += ch
        i++
      }
      const next = text[i]
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') throw new CsvSyntaxError(line, 'Text after a closing quote')
    } else {
      const start = i
      while (i < n) {
        const ch = text[i]
        if (ch === ',' || ch === '\n' || ch === '\r') break
        if (ch === '"') throw new CsvSyntaxError(line, 'A quote inside an unquoted field')
        i++
      }
      value = text.slice(start, i)
    }
    pushField(value, quoted)

    // After a field: a comma (another field follows), a line break, or the end.
    const sep = text[i]
    if (sep === ',') {
      i++
      // A trailing comma at the very end still means one more (empty) field.
      if (i >= n) pushField('', false)
      continue
    }
    if (sep === '\r') i += text[i + 1] === '\n' ? 2 : 1
    else if (sep === '\n') i++
    endRecord()
    line++
  }
  if (record.length > 0) endRecord()
  return records
}
