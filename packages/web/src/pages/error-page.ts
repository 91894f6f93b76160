import type { Context } from 'hono'
import { html } from 'hono/html'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { errorAnswer, reportUnexpected } from '@custos/consent-api'
import { notice, page } from './layout.js'

const SOMETHING_WENT_WRONG =
  'Something went wrong on our side. Nothing you typed was shown to anyone. Go back and try again.'

/**
 * The pages' one error handler: whatever a page did not handle itself becomes a plain HTML page
 * in the layout — never JSON, never a stack, SQL or value (SECURITY.md 23). Status, title and
 * `Retry-After` come from the API's classifier over its one error table (`api-problems.ts`), so
 * both doors answer alike; only the words are the owner's.
 */
export function errorPage(err: Error, c: Context): Response | Promise<Response> {
  let status: ContentfulStatusCode
  let message = SOMETHING_WENT_WRONG
  let link = html`<a href="/">Go to the home page</a>`
  let unexpected: boolean
  if (err instanceof HTTPException) {
    // hono's own refusals (a body over the limit, a malformed request).
    status = err.status as ContentfulStatusCode
    message = status === 413 ? 'That upload is too large.' : 'This request could not be handled.'
    unexpected = status === 500
  } else {
    const answer = errorAnswer(err)
    status = answer.problem.status
    unexpected = answer.unexpected
    for (const [name, value] of Object.entries(answer.headers)) c.header(name, value)
    switch (answer.problem.code) {
      case 'ERR_VAULT_LOCKED':
        message = 'The vault was locked meanwhile. Unlock it to go on.'
        link = html`<a href="/unlock">Unlock</a>`
        break
      case 'ERR_VAULT_UNINITIALIZED':
        message = 'There is no vault here (any more).'
        link = html`<a href="/setup">Create a vault</a>`
        break
      case 'ERR_STORAGE_UNAVAILABLE':
        message = 'The database is unavailable right now. Try again in a moment.'
        break
      default:
        // Below 500 the title is fixed text about the request (the vault's message or the table's).
        if (status < 500) message = answer.problem.title
    }
  }
  if (unexpected) reportUnexpected(c, err)
  return page(
    c,
    status,
    'Error',
    html`<h1>${status >= 500 ? 'Something went wrong' : 'That did not work'}</h1>${notice('error', message)}<p>${link}</p>`,
  )
}
