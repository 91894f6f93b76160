import { Hono } from 'hono'
import { z } from 'zod'
import { AuditAction, type AuditFilter } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, intParam, validate } from './owner-input.js'

const DEFAULT_LIMIT = 100

/** `action` may repeat or list several actions separated by commas. */
const Actions = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')))
  .pipe(z.array(AuditAction).min(1).max(AuditAction.options.length))

export const AuditQuery = z
  .object({
    action: Actions.optional(),
    grantId: RecordId.optional(),
    vendorId: RecordId.optional(),
    since: z.iso.datetime().optional(),
    until: z.iso.datetime().optional(),
    before: intParam(1, 2 ** 31 - 1).optional(),
    limit: intParam(1, 1000).optional(),
  })
  .strict()

/**
 * The audit log: `GET /owner/audit` lists entries newest first (ids, paths, times — never
 * values, SECURITY.md 21); page back with `before=<seq of the last entry>`. `GET /owner/audit/verify`
 * walks the whole hash chain and names the first bad entry (SECURITY.md 20); a damaged log stops
 * vendor reads until `POST /owner/audit/acknowledge` records the damage in a new anchored entry.
 */
export function auditRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const repeated = c.req.queries('action')
    const q = validate(
      AuditQuery,
      { ...c.req.query(), ...(repeated ? { action: repeated } : {}) },
      'Invalid query',
    )
    const filter = Object.fromEntries(
      Object.entries(q).filter(([, v]) => v !== undefined),
    ) as AuditFilter
    const entries = await actions.read.audit.list(filter)
    const last = entries[entries.length - 1]
    // A full page may have more behind it: the client passes nextBefore as `before`.
    const full = entries.length === (q.limit ?? DEFAULT_LIMIT)
    return c.json({ entries, ...(full && last !== undefined ? { nextBefore: last.seq } : {}) })
  })

  routes.get('/verify', async (c) => c.json(await actions.read.audit.verify()))

  // The owner acknowledges a damaged log (SECURITY.md, "The barrier"): a new anchored entry records
  // the damage and vendor reads resume. Answers the verification that was acknowledged.
  routes.post('/acknowledge', async (c) => c.json(await actions.audit.acknowledgeBreak()))

  return routes
}
