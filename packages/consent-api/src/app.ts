import { Hono, type MiddlewareHandler } from 'hono'
import type { Kysely } from 'kysely'
import { bodyLimit } from 'hono/body-limit'
import type { DatabaseHandle, Vault } from '@custos/vault'
import { type StoreContext, createAppContext } from './app-context.js'
import { type AppConfigInput, parseConfig } from './config.js'
import type { ApiTables } from './db/api-schema.js'
import { prepareApiStorage } from './db/api-storage.js'
import { metadataRoutes } from './oauth/metadata.js'
import { docsPage } from './openapi/docs-page.js'
import { openApiDocument } from './openapi/openapi-document.js'
import { routeDocs } from './openapi/route-docs.js'
import { registerRoutes } from './oauth/register.js'
import { authorizeRoutes } from './oauth/authorize.js'
import { eventRoutes } from './oauth/events.js'
import { receiptRoutes } from './oauth/receipts.js'
import { introspectRoutes } from './oauth/introspect.js'
import { parRoutes } from './oauth/par.js'
import { revokeRoutes } from './oauth/revoke.js'
import { tokenRoutes } from './oauth/token.js'
import { ownerSessionRoutes } from './owner/session.js'
import { hasOwnBodyLimit } from './owner/body-limits.js'
import { ownerRoutes } from './owner/owner-routes.js'
import { type OwnerPages, ownerPageKit } from './owner/page-kit.js'
import { ownerActionsFor } from './owner/owner-actions.js'
import { jwksRoutes } from './receipts/jwks.js'
import { resourceRoutes } from './resource/resource-routes.js'
import { mcpRoutes } from './mcp/mcp-routes.js'
import { MCP_PATH } from './oauth/metadata.js'
import { mytermsDiscoveryRoutes } from './terms/myterms-discovery.js'
import { startSignalLoop } from './signals/signal-loop.js'
import {
  UNEXPECTED_ERROR_HOOK,
  apiProblem,
  errorResponse,
  problemResponse,
  sealedResponse,
} from './problem.js'

/** What createApp needs: everything passed in, nothing read from the environment. */
export interface AppDeps {
  readonly vault: Vault
  /** The vault's database; the API keeps its OAuth state in its own tables there. */
  readonly database: DatabaseHandle
  readonly config: AppConfigInput
  readonly now?: () => Date
  /** The owner's web pages, mounted at `/` after every API route (`@custos/web` supplies them). */
  readonly pages?: OwnerPages
  /**
   * Called with every error that became an opaque 500 (never storage faults, which are 503s): the
   * response says nothing, so this is how the operator finds out what broke.
   */
  readonly onUnexpectedError?: (err: unknown) => void
  /**
   * Pushes due signals to vendors' event endpoints in the background (RFC 8935; `custos serve`
   * turns it on): every `intervalMs` (250 by default, so a revocation reaches a listening vendor
   * well within a second), until `stop` aborts. Off by default: an app embedded in a test or
   * another server runs no timers it was not asked for.
   */
  readonly signalDelivery?: {
    readonly intervalMs?: number
    readonly stop?: AbortSignal
    readonly fetch?: typeof fetch
  }
}

/**
 * Builds the consent API as a hono app: no environment, no listening socket (the `custos`
 * command does that). Runs the API's migrations first and registers, for the vault's first unlock
 * after an upgrade, the adoption of the API's rows stored before row authentication.
 *
 * @example
 * const app = await createApp({ vault, database, config: { issuer: 'https://vault.example' } })
 * const res = await app.request('/.well-known/oauth-authorization-server')
 */
