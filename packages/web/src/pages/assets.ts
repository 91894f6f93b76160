import { readFileSync } from 'node:fs'
import { Hono } from 'hono'

/**
 * The pages' one stylesheet and one script, read once at start and served from 'self' (the CSP
 * allows nothing inline). Cached for an hour; they carry no personal data.
 */
const dir = new URL('../../assets/', import.meta.url)
const css = readFileSync(new URL('custos.css', dir), 'utf8')
const js = readFileSync(new URL('custos.js', dir), 'utf8')

export function assetRoutes(): Hono {
  const routes = new Hono()
  const headers = (type: string) => ({
    'content-type': type,
    'cache-control': 'public, max-age=3600',
    'x-content-type-options': 'nosniff',
  })
  routes.get('/custos.css', (c) => c.body(css, 200, headers('text/css; charset=utf-8')))
  routes.get('/custos.js', (c) => c.body(js, 200, headers('text/javascript; charset=utf-8')))
  return routes
}
