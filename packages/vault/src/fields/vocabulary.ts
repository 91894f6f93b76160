import { z } from 'zod'
import { COUNTRY_CODES } from './country-codes.js'

/**
 * The field vocabulary: dotted paths aligned with schema.org `Person` where a property exists
 * (https://schema.org/Person), plus preference paths under `prefs.` and owner-defined paths
 * under `custom.`. Each path has a zod schema; values are validated on every write. Grants name
 * these paths or subtrees of them (`prefs.sizes.*`), and a path not listed here is refused.
 */
const text = (max = 200) => z.string().trim().min(1).max(max)
const list = <T extends z.ZodType>(item: T, max = 50) => z.array(item).max(max)

/**
 * What the labels ask for, checked as they say it (issue 10): messages are words for the owner and
 * never repeat what was typed (a refused value may be anything, and errors travel to logs).
 */
const COUNTRY_MESSAGE = 'Use a two-letter country code, such as DE, GB or US.'
const TELEPHONE_MESSAGE =
  'Use an international number: a + and the country code, then the number (8 to 15 digits in all), such as +49 30 1234567.'

/** ISO 3166-1 alpha-2, an assigned code only (`de` is read as `DE`; `UK` and `Germany` are refused). */
const countryCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine((code) => COUNTRY_CODES.has(code), COUNTRY_MESSAGE)

/**
 * An ITU-T E.164 number — `+`, a country code that does not start with 0, 8 to 15 digits in all —
 * written as people write it (E.123 international notation: spaces, dashes, dots and brackets
 * between the digits). The separators are ignored when counting and kept when storing, so the
 * number reads back as the owner wrote it (and vendors that showed it keep seeing the same text).
 * Values stored before this check are read as they are; only a new write must pass it.
 */
const telephone = z
  .string()
  .trim()
  .regex(/^\+[ (]*[1-9](?:[ ().-]*[0-9]){7,14}[ ().-]*$/, TELEPHONE_MESSAGE)

/** schema.org `PostalAddress`. */
export const PostalAddress = z
  .object({
    streetAddress: text(300),
    addressLocality: text(),
    addressRegion: text().optional(),
    postalCode: text(32).optional(),
    addressCountry: countryCode,
    recipient: text().optional(),
  })
  .strict()

const languageTag = z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'BCP 47 language tag')
const isoDate = z.iso.date()

interface FieldDefinition {
  readonly schema: z.ZodType
  readonly label: string
  readonly group:
    | 'identity'
    | 'contact'
    | 'address'
    | 'about'
    | 'sizes'
    | 'diet'
    | 'contact preferences'
    | 'brands'
    | 'shopping'
}

const def = (
  schema: z.ZodType,
  label: string,
  group: FieldDefinition['group'],
): FieldDefinition => ({ schema, label, group })

export const VOCABULARY = {
  'name.given': def(text(), 'Given name', 'identity'),
  'name.family': def(text(), 'Family name', 'identity'),
  'name.additional': def(text(), 'Middle names', 'identity'),
  'name.honorificPrefix': def(text(40), 'Title (prefix)', 'identity'),
  'name.honorificSuffix': def(text(40), 'Suffix', 'identity'),
  alternateName: def(text(), 'Preferred name', 'identity'),
  email: def(z.email(), 'Email', 'contact'),
  'emails.other': def(list(z.email(), 20), 'Other emails', 'contact'),
  telephone: def(telephone, 'Telephone', 'contact'),
  'address.home': def(PostalAddress, 'Home address', 'address'),
  'address.shipping': def(PostalAddress, 'Shipping address', 'address'),
  'address.billing': def(PostalAddress, 'Billing address', 'address'),
  birthDate: def(isoDate, 'Date of birth', 'about'),
  gender: def(text(60), 'Gender', 'about'),
  nationality: def(countryCode, 'Nationality', 'about'),
  knowsLanguage: def(list(languageTag, 20), 'Languages', 'about'),
  jobTitle: def(text(), 'Job title', 'about'),
  worksFor: def(text(), 'Employer', 'about'),
  'prefs.sizes.shoe': def(text(40), 'Shoe size', 'sizes'),
  'prefs.sizes.top': def(text(40), 'Top size', 'sizes'),
  'prefs.sizes.bottom': def(text(40), 'Bottom size', 'sizes'),
  'prefs.sizes.dress': def(text(40), 'Dress size', 'sizes'),
  'prefs.sizes.ring': def(text(40), 'Ring size', 'sizes'),
  'prefs.diet': def(
    list(
      z.enum([
        'vegetarian',
        'vegan',
        'pescatarian',
        'halal',
        'kosher',
        'gluten-free',
        'lactose-free',
        'low-sugar',
        'other',
      ]),
      10,
    ),
    'Diet',
    'diet',
  ),
  'prefs.allergies': def(list(text(80), 30), 'Allergies', 'diet'),
  'prefs.contact.channel': def(
    z.enum(['email', 'sms', 'phone', 'post', 'app', 'none']),
    'Preferred channel',
    'contact preferences',
  ),
  'prefs.contact.frequency': def(
    z.enum(['never', 'monthly', 'weekly', 'daily', 'transactional-only']),
    'How often',
    'contact preferences',
  ),
  'prefs.contact.language': def(languageTag, 'Language for messages', 'contact preferences'),
  'prefs.brands.liked': def(list(text(80), 100), 'Brands I like', 'brands'),
  'prefs.brands.avoid': def(list(text(80), 100), 'Brands I avoid', 'brands'),
  'prefs.currency': def(
    z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code'),
    'Currency',
    'shopping',
  ),
  'prefs.interests': def(list(text(80), 100), 'Interests', 'shopping'),
} as const satisfies Record<string, FieldDefinition>

export type KnownFieldPath = keyof typeof VOCABULARY

/** Owner-defined fields: `custom.<segment>[.<segment>…]`, up to five segments. */
export const CUSTOM_PATH = /^custom(\.[a-z][a-zA-Z0-9_-]{0,63}){1,5}$/

/** A custom field's own value: a plain JSON scalar or a short list of strings. */
const CustomPlainValue = z.union([
  z.string().max(4000),
  z.number().finite(),
  z.boolean(),
  list(z.string().max(400), 100),
])

/**
 * Values of custom fields: a plain value, or `{ label, value }` when the owner named the field in
 * words its path cannot hold ("favourite colour" is stored at `custom.favourite-colour`). The
 * label is a value, so it is encrypted with it and a vendor granted the field learns what it means;
 * fields stored before labels existed are plain values and read as before.
 */
export const CustomValue = z.union([
  CustomPlainValue,
  z.object({ label: text(200), value: CustomPlainValue }).strict(),
])

/** Largest accepted encoded value, in bytes of JSON. */
export const MAX_VALUE_BYTES = 16 * 1024

/** Every field path: a known path or a custom one. */
export type FieldPath = KnownFieldPath | `custom.${string}`

export function isKnownPath(path: string): path is KnownFieldPath {
  return Object.hasOwn(VOCABULARY, path)
}

export function isFieldPath(path: string): path is FieldPath {
  return isKnownPath(path) || CUSTOM_PATH.test(path)
}

/** The zod schema that values of `path` must satisfy, or undefined for an unknown path. */
export function schemaFor(path: string): z.ZodType | undefined {
  if (isKnownPath(path)) return VOCABULARY[path].schema
  if (CUSTOM_PATH.test(path)) return CustomValue
  return undefined
}
