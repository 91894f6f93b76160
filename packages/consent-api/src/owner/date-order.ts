/**
 * Dates as exports write them: ISO (`2026-03-14`, or an instant), `14.03.2026` (day first, as
 * German-speaking countries write it), and with slashes or dashes, where `03/04/2026` is the 3rd
 * of April in Europe and the 4th of March in the United States. The order of a file is detected
 * from all its dates at once — one date with a first part above 12 settles day-first, one with a
 * second part above 12 month-first — and when no date settles it, day-first is assumed and the
 * preview says so, so the owner can confirm or switch (the `dateOrder` option).
 *
 * @example
 * detectDateOrder(['03/04/2026', '25/04/2026']) // { order: 'dmy', certain: true }
 * dateAs('03/04/2026', 'mdy')                   // '2026-03-04'
 */
export const DATE_ORDERS = ['dmy', 'mdy'] as const
export type DateOrder = (typeof DATE_ORDERS)[number]

/** In the owner's words, for the preview. */
export const DATE_ORDER_WORDS: Record<DateOrder, string> = {
  dmy: 'day/month/year (14/03/2026)',
  mdy: 'month/day/year (03/14/2026)',
}

const SLASHED = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T,]+.*)?$/

export interface DetectedDateOrder {
  /** The order of the file's numeric dates; undefined when it has none (ISO dates only). */
  readonly order?: DateOrder
  /** Whether a date settled it (else day-first is a guess the owner should confirm). */
  readonly certain: boolean
}

export function detectDateOrder(cells: readonly string[]): DetectedDateOrder {
  let dayFirst = false
  let monthFirst = false
  let any = false
  for (const cell of cells) {
    const m = SLASHED.exec(cell.trim())
    if (!m) continue
    any = true
    // Dots are day-first everywhere they are used (`14.03.2026`).
    if (Number(m[1]) > 12 || cell.includes('.')) dayFirst = true
    else if (Number(m[2]) > 12) monthFirst = true
  }
  if (!any) return { certain: true }
  if (dayFirst !== monthFirst) return { order: dayFirst ? 'dmy' : 'mdy', certain: true }
  return { order: 'dmy', certain: false }
}

/**
 * A date cell as the vault keeps it (`YYYY-MM-DD`), read in the given order; ISO dates and
 * instants pass unchanged, anything else comes back as it is (and fails validation in words).
 */
export function dateAs(cell: string, order: DateOrder = 'dmy'): string {
  const text = cell.trim()
  const m = SLASHED.exec(text)
  if (!m) return text
  const [, a, b, y] = m as unknown as [string, string, string, string]
  const [d, mo] = order === 'dmy' || text.includes('.') ? [a, b] : [b, a]
  // Two-digit years: exports of purchase history are of this century.
  const year = y.length === 2 ? `20${y}` : y
  return `${year}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`
}
