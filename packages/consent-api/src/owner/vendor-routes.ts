import { Hono } from 'hono'
import { z } from 'zod'
import type { AuditEntry } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import type { OwnerActions } from './owner-actions.js'
import type { Connections } from './owner-reads.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RecordId, jsonBody, pathParam } from './owner-input.js'

export const BlockBody = z.object({ blocked: z.boolean() }).strict()

/** When each vendor last read through a grant: the newest of its grants' last reads. */
function lastReadPerVendor({ grants, lastReads }: Connections): Map<string, string> {
  const newest = new Map<string, AuditEntry>()
  for (const g of grants) {
    const read = lastReads.get(g.id)
    const known = newest.get(g.vendorId)
    if (read && (!known || read.seq > known.seq)) newest.set(g.vendorId, read)
  }
  return new Map([...newest].map(([vendorId, read]) => [vendorId, read.at]))
}

/**
 * Vendors (registered OAuth clients): `GET /owner/vendors` with each one's grant counts, last
 * read and where its signals stand, `POST /owner/vendors/:id/block` `{ blocked }` — a blocked
 * vendor's every request is refused by the vault until unblocked — and
 * `POST /owner/vendors/:id/erasure`, asking the vendor to erase what it holds about the owner.
 */
export function vendorRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const connections = await actions.read.connections()
    const reads = lastReadPerVendor(connections)
    const signals = await actions.vendors.signals()
    return c.json({
      vendors: connections.vendors.map((v) => {
        const own = connections.grants.filter((g) => g.vendorId === v.id)
        return {
          ...v,
          grants: own.length,
          activeGrants: own.filter((g) => g.status === 'active').length,
          lastReadAt: reads.get(v.id) ?? null,
          signals: signals.get(v.id) ?? { waiting: 0 },
        }
      }),
    })
  })

  // Issue 12: the owner asks the vendor to erase what it holds; the vendor answers with a signed event.
  routes.post('/:id/erasure', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    return c.json({ requestId: await actions.vendors.requestErasure(id) }, 201)
  })

  routes.post('/:id/block', async (c) => {
    const id = pathParam(c, 'id', RecordId)
    const { blocked } = await jsonBody(c, BlockBody)
    return c.json(await actions.vendors.setBlocked(id, blocked))
  })

  return routes
}
