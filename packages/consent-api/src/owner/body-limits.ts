import { bodyLimit } from 'hono/body-limit'
import type { MiddlewareHandler } from 'hono'
import { apiProblem, problemResponse } from '../problem.js'

/**
 * Owner routes that take larger bodies than the app-wide limit: imports (a purchase history, a
 * portable export) and restores (a whole backup). `createApp` skips its default limit for exactly
 * these paths; each route applies its own limit *after* the session and CSRF checks, so nobody
 * unauthenticated can make the server read more than the default.
 */
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024
export const RESTORE_BODY_LIMIT = 512 * 1024 * 1024

export const OWNER_BODY_LIMITS: ReadonlyMap<string, number> = new Map([
  ['/owner/purchases/import', IMPORT_BODY_LIMIT],
  ['/owner/import', IMPORT_BODY_LIMIT],
  ['/owner/restore', RESTORE_BODY_LIMIT],
  // The web app's import page (@custos/web pages/purchase-import-page.ts): it applies its own,
  // smaller limit once the session cookie is checked, before the CSRF field is read.
  ['/purchases/import', IMPORT_BODY_LIMIT],
  // The web app's restore forms (@custos/web pages/restore-upload.ts): their own, smaller limit
  // applies before the body is read (the settings form: also before the owner gate reads it).
  ['/settings/restore', RESTORE_BODY_LIMIT],
  ['/setup/restore', RESTORE_BODY_LIMIT],
])

/** True for a path whose route sets its own body limit (see {@link OWNER_BODY_LIMITS}). */
export function hasOwnBodyLimit(path: string): boolean {
  return OWNER_BODY_LIMITS.has(path)
}

export const tooLarge = apiProblem('ERR_BODY_TOO_LARGE')

/** hono's body limit with the API's 413 problem. */
export function ownerBodyLimit(maxSize: number): MiddlewareHandler {
  return bodyLimit({ maxSize, onError: (c) => problemResponse(c, tooLarge) })
}

export class BodyTooLargeError extends Error {
  constructor() {
    super('The request body is too large')
    this.name = 'BodyTooLargeError'
  }
}

/**
 * The request body as chunks, refusing (with {@link BodyTooLargeError}) once more than `maxSize`
 * bytes arrived — for bodies handed on as a stream rather than buffered twice.
 */
export async function* limitedChunks(
  body: ReadableStream<Uint8Array>,
  maxSize: number,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader()
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      size += value.byteLength
      if (size > maxSize) throw new BodyTooLargeError()
      yield value
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}
