import type { Context, MiddlewareHandler } from 'hono'
import { html } from 'hono/html'
import type { OwnerPageKit, OwnerSession } from '@custos/consent-api'
import { notice, page } from './layout.js'

/** Hono environment of signed-in pages: the session is on `c.var.session`. */
export interface PageEnv {
  Variables: { session: OwnerSession; auditBroken: boolean; timeZone: string }
}

/**
 * In front of every signed-in page: the vault's state decides where the browser belongs —
 * no vault yet → set-up, sealed → unlock, no session (or idle timeout) → sign-in — and every
 * POST must carry the session's CSRF token in the form field `csrf_token` (or `X-CSRF-Token`),
 * else 403 and nothing happens (SECURITY.md promise 24). Redirects are 303 so a POST becomes GET.
 */
export function ownerGate(kit: OwnerPageKit): MiddlewareHandler<PageEnv> {
  return async function ownerGate(c, next) {
    if (!kit.actions.read.isUnsealed()) {
      const status = await kit.actions.read.status()
      return c.redirect(status.state === 'uninitialized' ? '/setup' : '/unlock', 303)
    }
    const session = await kit.session(c)
    if (!session) return c.redirect(`/signin?next=${encodeURIComponent(c.req.path)}`, 303)
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const token = c.req.header('x-csrf-token') ?? (await formField(c, 'csrf_token'))
      if (!kit.csrfValid(session, token)) {
        return page(
          c,
          403,
          'Form expired',
          html`<h1>Nothing was changed</h1>${notice('error', 'This form has expired or did not come from Custos. Go back, reload the page and try again.')}<p><a href="/">Back to your vault</a></p>`,
        )
      }
    }
    c.set('session', session)
    // One row and one MAC (vault.audit.trusted): every signed-in page shows the broken-log banner
    // until the owner acknowledges the break (SECURITY.md, "The barrier").
    c.set('auditBroken', !(await kit.actions.read.audit.trusted()))
    // The zone the page's times are shown in (pages/local-time.ts): one small row per page.
    c.set('timeZone', await kit.actions.timeZone.get())
    await next()
  }
}

/** One field of a urlencoded or multipart form body (hono caches the parsed body for the handler). */
async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data')
    return undefined
  const body = await c.req.parseBody().catch(() => undefined)
  const value = body?.[name]
  return typeof value === 'string' ? value : undefined
}
