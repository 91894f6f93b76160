/**
 * Issue 4, page 7: the inbox — receipts vendors wrote wait there, pending; the owner accepts one
 * (it joins the purchase history) or rejects one (it is deleted). CSRF refusals change nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

async function withReceipts() {
  const p = await pageClient()
  const vendor = await p.vault.vendors.register({
    name: 'Fjord Outdoor',
    uri: 'https://fjord.example',
  })
  const grant = await p.vault.grants.create({
    vendorId: vendor.id,
    fields: ['email'],
    actions: ['read', 'append'],
    purpose: 'Receipts',
    durationSeconds: 86_400,
  })
  const jacket = await p.vault.inbox.append(grant.id, {
    seller: 'Fjord Outdoor',
    orderDate: '2026-03-14',
    currency: 'EUR',
    total: 129.9,
    items: [{ name: 'Rain jacket', quantity: 1, price: 129.9 }],
  })
  const socks = await p.vault.inbox.append(grant.id, {
    seller: 'Fjord Outdoor',
    orderDate: '2026-03-20',
    currency: 'EUR',
    total: 9.5,
    orderNumber: 'FO-77',
  })
  return { p, vendor, jacket, socks }
}

describe('/inbox', () => {
  it('lists pending receipts with who sent them, and none of them is in the history yet', async () => {
    const { p } = await withReceipts()
    const page = await p.get('/inbox')
    expect(page.status).toBe(200)
    const body = text(page.html)
    expect(body).toContain('Fjord Outdoor · €129.90 Sent by Fjord Outdoor')
    expect(body).toContain('1 × Rain jacket (€129.90)')
    expect(body).toContain('order #FO-77')
    expect(page.html.match(/>Accept<\/button>/g)).toHaveLength(2)
    expect(page.html.match(/>Reject<\/button>/g)).toHaveLength(2)
    expect((await p.vault.purchases.list()).items).toHaveLength(0)
  })

  it('accepts one into the purchases and rejects the other', async () => {
    const { p, vendor, jacket, socks } = await withReceipts()
    const accepted = await p.submit(`/inbox/${jacket.id}/accept`)
    expect(accepted.html).toContain('Receipt accepted')
    const rejected = await p.submit(`/inbox/${socks.id}/reject`)
    expect(rejected.html).toContain('Receipt rejected and deleted.')
    expect(rejected.html).toContain('Your inbox is empty.')
    const { items } = await p.vault.purchases.list()
    expect(items.map((i) => [i.id, i.status, i.provenance, i.vendorId])).toEqual([
      [jacket.id, 'accepted', 'vendor', vendor.id],
    ])
    await expect(p.vault.purchases.get(socks.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
    expect((await p.get('/purchases')).html).toContain('Rain jacket')
    // Deciding twice says so, and changes nothing.
    expect((await p.submit(`/inbox/${socks.id}/accept`)).html).toContain(
      'That receipt was already decided.',
    )
    expect((await p.vault.purchases.list()).items).toHaveLength(1)
  })

  it('refuses accept and reject without the CSRF token, and changes nothing', async () => {
    const { p, jacket, socks } = await withReceipts()
    expect((await p.post(`/inbox/${jacket.id}/accept`, {}, { csrf: null })).status).toBe(403)
    expect((await p.post(`/inbox/${socks.id}/reject`, {}, { csrf: 'forged' })).status).toBe(403)
    expect((await p.vault.inbox.list()).items.map((i) => i.id).sort()).toEqual(
      [jacket.id, socks.id].sort(),
    )
    expect((await p.vault.purchases.list()).items).toHaveLength(0)
  })
})
