import type { Hono } from 'hono'
import { type AppDeps, createApp } from '@custos/consent-api'
import { webPages } from './pages/web-pages.js'

/**
 * Everything one `custos serve` process answers on its port: the consent API (OAuth, vendor
 * resource API, owner API) and the owner's server-rendered web app at `/`. Pure: no
 * environment, no socket — the `custos` command wires it to a port.
 */
export type WebAppDeps = Omit<AppDeps, 'pages'>

export async function createWebApp(deps: WebAppDeps): Promise<Hono> {
  return createApp({ ...deps, pages: webPages })
}
