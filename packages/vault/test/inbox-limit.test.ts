/**
 * Issue "P1 — Trust", finding 2 (inbox): one vendor could fill the owner's inbox without end. The
 * caller (the consent API) gives `inbox.append` a cap on the vendor's pending receipts; at the cap
 * the append is refused with ERR_INBOX_FULL and nothing is written, until the owner accepts or
 * rejects some. Other vendors are not affected.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { VaultError } from '../src/index.js'
import { type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

const order = { seller: 'Fjord Outdoor', orderDate: '2026-03-14', currency: 'EUR', total: 1 }

describe('inbox cap per vendor', () => {
  it('refuses an append over maxPending with ERR_INBOX_FULL, writes nothing, and frees up as the owner decides', async () => {
    tv = await createTestVault()
    const { vault } = tv
    const grantFor = async (name: string) => {
      const vendor = await vault.vendors.register({ name })
      return (
        await vault.grants.create({
          vendorId: vendor.id,
          actions: ['append'],
          purpose: 'Receipts',
          durationSeconds: 3600,
        })
      ).id
    }
    const fjord = await grantFor('Fjord Outdoor')
    const other = await grantFor('Nordic Shoes')
    const first = await vault.inbox.append(fjord, order, { maxPending: 2 })
    await vault.inbox.append(fjord, order, { maxPending: 2 })
    const refused = await vault.inbox
      .append(fjord, order, { maxPending: 2 })
      .catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(VaultError)
    expect(refused).toMatchObject({ code: 'ERR_INBOX_FULL' })
    expect((await vault.inbox.list()).items).toHaveLength(2)
    expect((await vault.audit.list({ action: 'inbox.appended' })).length).toBe(2)

    // Another vendor's receipts are counted apart.
    await vault.inbox.append(other, order, { maxPending: 2 })
    // Accepting one frees a place; receipts in the history do not count.
    await vault.inbox.accept(first.id)
    await vault.inbox.append(fjord, order, { maxPending: 2 })
    await expect(vault.inbox.append(fjord, order, { maxPending: 2 })).rejects.toMatchObject({
      code: 'ERR_INBOX_FULL',
    })
    // Without a cap the library itself does not limit (the caller decides).
    await vault.inbox.append(fjord, order)
  })

  it('refuses a maxPending that is not a positive integer as caller misuse', async () => {
    tv = await createTestVault()
    const vendor = await tv.vault.vendors.register({ name: 'Fjord Outdoor' })
    const grant = await tv.vault.grants.create({
      vendorId: vendor.id,
      actions: ['append'],
      purpose: 'Receipts',
      durationSeconds: 3600,
    })
    for (const maxPending of [0, -1, 1.5, Number.NaN])
      await expect(tv.vault.inbox.append(grant.id, order, { maxPending })).rejects.toBeInstanceOf(
        TypeError,
      )
  })
})
