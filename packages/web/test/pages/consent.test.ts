/**
 * Issue 4, page 5: the consent page, served by the consent API inside the web app, wears the web
 * app's stylesheet (CSP `style-src 'self'`, still no script) and keeps its behaviour: the vendor,
 * each field with its current value, untick, shorten, Approve / Deny.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  REDIRECT,
  connectedVendor,
  disposePageClients,
  pageClient,
  text,
} from '../support/page-client.js'

afterEach(disposePageClients)

describe('the consent page in the web app', () => {
  it('links the web app stylesheet under a CSP that allows it and no script', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
    const reg = await p.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Fjord Outdoor',
        client_uri: 'https://fjord.example',
        logo_uri: 'https://fjord.example/logo.png',
        redirect_uris: [REDIRECT],
      }),
    })
    const { client_id } = (await reg.json()) as { client_id: string }
    const query = new URLSearchParams({
      client_id,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'read:email read:prefs.sizes.*',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })
    const res = await p.get(`/oauth/authorize?${query}`)
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/=]+'/)
    expect(csp).not.toContain('script-src')
    expect(res.html).toContain('<link rel="stylesheet" href="/assets/custos.css">')
    expect(res.html).not.toContain('<script')
    expect(res.html).toContain('<main id="main" class="narrow">')
    const body = text(res.html)
    for (const shown of [
      'Fjord Outdoor asks for access to your data',
      'https://fjord.example',
      'ada@example.org',
      'EU 39',
    ])
      expect(body).toContain(shown)
    expect(res.html).toContain('<label for="duration_seconds">For how long</label>')
    expect(res.html).toContain('>Approve</button>')
    expect(res.html).toContain('>Deny</button>')
    const css = await p.app.request('/assets/custos.css')
    expect(css.status).toBe(200)
    expect(await css.text()).toContain('main.narrow{max-width:40rem}')
  })

  it('still approves exactly the ticked fields', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany({ email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39' })
    const vendor = await connectedVendor(p, 'read:email read:prefs.sizes.*', {}, ['email'])
    expect(vendor.grant.fields).toEqual(['prefs.sizes.*'])
    expect(await vendor.readProfile()).toEqual({
      status: 200,
      fields: { 'prefs.sizes.shoe': 'EU 39' },
    })
  })
})
