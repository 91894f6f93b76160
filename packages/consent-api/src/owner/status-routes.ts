import { Hono } from 'hono'
import { deleteCookie } from 'hono/cookie'
import { z } from 'zod'
import { AuditOrigin, type VaultStatus } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { apiProblem } from '../problem.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RequestProblem } from './owner-errors.js'
import { jsonBody } from './owner-input.js'
import { SESSION_COOKIE } from '../store/session-store.js'

/**
 * `POST /owner/unlock`: the passphrase or the recovery key, exactly one — and optionally where the
 * unlock comes from, for the access log (`custos unlock` sends `cli`; the default is `api`).
 */
export const UnlockBody = z.union([
  z.object({ passphrase: z.string().min(1).max(1024), origin: AuditOrigin.optional() }).strict(),
  z.object({ recoveryKey: z.string().min(1).max(200), origin: AuditOrigin.optional() }).strict(),
])

/** What `GET /owner/status` tells anyone: where the vault stands, nothing about its contents. */
export const StatusView = z.object({
  state: z.enum(['uninitialized', 'sealed', 'unsealed']),
  vaultId: z.string().optional(),
  createdAt: z.string().optional(),
  rotationPending: z.boolean().optional(),
  unlockBlockedUntil: z.string().optional(),
})

export function statusView(status: VaultStatus): z.output<typeof StatusView> {
  switch (status.state) {
    case 'uninitialized':
      return { state: status.state }
    case 'sealed':
      return {
        state: status.state,
        vaultId: status.vaultId,
        createdAt: status.createdAt,
        ...(status.unlockBlockedUntil ? { unlockBlockedUntil: status.unlockBlockedUntil } : {}),
      }
    case 'unsealed':
      return {
        state: status.state,
        vaultId: status.vaultId,
        createdAt: status.createdAt,
        rotationPending: status.rotationPending,
      }
  }
}

/**
 * The vault's state. `GET /owner/status` and `POST /owner/unlock` need no session and work
 * sealed (there is nothing else to sign in to); unlock is throttled by the vault before Argon2
 * runs (SECURITY.md 8): 401 for a wrong secret, 429 with `Retry-After` while blocked, 409 when
 * already unsealed. Unlocking does not sign in — the client then calls `POST /owner/session`.
 *
 * `POST /owner/lock` (session + CSRF) seals the vault and ends every owner session, so a cookie
 * left in some browser cannot come back to life at the next unlock.
 */
export function statusRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()

  routes.get('/status', async (c) => c.json(statusView(await actions.read.status())))

  routes.post('/unlock', async (c) => {
    const body = await jsonBody(c, UnlockBody)
    const credentials =
      'recoveryKey' in body ? { recoveryKey: body.recoveryKey } : { passphrase: body.passphrase }
    // Already unsealed (before any Argon2 work, or a racing unlock won): 409.
    if (
      (await actions.unlock(credentials, { origin: body.origin ?? 'api' })) === 'already-unsealed'
    )
      throw new RequestProblem(apiProblem('ERR_ALREADY_UNSEALED'))
    return c.json(statusView(await actions.read.status()))
  })

  routes.post('/lock', ownerGuard(app), async (c) => {
    // Sealed, and every owner session ended (the actions' lock); this browser's cookie goes too.
    await actions.lock({ origin: 'api' })
    deleteCookie(c, SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })
    return c.body(null, 204)
  })

  return routes
}
