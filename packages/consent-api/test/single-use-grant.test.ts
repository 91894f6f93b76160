/**
 * Issue 12 §5: single-use grants over HTTP. PDPP's `access_mode: single_use`, or Custos's own
 * `custos_fields` detail with `access_mode: single_use`, is shown to the owner as "once", granted
 * as a single-use grant, and the vendor's first read ends it: the data comes back once, then every
 * request with the token is refused `invalid_token` and introspection says inactive.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  ISSUER,
  type OAuthFixture,
  REDIRECT,
  type TokenResponse,
  checkedBoxes,
  disposeFixtures,
  oauthFixture,
  ownerCall,
  pkce,
} from './support/oauth-fixture.js'

const DPV = 'https://w3id.org/dpv#'
afterEach(disposeFixtures)

const pdppOnce = JSON.stringify([
  {
    type: 'https://pdpp.dev/data-access',
    source: { id: ISSUER },
    purpose_code: `${DPV}CustomerOrderManagement`,
    purpose_description: 'One delivery',
    access_mode: 'single_use',
    streams: [{ name: 'profile', fields: ['email'] }],
  },
])

const custosOnce = JSON.stringify([
  {
    type: 'custos_fields',
    fields: ['email', 'name.given'],
    actions: ['read'],
    purpose: 'One delivery',
    access_mode: 'single_use',
  },
])

const get = (f: OAuthFixture, path: string, token: string) =>
  f.app.request(path, { headers: { authorization: `Bearer ${token}` } })

async function singleUseToken(f: OAuthFixture, details: string) {
  const client = await f.register()
  let page = ''
  const { code, verifier } = await f.code(
    client,
    { scope: undefined, authorization_details: details },
    {
      choices: (html) => {
        page = html
        return [...checkedBoxes(html), ['decision', 'approve']]
      },
    },
  )
  const res = await f.exchange(client, code, verifier)
  expect(res.status).toBe(200)
  return { client, page, tokens: (await res.json()) as TokenResponse }
}

describe('single-use grants over HTTP', () => {
  it.each([
    ['a PDPP single_use request', pdppOnce, { email: 'ada@example.org' }],
    [
      'a custos_fields request with access_mode single_use',
      custosOnce,
      { email: 'ada@example.org', 'name.given': 'Ada' },
    ],
  ])('%s: shown as once, read once, then refused invalid_token', async (_what, details, fields) => {
    const f = await oauthFixture()
    const { client, page, tokens } = await singleUseToken(f, details)
    expect(page).toContain('may read this one time')
    const token = tokens.access_token
    const [detail] = tokens.authorization_details as { access_mode: string }[]
    expect(detail?.access_mode).toBe('single_use')

    const look = await get(f, '/v1/grant', token)
    expect(look.status).toBe(200)
    const seen = (await look.json()) as { receipt: string }
    expect(seen).toMatchObject({ access_mode: 'single_use', status: 'active' })
    // The signed consent receipt says so too.
    const receipt = JSON.parse(
      Buffer.from(seen.receipt.split('.')[1] as string, 'base64url').toString(),
    ) as { custos: { accessMode: string } }
    expect(receipt.custos.accessMode).toBe('singleUse')

    const first = await get(f, '/v1/profile', token)
    expect(first.status).toBe(200)
    expect(((await first.json()) as { fields: object }).fields).toEqual(fields)

    const second = await get(f, '/v1/profile', token)
    expect(second.status).toBe(401)
    expect(second.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(second.headers.get('www-authenticate')).toContain('single-use grant')
    const after = await get(f, '/v1/grant', token)
    expect(after.status).toBe(401)
    expect(after.headers.get('www-authenticate')).toContain('has been used')
    expect(await f.introspect(client, token)).toEqual({ active: false })

    // The owner sees it used.
    const [grant] = await f.tv.vault.grants.list()
    expect(grant).toMatchObject({ status: 'consumed', accessMode: 'singleUse' })
    const listed = await ownerCall(f, 'GET', '/owner/grants?status=consumed')
    expect(listed.status).toBe(200)
    expect(JSON.stringify(await listed.json())).toContain(grant?.id as string)
  })

  it('a continuous request says nothing of once and reads as often as it likes', async () => {
    const f = await oauthFixture()
    const { page, tokens } = await singleUseToken(
      f,
      custosOnce.replace('"single_use"', '"continuous"'),
    )
    expect(page).not.toContain('one time')
    expect((await get(f, '/v1/profile', tokens.access_token)).status).toBe(200)
    expect((await get(f, '/v1/profile', tokens.access_token)).status).toBe(200)
  })

  it('refuses an access mode it does not know', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const res = await f.post('/oauth/par', client, {
      response_type: 'code',
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      authorization_details: custosOnce.replace('"single_use"', '"twice"'),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_authorization_details')
  })
})
