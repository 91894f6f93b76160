import { afterEach, describe, expect, it } from 'vitest'
import { ORIGIN, type PagesFixture, signedInPages } from '../support/web-fixture.js'

/** A browser at an address nothing answers sees a page under the pages' headers; API clients keep problem+json. */
describe('addresses nothing answers', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('give a browser an HTML page with the CSP, and an API client problem+json', async () => {
    f = await signedInPages()
    for (const path of ['/nope', '/purchases/nope', '/settings/nope/deeper']) {
      const res = await f.browser.get(path)
      expect([path, res.status, res.headers.get('content-type')]).toEqual([
        path,
        404,
        'text/html; charset=UTF-8',
      ])
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(await res.text()).toContain('There is no such page')
    }
    const api = await f.app.request(`${ORIGIN}/nope`, { headers: { accept: 'application/json' } })
    expect([api.status, api.headers.get('content-type')]).toEqual([404, 'application/problem+json'])
  })
})
