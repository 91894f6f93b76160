/**
 * Issue "P1 — Trust", finding 3: a vendor's `logo_uri` was hot-linked on the owner's pages, so
 * the vendor learned when, and from which address, the owner looked at its connection or its
 * consent request. No page loads anything from a vendor: a local monogram stands in for the logo,
 * and every page's CSP keeps `img-src` to this server (and `data:` for the blank icon).
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  REDIRECT,
  connectedVendor,
  disposePageClients,
  pageClient,
} from '../support/page-client.js'

afterEach(disposePageClients)

const LOGO = 'https://tracker.fjord.example/logo.png?owner=1'

/** The sources `img-src` allows, from a CSP header. */
function imgSources(csp: string | null): string[] {
  const directive =
    (csp ?? '')
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith('img-src ')) ?? ''
  return directive.split(/\s+/).slice(1)
}

function expectNoRemoteImages(res: { html: string; headers: Headers }) {
  expect(res.html).not.toMatch(/<img\b/i)
  expect(res.html).not.toContain('tracker.fjord.example')
  expect(res.html).not.toContain(LOGO.replace(/&/g, '&amp;'))
  for (const source of imgSources(res.headers.get('content-security-policy')))
    expect(["'self'", 'data:', "'none'"]).toContain(source)
}

describe('vendor logos are never loaded from the vendor', () => {
  it('the consent page shows a monogram, no <img> of the logo, under a CSP without remote image hosts', async () => {
    const p = await pageClient()
    const reg = await p.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'fjord Outdoor',
        client_uri: 'https://fjord.example',
        logo_uri: LOGO,
        redirect_uris: [REDIRECT],
      }),
    })
    const { client_id } = (await reg.json()) as { client_id: string }
    const query = new URLSearchParams({
      client_id,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'read:email',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })
    for (const signedIn of [true, false]) {
      const res = await p.get(`/oauth/authorize?${query}`, { anonymous: !signedIn })
      expect(res.status).toBe(200)
      expectNoRemoteImages(res)
      expect(res.html).toMatch(/<span class="monogram" aria-hidden="true">F<\/span>/)
    }
  })

  it('the connections page (and every other owner page) shows a monogram and allows no remote images', async () => {
    const p = await pageClient()
    await p.vault.fields.set('email', 'ada@example.org')
    await connectedVendor(p, 'read:email append:purchases', { logo_uri: LOGO })
    for (const path of [
      '/connections',
      '/',
      '/inbox',
      '/log',
      '/settings',
      '/profile',
      '/purchases',
    ]) {
      const res = await p.get(path)
      expect([path, res.status]).toEqual([path, 200])
      expectNoRemoteImages(res)
    }
    expect((await p.get('/connections')).html).toMatch(
      /<span class="monogram" aria-hidden="true">F<\/span>/,
    )
  })
})
