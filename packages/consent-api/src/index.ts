/**
 * `@custos/consent-api` — the HTTP face of a Custos vault: OAuth 2.0 authorization server for
 * vendors, the vendor resource API and the owner API, as a hono app built by {@link createApp}.
 *
 * @packageDocumentation
 */
export { createApp, type AppDeps } from './app.js'
export { AppConfig, type AppConfigInput } from './config.js'
