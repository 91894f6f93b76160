import { html } from 'hono/html'
import type { Html } from './layout.js'

/** One problem of a refused form: what is wrong, and the id of the box to fix it in. */
export interface Problem {
  readonly target: string
  readonly text: string
}

/** The id the summary carries: forms post to `…#problems`, so the answer opens at the summary. */
export const PROBLEMS_ID = 'problems'

/**
 * The top of a refused form's page (issue 10: an error 5,800 px below the top of a page that
 * reloads at the top went unseen): a heading saying nothing was saved and a list of every problem,
 * each a link to its box. Focus moves here without script (the CSP forbids inline script):
 * `autofocus` on a `tabindex=-1` element, and the form's action ends in `#problems`, so the page
 * the browser lands on is scrolled to it too. role=alert has screen readers announce it.
 */
export function errorSummary(title: string, problems: readonly Problem[]): Html | string {
  if (problems.length === 0) return ''
  return html`<div class="notice error error-summary" id="${PROBLEMS_ID}" role="alert" tabindex="-1" autofocus><h2>${title}</h2>
<ul>${problems.map((p) => html`<li><a href="#${p.target}">${p.text}</a></li>`)}</ul></div>`
}
