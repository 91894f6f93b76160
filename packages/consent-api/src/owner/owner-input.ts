import type { Context } from 'hono'
import { z } from 'zod'
import type { ValidationIssue } from '@custos/vault'
import { apiProblem, zodIssues } from '../problem.js'
import { RequestProblem } from './owner-errors.js'

/**
 * Reading untrusted input of the owner API: every body, query and path parameter goes through a
 * zod schema (SECURITY.md 22), and failures become 4xx problems that name *where* the input is
 * wrong, never *what* it was: the one translator (problem.ts `zodIssues`, over the vault's
 * `issuesFromZod`) gives fixed words and names no key the caller chose.
 */
const invalid = (title: string, issues?: ValidationIssue[]) =>
  new RequestProblem(apiProblem('ERR_VALIDATION', title, issues))

/** The media type of the request, lower-cased, without parameters ('' when absent). */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

export function unsupportedMediaType(expected: string): RequestProblem {
  return new RequestProblem(
    apiProblem('ERR_UNSUPPORTED_MEDIA_TYPE', `The request body must be ${expected}`),
  )
}

/**
 * Parses JSON text; malformed → 400. Requiring `application/json` also keeps cross-site HTML
 * forms out: a browser sends that type cross-origin only after a CORS preflight, which this API
 * never grants (a second line behind SameSite=Strict and the CSRF token).
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw invalid('The request body is not valid JSON')
  }
}

/** The JSON body, validated by `schema`; 415 for another media type, 400 when malformed or invalid. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  if (mediaType(c) !== 'application/json') throw unsupportedMediaType('application/json')
  return validate(schema, parseJsonText(await c.req.text()), 'Invalid request body')
}

/** The query string, validated by a strict object schema (unknown parameters are refused). */
export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return validate(schema, c.req.query(), 'Invalid query')
}

/** A path parameter, validated. */
export function pathParam<S extends z.ZodType>(c: Context, name: string, schema: S): z.output<S> {
  return validate(schema, c.req.param(name), 'Invalid path parameter', name)
}

export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  title: string,
  prefix = '',
): z.output<S> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw invalid(title, zodIssues(parsed.error, { prefix }))
  return parsed.data
}

/** Ids the vault hands out (`pur_…`, `grt_…`, vendor ids): short, URL-safe. */
export const RecordId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'not an id')

/** A decimal integer in a query string, within bounds. */
export const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))

/** An ISO 8601 date or date-time with offset, as the vault's filters take them. */
export const DateOrDateTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()])
