import { Hono } from 'hono'
import { z } from 'zod'
import type { AuditEntry, Grant, Vault } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, jsonBody, pathParam } from './owner-input.js'

export const BlockBody = z.object({ blocked: z.boolean() }).strict()

/**
 * When each vendor last read through a grant: the newest of its grants' last reads, each one
 * indexed lookup in the audit log (the vault's `audit.lastReadPerGrant`), however long it grows.
 */
async function lastReads(vault: Vault, grants: readonly Grant[]): Promise<Map<string, string>> {
  const reads = await vault.audit.lastReadPerGrant(grants.map((g) => g.id))
  const newest = new Map<string, AuditEntry>()
  for (const g of grants) {
    const read = reads.get(g.id)
    const known = newest.get(g.vendorId)
    if (read && (!known || read.seq > known.seq)) newest.set(g.vendorId, read)
  }
  return new Map([...newest].map(([vendorId, read]) => [vendorId, read.at]))
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
    const reads = await lastReads(app.vault, grants)
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
