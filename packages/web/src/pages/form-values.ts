import type { Context } from 'hono'

/**
 * A submitted HTML form, read once. Hono caches the parsed body, so the owner gate's CSRF check
 * and the page read the same `FormData` (the request stream is consumed only once).
 */
export interface FormValues {
  /** The field's text, or '' when absent (or a file). */
  text(name: string): string
  /** The field's text, or undefined when the form had no such field. */
  optional(name: string): string | undefined
  /** Every text value of a repeated field, in order. */
  all(name: string): string[]
  /** Whether the form carried the field at all (a ticked checkbox, a pressed button). */
  has(name: string): boolean
  /** An uploaded file, or undefined when none was chosen. */
  file(name: string): File | undefined
  /** Every uploaded file of a repeated or `multiple` file field, in order (empty parts left out). */
  files(name: string): File[]
  /** Every field name in the form, in order. */
  names(): string[]
}

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data'])

/** Reads a urlencoded or multipart body; anything else (or a malformed body) reads as an empty form. */
export async function readForm(c: Context): Promise<FormValues> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const data = FORM_TYPES.has(type)
    ? await c.req.formData().catch(() => new FormData())
    : new FormData()
  return {
    text: (name) => {
      const value = data.get(name)
      return typeof value === 'string' ? value : ''
    },
    optional: (name) => {
      const value = data.get(name)
      return typeof value === 'string' ? value : undefined
    },
    all: (name) => data.getAll(name).filter((v): v is string => typeof v === 'string'),
    has: (name) => data.has(name),
    file: (name) => {
      const value = data.get(name)
      // An empty file input still submits a nameless, empty part: that is "no file".
      return typeof value !== 'string' && value !== null && (value.size > 0 || value.name !== '')
        ? value
        : undefined
    },
    files: (name) =>
      data
        .getAll(name)
        .flatMap((v) => (typeof v !== 'string' && (v.size > 0 || v.name !== '') ? [v] : [])),
    names: () => [...new Set(data.keys())],
  }
}
