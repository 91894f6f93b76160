import { z } from 'zod'
import type { RouteDoc } from '../openapi/openapi-document.js'

/**
 * What every owner route's documentation shares: every route but status and unlock needs the
 * session cookie, and every state change the `X-CSRF-Token` header; those refusals are the same
 * everywhere (owner-docs.ts, relationship-docs.ts).
 */
export const GUARD = {
  '401': { description: 'No live owner session (ERR_NO_SESSION)' },
  '403': { description: "State change without the session's X-CSRF-Token (ERR_CSRF)" },
  '503': { description: 'The vault is sealed (ERR_VAULT_LOCKED)' },
} as const
export const INVALID = {
  '400': { description: 'Invalid input (ERR_VALIDATION); issues name where, never what' },
} as const
export const NOT_FOUND = { '404': { description: 'No such record (ERR_NOT_FOUND)' } } as const
export const json = (schema: z.ZodType) => ({ type: 'application/json' as const, schema })
export const ok = (description: string, schema?: z.ZodType) => ({
  '200': { description, ...(schema ? { schema } : {}) },
})
export const Anything = z.record(z.string(), z.unknown())
type Doc = Omit<RouteDoc, 'tag' | 'auth'>
export const guarded = (doc: Doc): RouteDoc => ({
  ...doc,
  tag: 'Owner',
  auth: 'owner',
  responses: { ...doc.responses, ...GUARD },
})
