/**
 * The owner API's data routes, each happy path and its refusals: fields and vocabulary,
 * purchases, vendors, grants (revocation kills the grant's tokens, SECURITY.md 15), the inbox
 * and the audit log.
 */
import { createLocalJWKSet, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ORDER,
  type Owner,
  type OwnerFixture,
  disposeOwnerFixtures,
  ownerFixture,
  seedIds,
} from './support/owner-fixture.js'

afterEach(disposeOwnerFixtures)

async function signedIn(): Promise<{ f: OwnerFixture; owner: Owner }> {
  const f = await ownerFixture()
  return { f, owner: await f.signIn() }
}

describe('fields', () => {
  it('sets, lists with vocabulary labels and groups, and deletes fields', async () => {
    const { f, owner } = await signedIn()
    expect(
      await f.json(owner, 'PUT', '/owner/fields/email', { json: { value: 'ada@example.org' } }),
    ).toEqual({ path: 'email', value: 'ada@example.org', label: 'Email', group: 'contact' })
    await f.json(owner, 'PUT', '/owner/fields/address.home', {
      json: {
        value: { streetAddress: '1 Main St', addressLocality: 'Oslo', addressCountry: 'NO' },
      },
    })
    await f.json(owner, 'PUT', '/owner/fields/custom.loyalty.airline', {
      json: { value: 'FF 1234' },
    })
    const { fields } = await f.json<{
      fields: { path: string; value: unknown; label: string; group: string; updatedAt: string }[]
    }>(owner, 'GET', '/owner/fields')
    expect(fields.map((x) => [x.path, x.label, x.group])).toEqual([
      ['address.home', 'Home address', 'address'],
      ['custom.loyalty.airline', 'custom.loyalty.airline', 'custom'],
      ['email', 'Email', 'contact'],
    ])
    expect(fields[2]?.updatedAt).toBe(f.now().toISOString())
    expect((await f.call(owner, 'DELETE', '/owner/fields/email')).status).toBe(204)
    expect(await f.tv.vault.fields.get('email')).toBeUndefined()
    const again = await f.call(owner, 'DELETE', '/owner/fields/email')
    expect(again.status).toBe(404)
  })

  it('refuses unknown paths, invalid values and bodies without a value — without echoing the value', async () => {
    const { f, owner } = await signedIn()
    const unknown = await f.call(owner, 'PUT', '/owner/fields/password', { json: { value: 'x' } })
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([
      400,
      'ERR_UNKNOWN_PATH',
    ])
    const bad = await f.call(owner, 'PUT', '/owner/fields/email', {
      json: { value: 'not-an-email-canary' },
    })
    expect(bad.status).toBe(400)
    expect(await bad.text()).not.toContain('canary')
    const missing = await f.call(owner, 'PUT', '/owner/fields/email', { json: {} })
    expect(missing.status).toBe(400)
    const extra = await f.call(owner, 'PUT', '/owner/fields/email', {
      json: { value: 'a@b.org', 'evil<script>': 1 },
    })
    expect(extra.status).toBe(400)
    expect(await extra.text()).not.toContain('evil')
    expect(await f.tv.vault.fields.list()).toEqual([])
  })

  it('the vocabulary lists every known path with its label, group and JSON Schema', async () => {
    const { f, owner } = await signedIn()
    const v = await f.json<{
      fields: { path: string; label: string; group: string; schema: Record<string, unknown> }[]
      custom: { pattern: string }
    }>(owner, 'GET', '/owner/vocabulary')
    const email = v.fields.find((x) => x.path === 'email')
    expect(email).toMatchObject({
      label: 'Email',
      group: 'contact',
      schema: { type: 'string', format: 'email' },
    })
    expect(v.fields.find((x) => x.path === 'address.home')?.schema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['streetAddress']),
    })
    expect(new RegExp(v.custom.pattern).test('custom.loyalty.airline')).toBe(true)
  })
})

