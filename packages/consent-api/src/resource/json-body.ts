import type { Context } from 'hono'
import type { z } from 'zod'
import { apiProblem, problemResponse, zodIssues } from '../problem.js'

/**
 * A vendor's JSON body checked by `schema` (RFC 9457 at the edge): 415 for another media type,
 * 400 for malformed JSON, 400 with where and why (at most 20 issues) for what `schema` refuses —
 * `Invalid <what>`. Returns the parsed value, or the problem response to answer with.
 */
export async function vendorJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  what: string,
): Promise<z.output<S> | Response> {
  const type = c.req.header('content-type')?.toLowerCase() ?? ''
  if (!/^application\/json\s*(;|$)/.test(type))
    return problemResponse(
      c,
      apiProblem('ERR_UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json'),
    )
  let json: unknown
  try {
    json = await c.req.json()
  } catch {
    return problemResponse(c, apiProblem('ERR_VALIDATION', 'The request body is not valid JSON'))
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success)
    return problemResponse(
      c,
      apiProblem('ERR_VALIDATION', `Invalid ${what}`, zodIssues(parsed.error, { max: 20 })),
    )
  return parsed.data
}
