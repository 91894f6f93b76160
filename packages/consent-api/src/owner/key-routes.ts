import { Hono } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { apiProblem } from '../problem.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { RequestProblem } from './owner-errors.js'
import { jsonBody } from './owner-input.js'

export const PassphraseBody = z
  .object({ current: z.string().min(1).max(1024), next: z.string().min(1).max(1024) })
  .strict()

/**
 * `POST /owner/passphrase` `{ current, next }`: the vault checks the current passphrase
 * (throttled like unlock) and rewraps only the root key (SECURITY.md 9); this session stays,
 * every other owner session ends (whoever signed in with the old passphrase is out).
 */
export function passphraseRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))
  routes.post('/', async (c) => {
    const { current, next } = await jsonBody(c, PassphraseBody)
    await actions.changePassphrase(current, next, c.var.ownerSession)
    return c.body(null, 204)
  })
  return routes
}

/**
 * Key rotation (SECURITY.md 10): `POST /owner/keys/rotate` starts it in the background and
 * answers 202 with the job (409 while one — or a restore — runs); `GET /owner/keys/rotation`
 * reports progress.
 */
export function keyRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.post('/rotate', (c) => {
    const started = actions.keys.rotate()
    if (!started) throw new RequestProblem(apiProblem('ERR_KEYS_BUSY'))
    return c.json(started, 202, { location: '/owner/keys/rotation' })
  })

  routes.get('/rotation', async (c) => {
    const state = actions.keys.state
    const status = await actions.read.status()
    // `pending`: the vault has an unfinished rotation (perhaps from before a restart) to resume.
    const pending = status.state === 'unsealed' && status.rotationPending
    return c.json({ ...(state ?? { running: false, term: null, done: 0, total: 0 }), pending })
  })

  return routes
}
