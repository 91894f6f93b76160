import type { z } from 'zod'
import type { ValidationIssue } from './errors.js'

/**
 * zod issues → {@link ValidationIssue}s: where the input is wrong and why, in fixed words that
 * never repeat the input. zod's own messages do repeat it — an unknown key is named in
 * "Unrecognized key: …" — and an issue path can hold keys the caller chose, so neither is passed
 * on as it is:
 * - the message is chosen by the issue's code, filled in only from the schema (a type name, a
 *   length limit); a message a schema author wrote (a refinement's, a pattern's) is kept, since it
 *   is fixed text in our source;
 * - a path segment is named only when it is an array index or looks like a property name of a
 *   schema (an identifier); anything else a caller could have chosen — a record key with markup,
 *   spaces or dots — is `*`, and a key the schema rejected (`invalid_key`) is never named.
 *
 * @example
 * const parsed = Order.safeParse(input)
 * if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error.issues, 'order'))
 */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], prefix = ''): ValidationIssue[] {
  return issues.map((issue) => {
    // invalid_key: the last segment is the rejected key itself.
    const segments = issue.code === 'invalid_key' ? issue.path.slice(0, -1) : issue.path
    const inner = segments.map(pathSegment).join('.')
    return {
      path: [prefix, inner].filter(Boolean).join('.') || '(root)',
      message: issueMessage(issue),
    }
  })
}

const NAMEABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

function pathSegment(segment: PropertyKey): string {
  if (typeof segment === 'number') return String(segment)
  return typeof segment === 'string' && NAMEABLE.test(segment) ? segment : '*'
}

/** zod's type names (of the schema, never of the input) that may appear in "Expected …". */
const TYPES = new Set([
  'string',
  'number',
  'int',
  'boolean',
  'bigint',
  'object',
  'array',
  'null',
  'date',
  'map',
  'set',
  'tuple',
  'record',
  'file',
  'symbol',
  'nan',
])
const FORMATS: Readonly<Record<string, string>> = {
  email: 'Invalid email address',
  url: 'Invalid URL',
  uuid: 'Invalid UUID',
  datetime: 'Invalid ISO 8601 date-time',
  date: 'Invalid ISO 8601 date',
  time: 'Invalid ISO 8601 time',
  duration: 'Invalid ISO 8601 duration',
  base64: 'Invalid base64',
  base64url: 'Invalid base64url',
  starts_with: 'Does not start as required',
  ends_with: 'Does not end as required',
  includes: 'Does not contain what is required',
  lowercase: 'Must be lower case',
  uppercase: 'Must be upper case',
}

/** The fixed text for one issue. */
function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // zod's message names the input's type (never its value): "received undefined" is a missing value.
      if (/received undefined$/.test(issue.message)) return 'Required'
      return TYPES.has(issue.expected) ? `Expected ${issue.expected}` : 'Wrong type'
    case 'too_big':
      return (
        bound('At most', 'Less than', issue.origin, issue.maximum, issue.inclusive) ?? 'Too large'
      )
    case 'too_small':
      if (
        issue.minimum === 1 &&
        issue.inclusive !== false &&
        (issue.origin === 'string' || issue.origin === 'array')
      )
        return 'Must not be empty'
      return (
        bound('At least', 'More than', issue.origin, issue.minimum, issue.inclusive) ?? 'Too small'
      )
    case 'invalid_format':
      // A pattern's message is the schema author's (zod's default starts "Invalid string: must match pattern").
      if (issue.format === 'regex')
        return /^Invalid string\b/.test(issue.message)
          ? 'Does not have the expected format'
          : issue.message
      return FORMATS[issue.format] ?? 'Invalid format'
    case 'not_multiple_of':
      return 'Not a multiple of the allowed step'
    case 'unrecognized_keys':
      return 'Unknown property'
    case 'invalid_union':
      return 'Invalid input'
    case 'invalid_key':
      return 'Invalid key'
    case 'invalid_element':
      return 'Invalid entry'
    case 'invalid_value':
      return 'Not one of the allowed values'
    case 'custom':
      // A refinement's message is written in our source; zod's default for it is "Invalid input".
      return issue.message
    default:
      return 'Invalid input'
  }
}

function bound(
  inclusiveWord: string,
  exclusiveWord: string,
  origin: string,
  limit: unknown,
  inclusive: boolean | undefined,
): string | undefined {
  if (typeof limit !== 'number' || !Number.isFinite(limit)) return undefined
  const word = inclusive === false ? exclusiveWord : inclusiveWord
  if (origin === 'string') return `${word} ${limit} characters`
  if (origin === 'array' || origin === 'set') return `${word} ${limit} items`
  if (origin === 'number' || origin === 'int') return `${word} ${limit}`
  return undefined
}