describe('purchases', () => {
  it('adds, reads, lists with filters and pages, replaces and deletes', async () => {
    const { f, owner } = await signedIn()
    const added = await f.json<{ id: string; provenance: string }>(
      owner,
      'POST',
      '/owner/purchases',
      { json: ORDER },
      201,
    )
    expect(added).toMatchObject({ provenance: 'owner', seller: 'Fjord Outdoor', total: 129.9 })
    await f.json(
      owner,
      'POST',
      '/owner/purchases',
      {
        json: {
          ...ORDER,
          seller: 'Nordlys Books',
          category: 'books',
          orderDate: '2026-01-02',
          total: 12,
        },
      },
      201,
    )
    await f.json(
      owner,
      'POST',
      '/owner/purchases',
      { json: { ...ORDER, orderDate: '2025-06-30', total: 40 } },
      201,
    )

    expect((await f.json(owner, 'GET', `/owner/purchases/${added.id}`)).total).toBe(129.9)
    const bySeller = await f.json<{ items: { total: number }[] }>(
      owner,
      'GET',
      '/owner/purchases?seller=Fjord%20Outdoor',
    )
    expect(bySeller.items.map((p) => p.total)).toEqual([129.9, 40])
    const byCategory = await f.json<{ items: { seller: string }[] }>(
      owner,
      'GET',
      '/owner/purchases?category=books',
    )
    expect(byCategory.items.map((p) => p.seller)).toEqual(['Nordlys Books'])
    const window = await f.json<{ items: { total: number }[] }>(
      owner,
      'GET',
      '/owner/purchases?since=2026-01-01&until=2026-03-01',
    )
    expect(window.items.map((p) => p.total)).toEqual([12])

    const first = await f.json<{ items: { total: number }[]; nextCursor: string }>(
      owner,
      'GET',
      '/owner/purchases?limit=2',
    )
    expect(first.items.map((p) => p.total)).toEqual([129.9, 12])
    const second = await f.json<{ items: { total: number }[]; nextCursor?: string }>(
      owner,
      'GET',
      `/owner/purchases?limit=2&cursor=${first.nextCursor}`,
    )
    expect(second.items.map((p) => p.total)).toEqual([40])
    expect(second.nextCursor).toBeUndefined()

    const replaced = await f.json(owner, 'PUT', `/owner/purchases/${added.id}`, {
      json: { ...ORDER, total: 99 },
    })
    expect(replaced).toMatchObject({ id: added.id, total: 99, provenance: 'owner' })
    expect((await f.call(owner, 'DELETE', `/owner/purchases/${added.id}`)).status).toBe(204)
    expect((await f.call(owner, 'GET', `/owner/purchases/${added.id}`)).status).toBe(404)
  })

  it('refuses invalid orders, unknown query parameters and malformed ids with 400, unknown ids with 404', async () => {
    const { f, owner } = await signedIn()
    for (const json of [
      { ...ORDER, total: -1 },
      { ...ORDER, currency: 'euro' },
      { ...ORDER, extra: 1 },
      [ORDER],
    ]) {
      expect((await f.call(owner, 'POST', '/owner/purchases', { json })).status).toBe(400)
    }
    expect(
      (
        await f.call(owner, 'POST', '/owner/purchases', {
          body: '{"seller":',
          type: 'application/json',
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await f.call(owner, 'POST', '/owner/purchases', {
          body: JSON.stringify(ORDER),
          type: 'text/plain',
        })
      ).status,
    ).toBe(415)
    for (const q of ['limit=0', 'limit=abc', 'since=yesterday', 'sort=total', 'cursor=%7B']) {
      expect([q, (await f.call(owner, 'GET', `/owner/purchases?${q}`)).status]).toEqual([q, 400])
    }
    expect((await f.call(owner, 'GET', '/owner/purchases/pur_..%2F')).status).toBe(400)
    expect(
      (await f.call(owner, 'PUT', '/owner/purchases/pur_nothere', { json: ORDER })).status,
    ).toBe(404)
    expect((await f.tv.vault.purchases.list()).items).toEqual([])
  })
})

describe('vendors', () => {
  it('lists vendors with grant counts and the last read time, and blocks and unblocks them', async () => {
    const { f, owner } = await signedIn()
    const ids = await seedIds(f)
    const quiet = await f.tv.vault.vendors.register({ name: 'Quiet Shop' })
    const second = await f.tv.vault.grants.create({
      vendorId: ids.vendor as string,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Receipts',
      durationSeconds: 3600,
    })
    await f.tv.vault.grants.revoke(second.id)
    f.advance(60)
    await f.tv.vault.readThroughGrant(ids.grant as string)
    const readAt = f.now().toISOString()
    f.advance(60)

    const { vendors } = await f.json<{
      vendors: {
        id: string
        name: string
        blocked: boolean
        grants: number
        activeGrants: number
        lastReadAt: string | null
      }[]
    }>(owner, 'GET', '/owner/vendors')
    const fjord = vendors.find((v) => v.id === ids.vendor)
    expect(fjord).toMatchObject({
      name: 'Fjord Outdoor',
      blocked: false,
      grants: 2,
      activeGrants: 1,
      lastReadAt: readAt,
    })
    expect(vendors.find((v) => v.id === quiet.id)).toMatchObject({
      grants: 0,
      activeGrants: 0,
      lastReadAt: null,
    })

    expect(
      await f.json(owner, 'POST', `/owner/vendors/${ids.vendor}/block`, {
        json: { blocked: true },
      }),
    ).toMatchObject({ id: ids.vendor, blocked: true })
    await expect(f.tv.vault.readThroughGrant(ids.grant as string)).rejects.toMatchObject({
      code: 'ERR_VENDOR_BLOCKED',
    })
    expect(
      await f.json(owner, 'POST', `/owner/vendors/${ids.vendor}/block`, {
        json: { blocked: false },
      }),
    ).toMatchObject({ blocked: false })
    expect(
      (
        await f.call(owner, 'POST', `/owner/vendors/${ids.vendor}/block`, {
          json: { blocked: 'yes' },
        })
      ).status,
    ).toBe(400)
    expect(
      (await f.call(owner, 'POST', '/owner/vendors/ven_nothere/block', { json: { blocked: true } }))
        .status,
    ).toBe(404)
  })
})

describe('grants', () => {
  it('lists by vendor and status, reads, narrows (never widens) and gives the signed consent receipt', async () => {
    const { f, owner } = await signedIn()
    const ids = await seedIds(f)
    const other = await f.tv.vault.vendors.register({ name: 'Other' })
    await f.tv.vault.grants.create({
      vendorId: other.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'News',
      durationSeconds: 3600,
    })

    expect(
      (await f.json<{ grants: unknown[] }>(owner, 'GET', '/owner/grants')).grants,
    ).toHaveLength(2)
    const mine = await f.json<{ grants: { id: string }[] }>(
      owner,
      'GET',
      `/owner/grants?vendorId=${ids.vendor}&status=active`,
    )
    expect(mine.grants.map((g) => g.id)).toEqual([ids.grant])
    expect(
      (await f.json<{ grants: unknown[] }>(owner, 'GET', '/owner/grants?status=revoked')).grants,
    ).toEqual([])
    expect((await f.call(owner, 'GET', '/owner/grants?status=paused')).status).toBe(400)
    expect(await f.json(owner, 'GET', `/owner/grants/${ids.grant}`)).toMatchObject({
      id: ids.grant,
      fields: ['email', 'prefs.sizes.*'],
      revision: 1,
    })

    const narrowed = await f.json(owner, 'POST', `/owner/grants/${ids.grant}/narrow`, {
      json: { fields: ['email'], actions: ['read'] },
    })
    expect(narrowed).toMatchObject({ fields: ['email'], actions: ['read'], revision: 2 })
    const widen = await f.call(owner, 'POST', `/owner/grants/${ids.grant}/narrow`, {
      json: { fields: ['email', 'telephone'] },
    })
    expect(widen.status).toBeGreaterThanOrEqual(400)
    expect(widen.status).toBeLessThan(500)
    expect((await f.tv.vault.grants.get(ids.grant as string)).fields).toEqual(['email'])

    const { receipt } = await f.json<{ receipt: string }>(
      owner,
      'GET',
      `/owner/grants/${ids.grant}/receipt`,
    )
    const jwks = createLocalJWKSet(
      (await (await f.app.request('/.well-known/jwks.json')).json()) as Parameters<
        typeof createLocalJWKSet
      >[0],
    )
    const { payload, protectedHeader } = await jwtVerify(receipt, jwks, {
      issuer: 'https://vault.example',
    })
    expect(protectedHeader.typ).toBe('consent-receipt+jwt')
    expect(payload).toMatchObject({
      consentReceiptID: `${ids.grant}.2`,
      custos: { grantId: ids.grant, revision: 2, status: 'active' },
    })
    expect((await f.call(owner, 'GET', '/owner/grants/grt_nothere/receipt')).status).toBe(404)
  })

  it('revoking a grant through the owner API makes its access and refresh tokens inactive at once', async () => {
    const { f, owner } = await signedIn()
    const ids = await seedIds(f)
    const tokens = await f.ctx.stores.tokens.issue({
      clientId: ids.vendor as string,
      grantId: ids.grant as string,
      dpopJkt: null,
    })
    const unrelated = await f.tv.vault.grants.create({
      vendorId: ids.vendor as string,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Other',
      durationSeconds: 3600,
    })
    const kept = await f.ctx.stores.tokens.issue({
      clientId: ids.vendor as string,
      grantId: unrelated.id,
      dpopJkt: null,
    })
    expect(await f.ctx.stores.tokens.find(tokens.accessToken, 'access')).toBeDefined()
    const before = await f.app.request('/v1/profile', {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    })
    expect(before.status).toBe(200)

    expect(await f.json(owner, 'POST', `/owner/grants/${ids.grant}/revoke`)).toMatchObject({
      id: ids.grant,
      status: 'revoked',
    })
    expect(await f.ctx.stores.tokens.find(tokens.accessToken, 'access')).toBeUndefined()
    expect(await f.ctx.stores.tokens.find(tokens.refreshToken, 'refresh')).toBeUndefined()
    const after = await f.app.request('/v1/profile', {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    })
    expect(after.status).toBe(401)
    // Only that grant's tokens.
    expect(await f.ctx.stores.tokens.find(kept.accessToken, 'access')).toBeDefined()
    const receipt = await f.json<{ receipt: string }>(
      owner,
      'GET',
      `/owner/grants/${ids.grant}/receipt`,
    )
    expect(receipt.receipt.split('.')).toHaveLength(3)
    expect((await f.call(owner, 'POST', '/owner/grants/grt_nothere/revoke')).status).toBe(404)
  })
})

describe('inbox', () => {
  it('lists pending receipts; accepting moves one into the history, rejecting deletes it', async () => {
    const { f, owner } = await signedIn()
    const ids = await seedIds(f)
    const second = await f.tv.vault.inbox.append(ids.grant as string, {
      ...ORDER,
      orderDate: '2026-04-02',
      total: 5,
    })
    const inbox = await f.json<{ items: { id: string; status: string }[] }>(
      owner,
      'GET',
      '/owner/inbox',
    )
    expect(inbox.items.map((p) => [p.id, p.status])).toEqual([
      [second.id, 'pending'],
      [ids.pending, 'pending'],
    ])
    expect(
      (await f.json<{ items: unknown[]; nextCursor: string }>(owner, 'GET', '/owner/inbox?limit=1'))
        .nextCursor,
    ).toEqual(expect.any(String))

    expect(await f.json(owner, 'POST', `/owner/inbox/${ids.pending}/accept`)).toMatchObject({
      id: ids.pending,
      status: 'accepted',
      vendorId: ids.vendor,
    })
    expect((await f.call(owner, 'POST', `/owner/inbox/${second.id}/reject`)).status).toBe(204)
    expect((await f.json<{ items: unknown[] }>(owner, 'GET', '/owner/inbox')).items).toEqual([])
    const history = await f.json<{ items: { id: string }[] }>(owner, 'GET', '/owner/purchases')
    expect(history.items.map((p) => p.id)).toContain(ids.pending)
    expect(history.items.map((p) => p.id)).not.toContain(second.id)
    expect((await f.call(owner, 'POST', `/owner/inbox/${ids.pending}/accept`)).status).toBe(404)
  })
})

describe('audit', () => {
  it('lists entries newest first with filters and paging, and verifies the chain', async () => {
    const { f, owner } = await signedIn()
    const ids = await seedIds(f)
    await f.tv.vault.readThroughGrant(ids.grant as string)
    await f.json(owner, 'POST', `/owner/grants/${ids.grant}/revoke`)

    const reads = await f.json<{ entries: { action: string; grantId?: string; seq: number }[] }>(
      owner,
      'GET',
      `/owner/audit?action=grant.read&grantId=${ids.grant}`,
    )
    expect(reads.entries.map((e) => e.action)).toEqual(['grant.read'])
    const several = await f.json<{ entries: { action: string }[] }>(
      owner,
      'GET',
      '/owner/audit?action=grant.read&action=grant.revoked',
    )
    expect(several.entries.map((e) => e.action)).toEqual(['grant.revoked', 'grant.read'])
    expect(
      (
        await f.json<{ entries: unknown[] }>(
          owner,
          'GET',
          '/owner/audit?action=grant.read,grant.revoked',
        )
      ).entries,
    ).toHaveLength(2)
    expect(
      (await f.json<{ entries: unknown[] }>(owner, 'GET', `/owner/audit?vendorId=${ids.vendor}`))
        .entries.length,
    ).toBeGreaterThanOrEqual(3)

    const all = await f.json<{ entries: { seq: number }[] }>(owner, 'GET', '/owner/audit')
    const page = await f.json<{ entries: { seq: number }[]; nextBefore: number }>(
      owner,
      'GET',
      '/owner/audit?limit=2',
    )
    expect(page.entries.map((e) => e.seq)).toEqual(all.entries.slice(0, 2).map((e) => e.seq))
    const next = await f.json<{ entries: { seq: number }[] }>(
      owner,
      'GET',
      `/owner/audit?limit=2&before=${page.nextBefore}`,
    )
    expect(next.entries.map((e) => e.seq)).toEqual(all.entries.slice(2, 4).map((e) => e.seq))
    for (const q of [
      'action=grant.deleted',
      'limit=5000',
      'since=2026-01-01',
      'before=-1',
      'grantId=a%20b',
    ]) {
      expect([q, (await f.call(owner, 'GET', `/owner/audit?${q}`)).status]).toEqual([q, 400])
    }
    expect(await f.json(owner, 'GET', '/owner/audit/verify')).toMatchObject({
      ok: true,
      entries: all.entries.length,
    })
  })
})
