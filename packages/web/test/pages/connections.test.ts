/**
 * Issue 4, page 6: connections — each vendor and grant with its last read, narrowing (the next
 * read gets fewer fields), revoking (reads and the vendor's OAuth tokens stop), blocking, the
 * consent receipt, and CSRF refusals that change nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connectedVendor, disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

const PROFILE = { email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 39', 'prefs.sizes.top': 'M' }

/** The text of one grant's card. */
function grantCard(html: string, grantId: string): string {
  return text(
    html.match(
      new RegExp(`<article class="grant card" id="grant-${grantId}"[\\s\\S]*?</article>`),
    )?.[0] ?? '',
  )
}

describe('/connections', () => {
  it('shows each vendor and grant, and the last read with what it read', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany(PROFILE)
    const vendor = await connectedVendor(p, 'read:email read:prefs.sizes.*', {
      logo_uri: 'https://fjord.example/logo.png',
    })
    const before = await p.get('/connections')
    expect(before.status).toBe(200)
    expect(before.html).toContain('<h2 id="vendor-')
    expect(before.html).toContain('Fjord Outdoor')
    expect(before.html).toContain('href="https://fjord.example"')
    // The logo is never hot-linked (issue P1 — Trust, finding 3): a monogram stands in for it.
    expect(before.html).not.toContain('logo.png')
    expect(before.html).toContain('<span class="monogram" aria-hidden="true">F</span>')
    expect(text(before.html)).toMatch(/registered \d{4}-\d{2}-\d{2}/)
    const card = grantCard(before.html, vendor.grant.id)
    expect(card).toContain('Active')
    expect(card).toContain('Fields Email Shoe size, Top size, Bottom size and 2 more')
    expect(card).toContain('Shoe size, Top size, Bottom size and 2 more')
    expect(card).toContain('Last read Never read')

    expect(await vendor.readProfile()).toEqual({ status: 200, fields: PROFILE })
    const after = grantCard((await p.get('/connections')).html, vendor.grant.id)
    expect(after).toMatch(
      /Last read \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC : Email, Shoe size, Top size Download/,
    )
    // A read straight through the library shows up the same way: the newest read, what it got.
    await p.vault.fields.delete('email')
    await p.vault.readThroughGrant(vendor.grant.id, { include: ['fields'] })
    expect(grantCard((await p.get('/connections')).html, vendor.grant.id)).toMatch(
      /Last read \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC : Shoe size, Top size Download/,
    )
  })

  it('shows a single-use grant as once, and once read as used, with the date', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany(PROFILE)
    const shop = await p.vault.vendors.register({ name: 'Fjord Outdoor' })
    const grant = await p.vault.grants.create({
      vendorId: shop.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'One delivery',
      durationSeconds: 3600,
      accessMode: 'singleUse',
    })
    const before = grantCard((await p.get('/connections')).html, grant.id)
    expect(before).toContain('How often Once: Fjord Outdoor may read this one time')
    expect(before).toContain('Active')
    expect(before).toContain('Revoke')
    await p.vault.readThroughGrant(grant.id)
    const after = grantCard((await p.get('/connections')).html, grant.id)
    expect(after).toContain('Used')
    expect(after).toMatch(/Ended Used once on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/)
    // Nothing left to narrow or revoke.
    expect(after).not.toContain('Revoke')
    expect(after).not.toContain('Active')
  })

  it('narrows a grant: unticked fields are gone from the next read', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany(PROFILE)
    const vendor = await connectedVendor(p)
    const page = await p.submit(`/connections/grants/${vendor.grant.id}/narrow`, {
      field: ['prefs.sizes.*'],
      expires: 'keep',
    })
    expect(page.html).toContain('The grant was narrowed.')
    expect(await vendor.readProfile()).toEqual({
      status: 200,
      fields: { 'prefs.sizes.shoe': 'EU 39', 'prefs.sizes.top': 'M' },
    })
    expect((await p.vault.grants.get(vendor.grant.id)).fields).toEqual(['prefs.sizes.*'])
    // Shorten the expiry to one day from now.
    await p.submit(`/connections/grants/${vendor.grant.id}/narrow`, {
      field: ['prefs.sizes.*'],
      expires: '86400',
    })
    const narrowed = await p.vault.grants.get(vendor.grant.id)
    expect(Date.parse(narrowed.expiresAt) - Date.now()).toBeLessThanOrEqual(86_400_000)
    expect(Date.parse(narrowed.expiresAt) - Date.now()).toBeGreaterThan(86_000_000)
    // A field the grant never had cannot be ticked into it; unticking everything is refused.
    await p.submit(`/connections/grants/${vendor.grant.id}/narrow`, {
      field: ['prefs.sizes.*', 'telephone'],
      expires: 'keep',
    })
    expect((await p.vault.grants.get(vendor.grant.id)).fields).toEqual(['prefs.sizes.*'])
    const empty = await p.submit(`/connections/grants/${vendor.grant.id}/narrow`, {
      expires: 'keep',
    })
    expect(empty.html).toContain('Nothing would be left to share')
    expect((await p.vault.grants.get(vendor.grant.id)).fields).toEqual(['prefs.sizes.*'])
  })

  it('revokes a grant in one click: reads fail and the vendor tokens are dead', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany(PROFILE)
    const vendor = await connectedVendor(p)
    expect((await vendor.readProfile()).status).toBe(200)
    expect((await vendor.introspect(vendor.accessToken)).active).toBe(true)
    const page = await p.submit(`/connections/grants/${vendor.grant.id}/revoke`)
    expect(page.html).toContain('The grant was revoked.')
    expect(grantCard(page.html, vendor.grant.id)).toContain('Revoked')
    expect((await p.vault.grants.get(vendor.grant.id)).status).toBe('revoked')
    expect((await vendor.readProfile()).status).toBe(401)
    expect((await vendor.introspect(vendor.accessToken)).active).toBe(false)
    expect((await vendor.introspect(vendor.refreshToken)).active).toBe(false)
    await expect(p.vault.readThroughGrant(vendor.grant.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_REVOKED',
    })
  })

  it('blocks and unblocks a vendor', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany(PROFILE)
    const vendor = await connectedVendor(p)
    const blocked = await p.submit(`/connections/vendors/${vendor.grant.vendorId}/block`, {
      blocked: 'true',
    })
    expect(blocked.html).toContain('The vendor is blocked.')
    expect(blocked.html).toContain('>Unblock vendor</button>')
    expect((await p.vault.vendors.get(vendor.grant.vendorId)).blocked).toBe(true)
    expect((await vendor.readProfile()).status).not.toBe(200)
    const unblocked = await p.submit(`/connections/vendors/${vendor.grant.vendorId}/block`, {
      blocked: 'false',
    })
    expect(unblocked.html).toContain('>Block vendor</button>')
    expect(await vendor.readProfile()).toEqual({ status: 200, fields: PROFILE })
  })

  it('downloads the signed consent receipt of the current revision', async () => {
    const p = await pageClient()
    const vendor = await connectedVendor(p)
    const res = await p.app.request(`/connections/grants/${vendor.grant.id}/receipt`, {
      headers: { cookie: p.cookie },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/jwt')
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="consent-receipt-${vendor.grant.id}.jwt"`,
    )
    const [header, payload, signature] = (await res.text())
      .split('.')
      .map((part) => Buffer.from(part, 'base64url'))
    expect(JSON.parse(String(header))).toMatchObject({ typ: 'consent-receipt+jwt' })
    expect(JSON.parse(String(payload))).toMatchObject({ consentReceiptID: `${vendor.grant.id}.1` })
    expect(signature?.byteLength).toBe(64) // Ed25519
  })

  it('refuses narrow, revoke and block without the CSRF token, and changes nothing', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany(PROFILE)
    const vendor = await connectedVendor(p)
    for (const csrf of [null, 'forged']) {
      expect(
        (
          await p.post(
            `/connections/grants/${vendor.grant.id}/narrow`,
            { field: ['email'], expires: '3600' },
            { csrf },
          )
        ).status,
      ).toBe(403)
      expect(
        (await p.post(`/connections/grants/${vendor.grant.id}/revoke`, {}, { csrf })).status,
      ).toBe(403)
      expect(
        (
          await p.post(
            `/connections/vendors/${vendor.grant.vendorId}/block`,
            { blocked: 'true' },
            { csrf },
          )
        ).status,
      ).toBe(403)
    }
    const grant = await p.vault.grants.get(vendor.grant.id)
    expect(grant).toMatchObject({
      status: 'active',
      revision: 1,
      fields: vendor.grant.fields,
      expiresAt: vendor.grant.expiresAt,
    })
    expect((await p.vault.vendors.get(vendor.grant.vendorId)).blocked).toBe(false)
    expect(await vendor.readProfile()).toEqual({ status: 200, fields: PROFILE })
  })
})

describe('connect an assistant (issue 14)', () => {
  it('shows this vault’s /mcp address and the custos mcp --connect command', async () => {
    const p = await pageClient()
    const page = await p.get('/connections')
    expect(page.status).toBe(200)
    expect(page.html).toContain('value="http://127.0.0.1/mcp"')
    expect(text(page.html)).toContain('custos mcp --connect --token-file')
    expect(text(page.html)).toContain('Connect an assistant')
  })
})
