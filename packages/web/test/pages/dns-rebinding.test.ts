import { afterEach, describe, expect, it } from 'vitest'
import { type PagesFixture, uninitializedPages } from '../support/web-fixture.js'

/**
 * DNS rebinding: a web page on attacker.example re-points its own name at 127.0.0.1, and the
 * browser then treats Custos on the owner's computer as *same-origin* with that page — Sec-Fetch-
 * Site says same-origin and Origin equals the Host the request names. On a fresh install that
 * would let any page the owner has open create the vault with a passphrase the attacker chose.
 * The pre-session forms accept an Origin equal to the request's own only for hosts no DNS answer
 * can claim: IP addresses and localhost (SECURITY.md 24; the issuer's origin is always accepted).
 */
const GOOD = 'correct horse battery staple'

describe('pre-session forms and DNS rebinding', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('refuses set-up from a rebound name, and still accepts localhost and IP addresses', async () => {
    f = await uninitializedPages()
    const post = (origin: string) =>
      f.app.request(`${origin}/setup`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin,
          'sec-fetch-site': 'same-origin',
        },
        body: new URLSearchParams({ passphrase: GOOD, confirm: GOOD }).toString(),
      })
    const rebound = await post('http://attacker.example:7300')
    expect(rebound.status).toBe(403)
    // A page under the pages' CSP, pointing the owner at the real address.
    expect(rebound.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(await rebound.text()).toContain('<a href="http://127.0.0.1/">http://127.0.0.1</a>')
    expect((await f.vault.status()).state).toBe('uninitialized')
    // Names that cannot be rebound pass the check: the first creates the vault, the next find it made.
    expect((await post('http://localhost:7300')).status).toBe(201)
    expect((await post('http://[::1]:7300')).status).toBe(409)
    expect((await post('http://192.168.1.5:7300')).status).toBe(409)
    expect((await post('http://attacker.example:7300')).status).toBe(403)
  })
})
