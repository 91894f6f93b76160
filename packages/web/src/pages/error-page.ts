import type { Context } from 'hono'
import { html } from 'hono/html'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { isStorageUnavailable, problemFromVaultError, reportUnexpected } from '@custos/consent-api'
import { VaultError } from '@custos/vault'
import { notice, page } from './layout.js'

/**
 * The pages' one error handler: whatever a page did not handle itself becomes a plain HTML page
 * in the layout — never JSON, never a stack, SQL or value (SECURITY.md 23). Statuses come from the
 * API's one table of vault error codes, so both doors answer alike.
 */
export function errorPage(err: Error, c: Context): Response | Promise<Response> {
  let status: ContentfulStatusCode = 500
  let message = 'Something went wrong on our side. Nothing you typed was shown to anyone. Go back and try again.'
  let link = html`<a href="/">Go to the home page</a>`
  if (err instanceof VaultError && !(problemFromVaultError(err).status === 500 && isStorageUnavailable(err))) {
    const problem = problemFromVaultError(err)
    status = problem.status
    if (err.code === 'ERR_VAULT_LOCKED') {
      message = 'The vault was locked meanwhile. Unlock it to go on.'
      link = html`<a href="/unlock">Unlock</a>`
    } else if (err.code === 'ERR_VAULT_UNINITIALIZED') {
      message = 'There is no vault here (any more).'
      link = html`<a href="/setup">Create a vault</a>`
    } else if (status < 500) message = problem.title
  } else if (isStorageUnavailable(err)) {
    status = 503
    message = 'The database is unavailable right now. Try again in a moment.'
    c.header('retry-after', '5')
  } else if (err instanceof HTTPException) {
    status = err.status as ContentfulStatusCode
    message = status === 413 ? 'That upload is too large.' : 'This request could not be handled.'
  }
  if (status === 500) reportUnexpected(c, err)
  return page(c, status, 'Error', html`<h1>${status >= 500 ? 'Something went wrong' : 'That did not work'}</h1>${notice('error', message)}<p>${link}</p>`)
}
