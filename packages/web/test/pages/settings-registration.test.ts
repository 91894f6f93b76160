/**
 * Issue "P1 — Trust", finding 2, on the Settings page: the owner chooses who may register an
 * application (open, or only with an initial access token, RFC 7591 §3), creates a token — shown
 * once, on the answer to the form, never in a URL — and revokes it. The pages use the same
 * service as the owner API, so what the page sets is what POST /oauth/register obeys.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  type PagesFixture,
  signedInPages,
  textOf,
  unlabelledControls,
} from '../support/web-fixture.js'

const register = (f: PagesFixture, headers: Record<string, string> = {}) =>
  f.app.request('/oauth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      client_name: 'Fjord Outdoor',
      redirect_uris: ['https://fjord.example/cb'],
    }),
  })

describe('settings: who may register applications', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('shows the mode (open by default) with labelled controls', async () => {
    f = await signedInPages()
    const page = await (await f.browser.get('/settings')).text()
    expect(unlabelledControls(page)).toEqual([])
    expect(page).toMatch(/<input type="radio" name="mode" value="open" checked>/)
    expect(page).toMatch(/<button type="submit"[^>]*>Create token<\/button>/)
    expect(textOf(page)).toContain('No registration tokens.')
  })

  it('switches to tokens only, creates a token shown once, and revokes it; registration follows each step', async () => {
    f = await signedInPages()
    const csrf = await f.browser.csrf()
    const saved = await f.browser.post('/settings/registration', {
      csrf_token: csrf,
      mode: 'token',
    })
    expect([saved.status, saved.headers.get('location')]).toEqual([
      303,
      '/settings?done=registration#registration-h',
    ])
    expect(await (await f.browser.get('/settings')).text()).toMatch(
      /<input type="radio" name="mode" value="token" checked>/,
    )
    expect((await register(f)).status).toBe(401)

    const created = await f.browser.post('/settings/registration/tokens', {
      csrf_token: csrf,
      label: 'Fjord <Outdoor>',
    })
    expect(created.status).toBe(200)
    expect(created.headers.get('location')).toBeNull()
    const html = await created.text()
    const token = /<code id="new-registration-token">([A-Za-z0-9_-]{43})<\/code>/.exec(html)?.[1]
    expect(token).toBeDefined()
    expect(html).toContain('Fjord &lt;Outdoor&gt;')
    expect((await register(f, { authorization: `Bearer ${token}` })).status).toBe(201)
    // Shown once: the next visit lists the token by name only.
    const later = await (await f.browser.get('/settings')).text()
    expect(later).not.toContain(token as string)
    expect(textOf(later)).toContain('Fjord <Outdoor>')

    const id = /action="\/settings\/registration\/tokens\/(rtk_[A-Za-z0-9_-]+)\/revoke"/.exec(
      later,
    )?.[1]
    const revoked = await f.browser.post(`/settings/registration/tokens/${id}/revoke`, {
      csrf_token: csrf,
    })
    expect([revoked.status, revoked.headers.get('location')]).toEqual([
      303,
      '/settings?done=token-revoked#registration-h',
    ])
    expect((await register(f, { authorization: `Bearer ${token}` })).status).toBe(401)
    expect(
      (await f.browser.post(`/settings/registration/tokens/${id}/revoke`, { csrf_token: csrf }))
        .status,
    ).toBe(404)
  })

  it('refuses an unknown mode and any change without the CSRF token, changing nothing', async () => {
    f = await signedInPages()
    const csrf = await f.browser.csrf()
    const bad = await f.browser.post('/settings/registration', {
      csrf_token: csrf,
      mode: '<b>CANARY</b>',
    })
    expect(bad.status).toBe(400)
    expect(await bad.text()).not.toContain('CANARY')
    expect((await f.browser.post('/settings/registration', { mode: 'token' })).status).toBe(403)
    expect((await f.browser.post('/settings/registration/tokens', { label: 'x' })).status).toBe(403)
    expect((await register(f)).status).toBe(201)
    expect(textOf(await (await f.browser.get('/settings')).text())).toContain(
      'No registration tokens.',
    )
  })
})
