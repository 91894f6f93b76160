import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { assetRoutes } from './assets.js'
import { errorPage } from './error-page.js'
import { homePages } from './home-page.js'
import { profilePages } from './profile-page.js'
import { settingsPages } from './settings-page.js'
import { setupPages } from './setup-page.js'
import { signinPages } from './signin-page.js'
import { unlockPages } from './unlock-page.js'
import { accessLogPages } from './access-log.js'
import { connectionPages } from './connections.js'
import { inboxPages } from './inbox.js'
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
  pages.route('/log', accessLogPages(kit))
  // Every page's unhandled error becomes an HTML page, never the API's problem+json.
  pages.onError(errorPage)
  return pages
}
