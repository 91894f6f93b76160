/**
 * Amounts as people type them: `129.90`, `129,90` (the decimal comma of most of Europe),
 * `1,234.56` and `1.234,56` (with thousands separators), `1 234,56`. One parser for the purchase
 * form and the CSV import, so both accept and refuse the same texts.
 *
 * What is refused is what cannot be read one way only: `1,234` and `1.234` are a thousand and
 * more in one country and one and a bit in another, so the owner is asked to write them
 * unmistakably rather than being silently off by a factor of a thousand.
 *
 * @example
 * parseAmountText('129,90')    // { ok: true, value: 129.9 }
 * parseAmountText('1.234,56')  // { ok: true, value: 1234.56 }
 * parseAmountText('1,234')     // { ok: false, reason: 'ambiguous' }
 */
export type AmountText =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly reason: 'format' | 'ambiguous' }

/** How to write an amount, for hints next to amount boxes and in messages. */
export const AMOUNT_HINT =
  'Write amounts like 129.90 or 129,90; with thousands, 1234.56, 1,234.56 or 1.234,56.'

/** Digits with an optional decimal part after the given mark (at most four decimals, as the vault keeps). */
const plain = (mark: '.' | ',') => new RegExp(`^[0-9]{1,13}(\\${mark}[0-9]{1,4})?$`)
const POINT = plain('.')
const COMMA = plain(',')
/** Grouped thousands: `1,234,567.89` (comma groups, point decimals) or `1.234.567,89` (the other way round); spaces group too. */
const GROUPED_COMMA = /^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,4})?$/
const GROUPED_POINT = /^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,4})?$/
const GROUPED_SPACE = /^[0-9]{1,3}( [0-9]{3})+([.,][0-9]{1,4})?$/

export function parseAmountText(raw: string): AmountText {
  // Narrow no-break and no-break spaces are what spreadsheets print between thousands.
  const text = raw.trim().replace(/[\u00a0\u202f]/g, ' ')
  // One mark with exactly three digits after it (`1,234`, `1.234`) may group thousands or may be
  // a decimal mark, depending on the country: not guessed. Any other single mark is a decimal
  // mark (`129.90`, `129,90`, `5,5`).
  const single = POINT.test(text) ? '.' : COMMA.test(text) ? ',' : undefined
  if (single !== undefined) {
    const at = text.indexOf(single)
    if (at >= 0 && text.length - at - 1 === 3) return { ok: false, reason: 'ambiguous' }
    return { ok: true, value: Number(text.replace(',', '.')) }
  }
  const grouped = (separator: string, decimal: string) =>
    Number(text.split(separator).join('').replace(decimal, '.'))
  // `1,234` matched neither above; with grouping alone and no decimals it is still the ambiguous case.
  if (GROUPED_COMMA.test(text))
    return text.includes('.') || text.split(',').length > 2
      ? { ok: true, value: grouped(',', '.') }
      : { ok: false, reason: 'ambiguous' }
  if (GROUPED_POINT.test(text))
    return text.includes(',') || text.split('.').length > 2
      ? { ok: true, value: grouped('.', ',') }
      : { ok: false, reason: 'ambiguous' }
  if (GROUPED_SPACE.test(text))
    return { ok: true, value: Number(text.replace(/ /g, '').replace(',', '.')) }
  return { ok: false, reason: 'format' }
}

/** What to tell the owner about a refused amount (fixed words: the typed text is never repeated). */
export function amountProblem(reason: 'format' | 'ambiguous'): string {
  return reason === 'ambiguous'
    ? 'can be read two ways: write 1234.00 or 1.234,00 for over a thousand, 1.23 or 1,23 for a little over one'
    : 'is not an amount: write it like 129.90 or 129,90'
}
