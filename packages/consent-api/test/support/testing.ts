/**
 * `@custos/consent-api/testing`: the consent API's test support for the web package's tests —
 * the route table compared with the OpenAPI document, and the stored-row helpers that read and
 * tamper with the API's authenticated rows. Workspace-only, like `@custos/vault/testing`.
 */
export * from './route-table.js'
export * from './stored-rows.js'
