import { createHash } from 'node:crypto'
import { CUSTOM_PATH } from '@custos/vault'

/** A custom field's name as the owner typed it, and the path it is stored at. */
export type CustomFieldName =
  | { readonly ok: true; readonly path: `custom.${string}`; readonly label: string | undefined }
  | { readonly ok: false; readonly message: string }

/** What a name may hold: letters and digits of any language, spaces, and . - _ ' ’ */
const NAME = /^[\p{L}\p{M}\p{N} .'’_-]+$/u
/** A segment already in path form: kept as typed, so existing fields (`loyaltyAirline`) are replaced, not doubled. */
const SEGMENT = /^[a-z][a-zA-Z0-9_-]{0,63}$/
/** Letters NFKD does not take apart. */
const SPELLED: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  ø: 'o',
  œ: 'oe',
  đ: 'd',
  ł: 'l',
  þ: 'th',
  ð: 'd',
  ı: 'i',
}

/**
 * A field name in the owner's words ("favourite colour", "Größe") becomes a path segment a grant
 * can name (`custom.favourite-colour`, `custom.grosse`); the typed name is kept as the field's
 * label whenever the path cannot show it. Dots still group fields (`loyalty.airline`), up to five
 * parts. A part with no Latin letter or digit at all ("颜色") gets a stable segment derived from
 * it, so typing the same name again replaces that field rather than adding another.
 *
 * @example
 * customFieldName('favourite colour') // { ok: true, path: 'custom.favourite-colour', label: 'favourite colour' }
 * customFieldName('loyalty.airline') // { ok: true, path: 'custom.loyalty.airline', label: undefined }
 */
export function customFieldName(typed: string): CustomFieldName {
  const name = typed
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/^custom\./, '')
  if (name === '')
    return { ok: false, message: 'Give the field a name, for example favourite colour.' }
  if (name.length > 200)
    return { ok: false, message: 'Use a shorter name (at most 200 characters).' }
  if (!NAME.test(name))
    return {
      ok: false,
      message: 'Use letters, digits, spaces and . - _ or an apostrophe in the name.',
    }
  const parts = name
    .split('.')
    .map((p) => p.trim())
    .filter(Boolean)
  if (parts.length === 0)
    return { ok: false, message: 'Give the field a name, for example favourite colour.' }
  if (parts.length > 5) return { ok: false, message: 'Use at most five parts separated by dots.' }
  const path = `custom.${parts.map(segment).join('.')}` as const
  // The path is built to fit; this guards the invariant rather than any input.
  if (!CUSTOM_PATH.test(path)) throw new TypeError('derived custom path does not match CUSTOM_PATH')
  return { ok: true, path, label: path === `custom.${name}` ? undefined : name }
}

function segment(part: string): string {
  if (SEGMENT.test(part)) return part
  const latin = [...part.normalize('NFKD').toLowerCase().replace(/\p{M}/gu, '')]
    .map((ch) => SPELLED[ch] ?? ch)
    .join('')
  const slug = latin.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  const word =
    slug === ''
      ? `f${createHash('sha256').update(part).digest('hex').slice(0, 10)}`
      : /^[a-z]/.test(slug)
        ? slug
        : `f-${slug}`
  return word.slice(0, 64).replace(/-+$/, '')
}
