import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { assetRoutes } from './assets.js'

/**
 * The owner's web app (issue 4; PRODUCT.md owner story): server-rendered pages mounted at `/`
 * beside the API. Each page module exports a function `(kit) => Hono` and is routed here.
 */
export function webPages(kit: OwnerPageKit): Hono {
  const pages = new Hono()
  pages.route('/assets', assetRoutes())
  return pages
}
