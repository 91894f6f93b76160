import { Hono } from 'hono'
import { html } from 'hono/html'
import type { OwnerPageKit } from '@custos/consent-api'
import { assetRoutes } from './assets.js'
import { errorPage } from './error-page.js'
import { notice, page } from './layout.js'
import { homePages } from './home-page.js'
import { profilePages } from './profile-page.js'
import { settingsPages } from './settings-page.js'
import { setupPages } from './setup-page.js'
import { signinPages } from './signin-page.js'
import { unlockPages } from './unlock-page.js'
import { accessLogPages } from './access-log.js'
import { connectionPages } from './connections.js'
import { inboxPages } from './inbox.js'
import { conversationPages } from './conversations.js'
import { intentPages } from './intents.js'
import { draftPages } from './assistant-drafts.js'
import { purchasePages } from './purchases.js'

/**
 * The owner's web app (issue 4; PRODUCT.md owner story): server-rendered pages mounted at `/`
 * beside the API. Each page module exports a function `(kit) => Hono` and is routed here.
 */
export function webPages(kit: OwnerPageKit): Hono {
  const pages = new Hono()
  pages.route('/assets', assetRoutes())
  pages.route('/', homePages(kit))
  pages.route('/', setupPages(kit))
  pages.route('/', unlockPages(kit))
  pages.route('/', signinPages(kit))
  pages.route('/', profilePages(kit))
  pages.route('/', settingsPages(kit))
  pages.route('/purchases', purchasePages(kit))
  pages.route('/connections', connectionPages(kit))
  pages.route('/inbox', inboxPages(kit))
  pages.route('/conversations', conversationPages(kit))
  pages.route('/intents', intentPages(kit))
  pages.route('/drafts', draftPages(kit))
  pages.route('/log', accessLogPages(kit))
  // A mistyped address in the browser gets a page, not the API's problem+json (which clients that
  // do not ask for HTML — vendors, scripts — still get). Last, so it sees only what nothing answered.
  pages.get('*', async (c, next) => {
    if (!(c.req.header('accept') ?? '').includes('text/html')) return next()
    return page(
      c,
      404,
      'Not found',
      html`<h1>There is no such page</h1>${notice('error', 'The address may be mistyped, or the page was moved.')}<p><a href="/">Go to the home page</a></p>`,
    )
  })
  // Every page's unhandled error becomes an HTML page, never the API's problem+json.
  pages.onError(errorPage)
  return pages
}
