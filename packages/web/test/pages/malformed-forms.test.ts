/**
 * SECURITY.md 22: a malformed body is the sender's mistake — a 4xx or the form again, never a
 * 5xx. The CSRF token may come in the X-CSRF-Token header, so the owner gate lets such a body
 * through unread and every page must cope with it itself.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, pageClient } from '../support/page-client.js'

afterEach(disposePageClients)

const BODIES = [
  ['multipart/form-data; boundary=zzz', '--zzz\r\nbroken'],
  ['multipart/form-data', 'no boundary'],
  ['application/x-www-form-urlencoded', '%%%=%zz&a'],
  ['application/json', '{'],
  ['text/plain', 'x'],
] as const

describe('signed-in forms with malformed bodies', () => {
  it('never answer 5xx', async () => {
    const p = await pageClient()
    const purchase = await p.vault.purchases.add({
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      currency: 'EUR',
      total: 12.5,
      items: [],
    })
    const paths = [
      '/purchases/new',
      `/purchases/${purchase.id}/edit`,
      '/connections/grants/abc/narrow',
      '/connections/vendors/abc/block',
      '/profile',
      '/profile/custom',
      '/profile/delete',
      '/inbox/abc/accept',
      '/settings/passphrase',
      '/settings/delete',
      '/purchases/import',
      '/settings/restore',
      '/setup/done',
    ]
    const failures: string[] = []
    for (const path of paths) {
      for (const [type, body] of BODIES) {
        const res = await p.app.request(`http://127.0.0.1${path}`, {
          method: 'POST',
          headers: {
            cookie: p.cookie,
            'x-csrf-token': p.csrf,
            'content-type': type,
            origin: 'http://127.0.0.1',
          },
          body,
        })
        if (res.status >= 500) failures.push(`${path} ${type}: ${res.status}`)
      }
    }
    expect(failures).toEqual([])
    // Nothing was changed by any of them.
    expect((await p.vault.purchases.get(purchase.id)).seller).toBe('Fjord Outdoor')
  })
})
