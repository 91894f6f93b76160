import { Hono } from 'hono'
import type { AppContext } from '../app-context.js'
import { exportEntry } from '../terms/agreement-export.js'
import { ROSTER } from '../terms/roster.js'
import { TermsPolicy } from '../terms/terms-policy.js'
import { day, downloadHeaders } from './backup-download.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { jsonBody } from './owner-input.js'

/** What the owner's API says of the roster: each agreement's data, its purposes as IRIs. */
const rosterView = () =>
  ROSTER.map((a) => ({
    id: a.id,
    title: a.title,
    summary: a.summary,
    url: a.url,
    content_hash: a.contentHash,
    covers: a.covers,
    excludes: a.excludes,
  }))

/**
 * The IEEE 7012 agreement records (issue 12): `GET /owner/agreements` → `{ agreements }`, each
 * `{ record_id, jws, record }` — the same bytes the vendor gets at `GET /v1/agreements` — newest
 * first, the newest 500; `?download=1` serves the same JSON as a file to keep. `?grant=` narrows
 * to one grant. `GET /owner/agreements/export` is every record, uncapped, with the vault's public
 * key: the file she keeps (terms/agreement-export.ts).
 */
export function agreementRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))
  routes.get('/', async (c) => {
    const grantId = c.req.query('grant')
    const records = await actions.terms.records(grantId === undefined ? {} : { grantId })
    const body = { agreements: records.map(exportEntry) }
    if (c.req.query('download') === '1')
      c.header('content-disposition', 'attachment; filename="custos-agreements.json"')
    return c.json(body)
  })
  routes.get('/export', async (c) => {
    const file = await actions.terms.export()
    return c.body(
      JSON.stringify(file, null, 2),
      200,
      downloadHeaders(
        'application/json; charset=utf-8',
        `custos-agreements-${day(new Date(file.exported_at))}.json`,
      ),
    )
  })
  return routes
}

/**
 * The owner's MyTerms (terms/terms-policy.ts): `GET /owner/terms` → `{ proffered,
 * requireAgreement, allowAfterDecline, roster }`; `PUT` with the first three replaces them (an
 * agreement outside the roster is refused, nothing saved).
 */
export function termsPolicyRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))
  routes.get('/', async (c) => c.json({ ...(await actions.terms.get()), roster: rosterView() }))
  routes.put('/', async (c) => {
    const saved = await actions.terms.set(await jsonBody(c, TermsPolicy))
    return c.json({ ...saved, roster: rosterView() })
  })
  return routes
}
