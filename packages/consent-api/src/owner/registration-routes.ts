import { Hono } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { RegistrationMode } from '../store/registration-policy.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { apiProblem } from '../problem.js'
import { RequestProblem } from './owner-errors.js'
import { jsonBody, pathParam } from './owner-input.js'

export const RegistrationModeBody = z.object({ mode: RegistrationMode }).strict()
export const RegistrationTokenBody = z
  .object({ label: z.string().trim().min(1).max(200).optional() })
  .strict()
const TokenId = z.string().regex(/^rtk_[A-Za-z0-9_-]{16}$/, 'not a token id')

/**
 * Who may register a client (RFC 7591 §3; store/registration-policy.ts):
 * `GET /owner/registration` — the mode and the live initial access tokens (never their values);
 * `PUT /owner/registration` `{ mode: 'open' | 'token' }`;
 * `POST /owner/registration/tokens` `{ label? }` → 201 with the token, shown this once;
 * `DELETE /owner/registration/tokens/:id` → 204 (revoked at once, on every server).
 */
export function registrationRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  const policy = actions.registration
  routes.use('*', ownerGuard(app))

  const view = async () => ({ mode: await policy.mode(), tokens: await policy.tokens() })

  routes.get('/', async (c) => c.json(await view()))

  routes.put('/', async (c) => {
    const { mode } = await jsonBody(c, RegistrationModeBody)
    await policy.setMode(mode)
    return c.json(await view())
  })

  routes.post('/tokens', async (c) => {
    const { label } = await jsonBody(c, RegistrationTokenBody)
    return c.json(await policy.createToken(label), 201)
  })

  routes.delete('/tokens/:id', async (c) => {
    if (!(await policy.revokeToken(pathParam(c, 'id', TokenId)))) {
      throw new RequestProblem(apiProblem('ERR_NOT_FOUND', 'No such initial access token'))
    }
    return c.body(null, 204)
  })

  return routes
}
