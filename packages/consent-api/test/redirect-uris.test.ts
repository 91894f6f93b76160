/**
 * Issue "P1 — Trust", finding 1: redirect URIs with control characters or whitespace. The URL
 * parser strips them, so such a string looked valid at registration while the raw string was
 * stored; later every redirect to it (errors, the owner's approval) was a 500, and the approval
 * left a grant behind. Registration refuses them (RFC 7591 §3.2.2 `invalid_redirect_uri`); a bad
 * redirect already stored (by an older version) is refused on a page, and no grant is created
 * before the redirect that carries its code can be built.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  ISSUER,
  REDIRECT,
  checkedBoxes,
  disposeFixtures,
  oauthFixture,
  pendingId,
  pkce,
} from './support/oauth-fixture.js'
import { rewriteAuthentic, rowsOf } from './support/stored-rows.js'

afterEach(disposeFixtures)

const BAD_REDIRECTS = [
  `${REDIRECT}\r\nSet-Cookie: a=b`,
  `${REDIRECT}\n`,
  ` ${REDIRECT}`,
  `${REDIRECT} `,
  'https://fjord.example/c\tb',
  'https://fjord.example/c b',
  'https://fjord.example/cb\u0000',
  'https://fjord.example/cb\u00a0',
  'https://fjord.example/cb\u2028',
  // Parsed fine, but not the string the parser would give back: exact matching would be ambiguous.
  'https://FJORD.example/cb',
  'https://fjord.example',
  'https://fjord.example/a/../cb',
  'https://fjord.example:443/cb',
]

const request = (clientId: string, extra: Record<string, string> = {}) => ({
  client_id: clientId,
  response_type: 'code',
  redirect_uri: REDIRECT,
  scope: 'read:email',
  code_challenge: pkce().challenge,
  code_challenge_method: 'S256',
  state: 'st',
  ...extra,
})

/**
 * Puts `uri` into a registered client's stored row, as an older version could have written it
 * (and the upgrade adopted: sealed and MAC'd as it stood — support/stored-rows.ts).
 */
async function storeRedirect(
  f: Awaited<ReturnType<typeof oauthFixture>>,
  clientId: string,
  uris: string[],
): Promise<void> {
  await rewriteAuthentic(f.tv, 'oauth_clients', clientId, (_row, sealed) => ({
    sealed: { ...(sealed as object), redirect_uris: uris },
  }))
}

describe('registration refuses redirect URIs the parser would change (RFC 7591 §3.2.2)', () => {
  it('control characters, whitespace anywhere, and strings that do not serialize back to themselves are invalid_redirect_uri', async () => {
    const f = await oauthFixture()
    for (const uri of BAD_REDIRECTS) {
      const res = await f.app.request('/oauth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Fjord Outdoor', redirect_uris: [REDIRECT, uri] }),
      })
      expect([JSON.stringify(uri), res.status]).toEqual([JSON.stringify(uri), 400])
      expect(((await res.json()) as { error: string }).error).toBe('invalid_redirect_uri')
    }
    expect(await f.tv.vault.vendors.list()).toEqual([])
  })

  it('ordinary redirect URIs, with a query or a port, are still accepted', async () => {
    const f = await oauthFixture()
    for (const uri of [
      'https://fjord.example/cb?x=1&y=2',
      'https://fjord.example:8443/cb',
      'http://127.0.0.1:8123/cb',
      'https://fjord.example/',
      'https://xn--fjrd-ira.example/cb',
    ]) {
      await expect(f.register({ redirect_uris: [uri] })).resolves.toHaveProperty('id')
    }
  })
})

describe('a bad redirect URI already stored never makes a 500 and never leaves a grant', () => {
  it('the authorization endpoint shows an error page instead of redirecting to it (with or without redirect_uri)', async () => {
    const f = await oauthFixture()
    for (const bad of [`${REDIRECT}\r\nSet-Cookie: a=b`, ` ${REDIRECT}`]) {
      const client = await f.register()
      await storeRedirect(f, client.id, [bad])
      for (const query of [
        request(client.id, { redirect_uri: bad, response_type: 'token' }),
        request(client.id, { redirect_uri: bad }),
        { ...request(client.id), redirect_uri: '' },
      ]) {
        const q = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''))
        const res = await f.authorize(q, await f.signIn())
        expect(res.status).toBe(400)
        expect(res.headers.get('location')).toBeNull()
        expect(await res.text()).toContain('return address')
      }
    }
  })

  it('PAR answers invalid_request for a client whose stored redirect URI is bad', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await storeRedirect(f, client.id, [`${REDIRECT}\n`])
    const res = await f.post('/oauth/par', client, {
      ...request(client.id, { redirect_uri: `${REDIRECT}\n` }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request')
  })

  it('the owner approving a pending request whose redirect is bad gets an error page, and no grant exists', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const owner = await f.signIn()
    const page = await f.authorize(request(client.id), owner)
    expect(page.status).toBe(200)
    const html = await page.text()
    const id = pendingId(html)
    // The pending request as an older version stored it: the raw, unchecked redirect.
    const [row] = await rowsOf(f.tv, 'oauth_requests')
    await rewriteAuthentic(f.tv, 'oauth_requests', row?.id ?? '', (_row, sealed) => {
      const params = sealed as { request: { redirectUri: string } }
      return {
        sealed: {
          ...params,
          request: { ...params.request, redirectUri: `${REDIRECT}\r\nSet-Cookie: a=b` },
        },
      }
    })

    const res = await f.decide(owner, [
      ['request_id', id],
      ['csrf_token', owner.csrf],
      ...checkedBoxes(html),
      ['decision', 'approve'],
    ])
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
    expect(await f.tv.vault.grants.list()).toEqual([])
    // The consent page itself for that request is an error page too, not a 500.
    const again = await f.app.request(`/oauth/authorize/pending/${id}`, {
      headers: { cookie: owner.cookie },
    })
    expect(again.status).toBe(400)
    expect(again.headers.get('location')).toBeNull()
  })

  it('an approval with a good redirect still creates exactly one grant and redirects with the code', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const back = await f.consent(request(client.id))
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT)
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(back.searchParams.get('iss')).toBe(ISSUER)
    expect(await f.tv.vault.grants.list()).toHaveLength(1)
  })
})
