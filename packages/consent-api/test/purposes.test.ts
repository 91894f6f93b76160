/**
 * Issue 12, machine-readable purposes: every grant carries W3C DPV purpose IRIs beside the
 * vendor's words; the owner's "never for" purposes are refused before the consent page — a
 * narrower purpose with them — logged, and answered `access_denied` naming the purpose.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  type OAuthFixture,
  REDIRECT,
  checkedBoxes,
  disposeFixtures,
  oauthFixture,
  pendingId,
  pkce,
} from './support/oauth-fixture.js'

const DPV = 'https://w3id.org/dpv#'
afterEach(disposeFixtures)

const details = (extra: Record<string, unknown> = {}) =>
  JSON.stringify([
    {
      type: 'custos_fields',
      fields: ['email', 'prefs.sizes.shoe'],
      actions: ['read'],
      purpose: 'Shoe fitting and order updates',
      ...extra,
    },
  ])

async function setNeverFor(f: OAuthFixture, neverFor: string[]): Promise<Response> {
  const owner = await f.signIn()
  return f.app.request('/owner/purpose-policy', {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      cookie: owner.cookie,
      'x-csrf-token': owner.csrf,
    },
    body: JSON.stringify({ neverFor }),
  })
}

function request(extra: Record<string, string> = {}) {
  return {
    response_type: 'code',
    redirect_uri: REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 'st-9',
    ...extra,
  }
}

describe('purposes on a grant', () => {
  it('a RAR request names DPV purposes (compact or full); the grant, the token response and GET /v1/grant carry their IRIs', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const { code, verifier } = await f.code(client, {
      scope: undefined,
      authorization_details: details({
        purposes: ['dpv:CustomerOrderManagement', `${DPV}DeliveryOfGoods`, 'dpv:DeliveryOfGoods'],
      }),
    })
    const res = await f.exchange(client, code, verifier)
    expect(res.status).toBe(200)
    const token = (await res.json()) as {
      access_token: string
      authorization_details: { purposes: string[] }[]
    }
    const iris = [`${DPV}CustomerOrderManagement`, `${DPV}DeliveryOfGoods`]
    expect(token.authorization_details[0]?.purposes).toEqual(iris)
    const [grant] = await f.tv.vault.grants.list()
    expect(grant?.purposes).toEqual(iris)
    expect(grant?.purpose).toBe('Shoe fitting and order updates')
    const view = await f.app.request('/v1/grant', {
      headers: { authorization: `Bearer ${token.access_token}` },
    })
    expect(((await view.json()) as { purposes: string[] }).purposes).toEqual(iris)
    const created = await f.tv.vault.audit.list({ action: 'grant.created' })
    expect(created[0]?.purposes).toEqual(iris)
  })

  it('a plain-scope request gets service provision, and the consent page says so in plain words', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const owner = await f.signIn()
    const page = await f.authorize(
      { client_id: client.id, ...request({ scope: 'read:email' }) },
      owner,
    )
    const html = await page.text()
    expect(html).toContain('may use what you share only')
    expect(html).toContain('to provide the service you use')
    expect(html).toContain('dpv:ServiceProvision')
    await f.decide(owner, [
      ['request_id', pendingId(html)],
      ['csrf_token', owner.csrf],
      ...checkedBoxes(html),
      ['decision', 'approve'],
    ])
    expect((await f.tv.vault.grants.list())[0]?.purposes).toEqual([`${DPV}ServiceProvision`])
  })

  it('an unknown purpose is refused as invalid_authorization_details, at PAR and at the front channel', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const bad = details({ purposes: ['dpv:NoSuchPurpose'] })
    const par = await f.post('/oauth/par', client, request({ authorization_details: bad }))
    expect(par.status).toBe(400)
    expect(((await par.json()) as { error: string }).error).toBe('invalid_authorization_details')
    const front = await f.authorize({
      client_id: client.id,
      ...request({ authorization_details: bad }),
    })
    expect(front.status).toBe(302)
    const location = new URL(front.headers.get('location') as string)
    expect(location.searchParams.get('error')).toBe('invalid_authorization_details')
    expect((await f.tv.vault.grants.list()).length).toBe(0)
  })
})

describe('the owner’s "never for" purposes', () => {
  it('refuses a request for a refused purpose — or a narrower one — before the consent page, logs it, and names the purpose', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const saved = await setNeverFor(f, ['dpv:Marketing'])
    expect(saved.status).toBe(200)
    expect(((await saved.json()) as { neverFor: string[] }).neverFor).toEqual([`${DPV}Marketing`])

    // Advertising is narrower than marketing in DPV: refused too.
    const par = await f.post(
      '/oauth/par',
      client,
      request({
        authorization_details: details({ purposes: ['dpv:CustomerCare', 'dpv:Advertising'] }),
      }),
    )
    expect(par.status).toBe(400)
    const body = (await par.json()) as { error: string; error_description: string }
    expect(body.error).toBe('access_denied')
    expect(body.error_description).toContain(`${DPV}Advertising`)
    expect(body.error_description).not.toContain(`${DPV}CustomerCare`)

    const front = await f.authorize({
      client_id: client.id,
      ...request({ authorization_details: details({ purposes: ['dpv:DirectMarketing'] }) }),
    })
    expect(front.status).toBe(302)
    const back = new URL(front.headers.get('location') as string)
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(back.searchParams.get('error_description')).toContain(`${DPV}DirectMarketing`)
    expect(back.searchParams.get('state')).toBe('st-9')

    const refused = await f.tv.vault.audit.list({ action: 'request.refused' })
    expect(refused.map((e) => [e.vendorId, e.outcome, e.detail, e.purposes])).toEqual([
      [client.id, 'refused', 'ERR_PURPOSE_REFUSED', [`${DPV}DirectMarketing`]],
      [client.id, 'refused', 'ERR_PURPOSE_REFUSED', [`${DPV}Advertising`]],
    ])
    expect((await f.tv.vault.grants.list()).length).toBe(0)
  })

  it('lets other purposes through: customer care is not marketing', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await setNeverFor(f, ['dpv:Marketing', 'ai:ModelTraining'])
    const { code } = await f.code(client, {
      scope: undefined,
      authorization_details: details({ purposes: ['dpv:CustomerCare'] }),
    })
    expect(code).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect((await f.tv.vault.grants.list())[0]?.purposes).toEqual([`${DPV}CustomerCare`])
  })

  it('checks again when the owner decides: a purpose refused while the request waited is denied', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const owner = await f.signIn()
    const page = await f.authorize(
      {
        client_id: client.id,
        ...request({ authorization_details: details({ purposes: ['dpv:Personalisation'] }) }),
      },
      owner,
    )
    expect(page.status).toBe(200)
    const html = await page.text()
    await setNeverFor(f, ['dpv:Personalisation'])
    const res = await f.decide(owner, [
      ['request_id', pendingId(html)],
      ['csrf_token', owner.csrf],
      ...checkedBoxes(html),
      ['decision', 'approve'],
    ])
    expect(res.status).toBe(303)
    const back = new URL(res.headers.get('location') as string)
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(back.searchParams.get('code')).toBeNull()
    expect((await f.tv.vault.grants.list()).length).toBe(0)
  })

  it('the owner API refuses an unknown purpose and keeps the policy it had', async () => {
    const f = await oauthFixture()
    await setNeverFor(f, ['dpv:Marketing'])
    const bad = await setNeverFor(f, ['dpv:Marketing', 'https://example.org/whatever'])
    expect(bad.status).toBe(400)
    expect(bad.headers.get('content-type')).toContain('application/problem+json')
    expect(await bad.text()).not.toContain('example.org')
    const owner = await f.signIn()
    const now = await f.app.request('/owner/purpose-policy', { headers: { cookie: owner.cookie } })
    const view = (await now.json()) as {
      neverFor: string[]
      purposes: { iri: string; plain: string }[]
    }
    expect(view.neverFor).toEqual([`${DPV}Marketing`])
    expect(view.purposes.find((p) => p.iri === `${DPV}Marketing`)?.plain).toBe('for marketing')
  })

  it('the owner narrows a grant to a narrower purpose through the owner API; adding one is refused', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await f.code(client, {
      scope: undefined,
      authorization_details: details({ purposes: ['dpv:Marketing', 'dpv:CustomerCare'] }),
    })
    const [grant] = await f.tv.vault.grants.list()
    const owner = await f.signIn()
    const narrow = (purposes: string[]) =>
      f.app.request(`/owner/grants/${grant?.id}/narrow`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: owner.cookie,
          'x-csrf-token': owner.csrf,
        },
        body: JSON.stringify({ purposes }),
      })
    const ok = await narrow(['dpv:DirectMarketing'])
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { purposes: string[] }).purposes).toEqual([
      `${DPV}DirectMarketing`,
    ])
    const wider = await narrow(['dpv:CustomerCare'])
    expect(wider.status).toBe(403)
    expect(((await wider.json()) as { code: string }).code).toBe('ERR_GRANT_SCOPE')
  })
})
