import { afterEach, describe, expect, it } from 'vitest'
import { ORIGIN, PASSPHRASE, type PagesFixture, signedInPages } from '../support/web-fixture.js'

/**
 * The consent page's sign-in form posts to `POST /owner/session` before any session exists. A
 * page on another site must not post it from the owner's browser: each wrong guess counts toward
 * the unlock throttle (SECURITY.md 8), so a few would lock the owner out of every sign-in and
 * unlock, and a right one would sign the browser in unasked. The same rule as set-up, unlock and
 * sign-in pages (same-origin-post.ts) and the consent decision (SECURITY.md 24).
 */
describe('POST /owner/session from a form', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  const signIn = (headers: Record<string, string>, passphrase: string) =>
    f.app.request(`${ORIGIN}/owner/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ passphrase }).toString(),
    })

  it('refuses a post from another site before checking the passphrase', async () => {
    f = await signedInPages()
    for (let i = 0; i < 6; i++) {
      const res = await signIn(
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        'a guess',
      )
      expect(res.status).toBe(403)
      expect(res.headers.get('set-cookie')).toBeNull()
    }
    const right = await signIn(
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      PASSPHRASE,
    )
    expect(right.status).toBe(403)
    expect(right.headers.get('set-cookie')).toBeNull()
    // No attempt was counted: the owner signs in at once from the consent page itself.
    const own = await signIn({ origin: ORIGIN, 'sec-fetch-site': 'same-origin' }, PASSPHRASE)
    expect(own.status).toBe(303)
    expect(own.headers.get('set-cookie')).toContain('custos_session=')
  })
})
