import { Hono } from 'hono'
import { deleteCookie } from 'hono/cookie'
import { z } from 'zod'
import { type Credentials, VaultExport } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { apiProblem, problemResponse } from '../problem.js'
import { day, downloadHeaders } from './backup-download.js'
import {
  BodyTooLargeError,
  IMPORT_BODY_LIMIT,
  RESTORE_BODY_LIMIT,
  limitedChunks,
  ownerBodyLimit,
  tooLarge,
} from './body-limits.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RequestProblem } from './owner-errors.js'
import { jsonBody, mediaType, queryParams, unsupportedMediaType, validate } from './owner-input.js'
import { SESSION_COOKIE } from '../store/session-store.js'
import { statusView } from './status-routes.js'

export const ImportModeQuery = z
  .object({ mode: z.enum(['merge', 'replace']).default('merge') })
  .strict()

/**
 * The backup's secret, from a header: `X-Backup-Passphrase` (percent-encoded, as by
 * `encodeURIComponent`, so any Unicode passphrase survives HTTP's Latin-1 header values) or
 * `X-Backup-Recovery-Key` — exactly one.
 */
export const RestoreCredentials = z.union([
  z.object({
    passphrase: z
      .string()
      .min(1)
      .max(3 * 1024),
    recoveryKey: z.undefined(),
  }),
  z.object({ passphrase: z.undefined(), recoveryKey: z.string().min(1).max(200) }),
])

function restoreCredentials(
  passphraseHeader: string | undefined,
  recoveryKey: string | undefined,
): Credentials {
  let passphrase: string | undefined
  if (passphraseHeader !== undefined) {
    try {
      passphrase = decodeURIComponent(passphraseHeader)
    } catch {
      throw new RequestProblem(
        apiProblem('ERR_VALIDATION', 'X-Backup-Passphrase must be percent-encoded UTF-8'),
      )
    }
  }
  const parsed = validate(
    RestoreCredentials,
    { passphrase, recoveryKey },
    'Give exactly one of X-Backup-Passphrase or X-Backup-Recovery-Key',
  )
  return parsed.passphrase !== undefined
    ? { passphrase: parsed.passphrase }
    : { recoveryKey: parsed.recoveryKey as string }
}

/**
 * Leaving and coming back: `GET /owner/export` (the portable plaintext JSON, as a download),
 * `POST /owner/import?mode=merge|replace` (that JSON, validated whole before anything is
 * written), `GET /owner/backup` (the encrypted backup, streamed) and `POST /owner/restore`
 * (a backup's bytes; the vault verifies the whole stream before replacing anything, SECURITY.md 12).
 */
export function exitRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  const guard = ownerGuard(app)

  routes.get('/export', guard, async (c) => {
    const doc = await actions.exportJson()
    return c.body(
      JSON.stringify(doc, null, 2),
      200,
      downloadHeaders('application/json; charset=utf-8', `custos-export-${day(app.now())}.json`),
    )
  })

  routes.post('/import', guard, ownerBodyLimit(IMPORT_BODY_LIMIT), async (c) => {
    const { mode } = queryParams(c, ImportModeQuery)
    const doc = await jsonBody(c, VaultExport)
    return c.json(await actions.importJson(doc, mode))
  })

  routes.get('/backup', guard, async (c) => {
    const { body, headers } = await actions.backup()
    return c.body(body, 200, headers)
  })

  routes.post('/restore', guard, async (c) => {
    if (mediaType(c) !== 'application/octet-stream')
      throw unsupportedMediaType('application/octet-stream')
    const credentials = restoreCredentials(
      c.req.header('x-backup-passphrase'),
      c.req.header('x-backup-recovery-key'),
    )
    // This route's own limit (the app-wide one skips it): by the declared length at once, else while reading.
    const declared = c.req.header('content-length')
    if (
      declared !== undefined &&
      !c.req.header('transfer-encoding') &&
      Number(declared) > RESTORE_BODY_LIMIT
    )
      return problemResponse(c, tooLarge)
    const body = c.req.raw.body
    if (!body)
      throw new RequestProblem(
        apiProblem('ERR_BACKUP_INVALID', 'The request has no backup in its body'),
      )
    try {
      // Never beside a key rotation (409); once restored, every owner session has ended.
      if (
        (await actions.restore(limitedChunks(body, RESTORE_BODY_LIMIT), credentials, {
          origin: 'api',
        })) === 'busy'
      )
        throw new RequestProblem(apiProblem('ERR_KEYS_BUSY'))
    } catch (err) {
      if (err instanceof BodyTooLargeError) return problemResponse(c, tooLarge)
      throw err
    }
    // This one too: its cookie goes.
    deleteCookie(c, SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })
    return c.json(statusView(await actions.read.status()))
  })

  return routes
}
