/**
 * Issue 12 on the owner's pages: Settings → "Never for" saves the purposes no vendor may ask for
 * (and refuses a purpose the list does not offer); Connections shows a grant's purposes in plain
 * words; the log tells a refused request with its purpose.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connectedVendor, disposePageClients, pageClient, text } from '../support/page-client.js'

const DPV = 'https://w3id.org/dpv#'
afterEach(disposePageClients)

describe('purposes on the owner’s pages', () => {
  it('Settings saves "never for" purposes; a vendor asking for a narrower one is refused and the log says why', async () => {
    const p = await pageClient()
    const settings = await p.get('/settings')
    expect(settings.html).toContain('Never for')
    expect(settings.html).toContain(`value="${DPV}Marketing"`)
    const saved = await p.submit('/settings/purposes', {
      never_for: [`${DPV}Marketing`, 'https://w3id.org/dpv/ai#ModelTraining'],
    })
    expect(saved.html).toContain('requests for the purposes you ticked are refused')
    expect(saved.html).toMatch(new RegExp(`value="${DPV}Marketing" checked`))
    expect((await p.vault.grants.list()).length).toBe(0)
    const policy = await p.app.request('/owner/purpose-policy', { headers: { cookie: p.cookie } })
    expect(((await policy.json()) as { neverFor: string[] }).neverFor).toEqual([
      `${DPV}Marketing`,
      'https://w3id.org/dpv/ai#ModelTraining',
    ])

    const reg = await p.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Ad Network',
        redirect_uris: ['https://ads.example/cb'],
      }),
    })
    const { client_id } = (await reg.json()) as { client_id: string }
    const query = new URLSearchParams({
      client_id,
      response_type: 'code',
      redirect_uri: 'https://ads.example/cb',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([
        {
          type: 'custos_fields',
          fields: ['email'],
          actions: ['read'],
          purpose: 'Better offers',
          purposes: ['dpv:TargetedAdvertising'],
        },
      ]),
    })
    const asked = await p.get(`/oauth/authorize?${query}`)
    expect(asked.status).toBe(302)
    expect(new URL(asked.location as string).searchParams.get('error')).toBe('access_denied')

    const log = text((await p.get('/log?kind=refused')).html)
    expect(log).toContain('Ad Network asked for access to target ads at you, which you never allow')
  })

  it('refuses a purpose the form does not offer, and changes nothing', async () => {
    const p = await pageClient()
    await p.submit('/settings/purposes', { never_for: [`${DPV}Marketing`] })
    const bad = await p.post('/settings/purposes', { never_for: ['https://example.org/x'] })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('Tick purposes from the list only')
    expect(bad.html).not.toContain('example.org/x')
    const policy = await p.app.request('/owner/purpose-policy', { headers: { cookie: p.cookie } })
    expect(((await policy.json()) as { neverFor: string[] }).neverFor).toEqual([`${DPV}Marketing`])
  })

  it('Connections and the log name a grant’s purposes in plain words', async () => {
    const p = await pageClient()
    await connectedVendor(p, 'read:email')
    const connections = text((await p.get('/connections')).html)
    expect(connections).toContain('Only for')
    expect(connections).toContain('to provide the service you use')
    const log = text((await p.get('/log?kind=grants')).html)
    expect(log).toContain(
      'You granted Fjord Outdoor access to Email, to provide the service you use',
    )
  })

  it('Connections narrows a grant to fewer purposes; unticking every purpose is refused', async () => {
    const p = await pageClient()
    const vendor = await p.vault.vendors.register({ name: 'Fjord Outdoor' })
    const grant = await p.vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Orders and offers',
      purposes: ['dpv:CustomerOrderManagement', 'dpv:DirectMarketing'],
      durationSeconds: 3600,
    })
    const page = await p.get('/connections')
    expect(page.html).toContain(`name="purpose" value="${DPV}DirectMarketing" checked`)
    const narrowed = await p.submit(`/connections/grants/${grant.id}/narrow`, {
      field: ['email'],
      purpose: [`${DPV}CustomerOrderManagement`],
      expires: 'keep',
    })
    expect(text(narrowed.html)).toContain('The grant was narrowed')
    expect((await p.vault.grants.get(grant.id)).purposes).toEqual([`${DPV}CustomerOrderManagement`])
    // One purpose left: nothing to untick, so the form no longer offers it.
    expect((await p.get('/connections')).html).not.toContain('name="purpose"')

    const other = await p.vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Orders and offers',
      purposes: ['dpv:CustomerOrderManagement', 'dpv:DirectMarketing'],
      durationSeconds: 3600,
    })
    const none = await p.submit(`/connections/grants/${other.id}/narrow`, {
      field: ['email'],
      expires: 'keep',
    })
    expect(text(none.html)).toContain('A grant needs at least one purpose')
    expect((await p.vault.grants.get(other.id)).purposes.length).toBe(2)
  })
})
