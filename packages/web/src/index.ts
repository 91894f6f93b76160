/**
 * `@custos/web` — the owner's web app and the `custos` command.
 *
 * @packageDocumentation
 */
export { createWebApp, type WebAppDeps } from './web-app.js'
