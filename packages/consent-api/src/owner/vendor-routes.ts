import { Hono } from 'hono'
import { z } from 'zod'
import type { Vault } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, jsonBody, pathParam } from './owner-input.js'

export const BlockBody = z.object({ blocked: z.boolean() }).strict()

/** How far back `lastReadAt` looks: the newest this many vendor reads of the audit log. */
const READ_SCAN_LIMIT = 50_000
const PAGE = 1000

/**
 * When each vendor last read through a grant, from the audit log (newest first), in one pass
 * that stops once every vendor is found or {@link READ_SCAN_LIMIT} reads were looked at — so the
 * cost of listing vendors stays bounded however long the log grows.
 */
async function lastReads(vault: Vault, vendorIds: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  const wanted = new Set(vendorIds)
  let before: number | undefined
  for (let scanned = 0; scanned < READ_SCAN_LIMIT && found.size < wanted.size; ) {
    const entries = await vault.audit.list({ action: 'grant.read', limit: PAGE, ...(before !== undefined ? { before } : {}) })
    for (const e of entries) if (e.vendorId !== undefined && wanted.has(e.vendorId) && !found.has(e.vendorId)) found.set(e.vendorId, e.at)
    scanned += entries.length
    if (entries.length < PAGE) break
    before = entries[entries.length - 1]?.seq
  }
  return found
}

/**
 * Vendors (registered OAuth clients): `GET /owner/vendors` with each one's grant counts and last
 * read, `POST /owner/vendors/:id/block` `{ blocked }` — a blocked vendor's every request is
 * refused by the vault until unblocked.
 */
export function vendorRoutes(app: AppContext): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const [vendors, grants] = await Promise.all([app.vault.vendors.list(), app.vault.grants.list()])
    const reads = await lastReads(
      app.vault,
      vendors.map((v) => v.id),
    )
    return c.json({
      vendors: vendors.map((v) => {
        const own = grants.filter((g) => g.vendorId === v.id)
        return { ...v, grants: own.length, activeGrants: own.filter((g) => g.status === 'active').length, lastReadAt: reads.get(v.id) ?? null }
      }),
    })
  })

  routes.post('/:id/block', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    const { blocked } = await jsonBody(c, BlockBody)
    await app.vault.vendors.setBlocked(id, blocked)
    return c.json(await app.vault.vendors.get(id))
  })

  return routes
}