export async function createApp(deps: AppDeps): Promise<Hono> {
  const config = parseConfig(deps.config)
  const now = deps.now ?? (() => new Date())
  await prepareApiStorage({ vault: deps.vault, database: deps.database, now })
  // The API's tables live beside the vault's in the same database; this typed view sees only them.
  const db = deps.database.db as unknown as Kysely<ApiTables>
  const onUnexpectedError = deps.onUnexpectedError
  const base: StoreContext = {
    vault: deps.vault,
    db,
    config,
    now,
    database: deps.database,
    ...(onUnexpectedError ? { onUnexpectedError } : {}),
  }
  // Every store once, here: their caches live and die with this app (store/stores.ts).
  const ctx = createAppContext(
    base,
    deps.signalDelivery?.fetch ? { fetch: deps.signalDelivery.fetch } : {},
  )
  if (deps.signalDelivery) startSignalLoop(ctx.signals, deps.signalDelivery, onUnexpectedError)

  const app = new Hono()
  if (onUnexpectedError) {
    app.use('*', async (c, next) => {
      c.set(UNEXPECTED_ERROR_HOOK as never, onUnexpectedError as never)
      await next()
    })
  }
  const defaultBodyLimit = bodyLimit({
    maxSize: config.bodyLimitBytes,
    onError: (c) => problemResponse(c, apiProblem('ERR_BODY_TOO_LARGE')),
  })
  // Owner restores and imports apply their own, larger limits once the session is checked.
  // GET and HEAD carry no body (the node server passes none on), and asking for one would make
  // @hono/node-server build a full WHATWG Request per vendor read: skipped, to the same effect.
  app.use('*', (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' || hasOwnBodyLimit(c.req.path)
      ? next()
      : defaultBodyLimit(c, next),
  )
  app.get('/healthz', (c) => c.json({ ok: true }))
  app.get('/readyz', async (c) => {
    const status = await ctx.vault.status()
    return c.json(
      { ready: status.state === 'unsealed', state: status.state },
      status.state === 'unsealed' ? 200 : 503,
    )
  })
  app.route('/.well-known/jwks.json', jwksRoutes(ctx))
  app.route('/.well-known/myterms', mytermsDiscoveryRoutes(ctx))
  app.route('/.well-known', metadataRoutes(ctx))
  const openApi = openApiDocument(config.issuer, routeDocs)
  app.get('/openapi.json', (c) => c.json(openApi, 200, { 'cache-control': 'public, max-age=300' }))
  app.get('/docs', (c) =>
    c.html(docsPage(openApi), 200, {
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    }),
  )

  // Everything below reads or writes vault data: sealed → 503 (SECURITY.md promise 6).
  const requireUnsealed: MiddlewareHandler = async (c, next) => {
    // In memory, no query: this runs on every request (SECURITY.md promise 6).
    if (!ctx.vault.isUnsealed()) return sealedResponse(c)
    await next()
  }
  app.use('/oauth/*', requireUnsealed)
  app.use('/v1/*', requireUnsealed)
  app.use(MCP_PATH, requireUnsealed)
  app.route('/oauth/register', registerRoutes(ctx))
  app.route('/oauth/par', parRoutes(ctx))
  app.route('/oauth/authorize', authorizeRoutes(ctx))
  app.route('/oauth/token', tokenRoutes(ctx))
  app.route('/oauth/revoke', revokeRoutes(ctx))
  app.route('/oauth/introspect', introspectRoutes(ctx))
  app.route('/oauth/events', eventRoutes(ctx))
  app.route('/oauth/receipts', receiptRoutes(ctx))
  app.route('/owner/session', ownerSessionRoutes(ctx))
  // Each owner use case once (owner/owner-actions.ts), for the owner API and the pages alike.
  const owner = ownerActionsFor(ctx)
  app.route('/owner', ownerRoutes(ctx, owner))
  app.route('/v1', resourceRoutes(ctx))
  // The owner's assistant, through a grant like any vendor (mcp/mcp-routes.ts).
  app.route(MCP_PATH, mcpRoutes(ctx))
  if (deps.pages) app.route('/', deps.pages(ownerPageKit(ctx, owner)))

  app.notFound((c) => problemResponse(c, apiProblem('ERR_ROUTE_NOT_FOUND')))
  // Vault errors through api-problems.ts's table, storage faults 503, anything else one opaque 500.
  app.onError((err, c) => errorResponse(c, err))
  return app
}
