import { html } from 'hono/html'
import type { OwnerPageKit, OwnerSession } from '@custos/consent-api'
import { type Html, csrfField, notice } from './layout.js'
import { localTime } from './local-time.js'

/**
 * Settings → "Signed-in browsers" (issue 10): every live owner session — when it signed in, when
 * it was last active, which one is this browser — with a "Sign out" button for each other one
 * and one for all of them. Only handles reach the page (the consent API's store/session-store.ts), never a session
 * id or its stored hash.
 */
export async function sessionsSection(
  kit: OwnerPageKit,
  session: OwnerSession,
  zone: string,
  error?: string,
): Promise<Html> {
  const sessions = await kit.sessions.list(session)
  const others = sessions.filter((s) => !s.current).length
  const rows = sessions.map(
    (
      s,
    ) => html`<tr><td>${s.current ? html`<strong>This browser</strong>` : 'Another browser'}</td><td>${localTime(s.createdAt, zone)}</td><td>${localTime(s.lastSeenAt, zone)}</td>
<td>${
      s.current
        ? html`<span class="muted">Use Sign out at the top</span>`
        : html`<form method="post" action="/settings/sessions/signout" class="inline">${csrfField(session.csrfToken)}<input type="hidden" name="session" value="${s.handle}"><button type="submit" class="secondary">Sign out</button></form>`
    }</td></tr>`,
  )
  return html`<section aria-labelledby="sessions-h"><h2 id="sessions-h">Signed-in browsers</h2>
${notice('error', error)}
<p class="muted">Browsers signed in to this vault now. A browser is signed out by itself after 15 minutes without activity. Signing a browser out does not lock the vault.</p>
<table class="sessions"><thead><tr><th scope="col">Browser</th><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${rows}</tbody></table>
${others > 0 ? html`<form method="post" action="/settings/sessions/signout-others">${csrfField(session.csrfToken)}<p><button type="submit" class="secondary">Sign out all other browsers</button></p></form>` : html`<p>No other browser is signed in.</p>`}
</section>`
}
