import { afterEach, describe, expect, it } from 'vitest'
import { type PagesFixture, signedInPages } from '../support/web-fixture.js'

/**
 * Pages show a notice chosen by a query flag from a fixed table (`?done=revoked`), so nothing a
 * link says is echoed. Names every JavaScript object has (`constructor`, `toString`,
 * `__proto__`) are not entries of those tables and must show nothing — not
 * "function Object() { [native code] }".
 */
describe('query-chosen notices', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('show only the tables’ own entries', async () => {
    f = await signedInPages()
    for (const path of ['/connections', '/inbox', '/purchases', '/settings']) {
      for (const query of [
        'done=constructor',
        'error=__proto__',
        'done=toString',
        'error=hasOwnProperty',
      ]) {
        const body = await (await f.browser.get(`${path}?${query}`)).text()
        expect([
          path,
          query,
          body.match(/<p class="notice (ok|error)" role="(status|alert)">[^<]*/)?.[0],
        ]).toEqual([path, query, undefined])
      }
    }
  })
})
