/**
 * Issue 13, the Intents page: the owner writes an intent in a form, sees it with the offers on it
 * side by side, accepts one (the others are declined, every vendor told) or declines one. Bad
 * input is answered with the form's problems and publishes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

const sig = { jws: 'a.b.c', signedBy: 'vault' as const }
const offer = (amount: number, included: string) => ({
  price: { amount, currency: 'EUR' },
  included,
  validUntil: '2099-01-01T00:00:00Z',
  terms: { url: 'https://shop.example/terms' },
})

async function withVendors() {
  const p = await pageClient()
  await p.vault.fields.set('email', 'ada@example.org')
  const vendor = async (name: string) => {
    const v = await p.vault.vendors.register({ name })
    const grant = await p.vault.grants.create({
      vendorId: v.id,
      actions: ['intents'],
      purpose: 'Offers',
      durationSeconds: 86_400,
    })
    return { vendorId: v.id, grantId: grant.id }
  }
  return { p, fjord: await vendor('Fjord Outdoor'), nordic: await vendor('Nordic Shoes') }
}

describe('/intents', () => {
  it('is in the navigation, publishes an intent from the form, and shows offers side by side', async () => {
    const { p, fjord, nordic } = await withVendors()
    const empty = await p.get('/intents')
    expect(empty.status).toBe(200)
    expect(empty.html).toContain('href="/intents" aria-current="page"')
    expect(text(empty.html)).toContain('You have no intents yet.')

    const published = await p.submit('/intents', {
      category: 'Outdoor',
      text: 'A rain jacket for hiking',
      size: 'M',
      budget: '200',
      currency: 'eur',
      open_days: '7',
      audience: 'all',
      disclose: ['email'],
    })
    expect(text(published.html)).toContain('Intent published.')
    const [intent] = await p.vault.intents.list()
    expect(intent).toMatchObject({
      category: 'Outdoor',
      requirements: { size: 'M', budget: { amount: 200, currency: 'EUR' } },
      audience: 'all',
      disclose: ['email'],
      state: 'open',
    })

    const asFjord = p.vault.intents.asVendor(fjord)
    const asNordic = p.vault.intents.asVendor(nordic)
    const a = await asFjord.offer(
      (await asFjord.list())[0]?.id ?? '',
      offer(180, 'Jacket and shipping'),
      sig,
    )
    const b = await asNordic.offer(
      (await asNordic.list())[0]?.id ?? '',
      offer(150, 'Jacket only'),
      sig,
    )
    // The inbox points at them, beside the receipts.
    expect(text((await p.get('/inbox')).html)).toContain('2 offers wait on your intents')
    const listed = text((await p.get('/intents')).html)
    expect(listed).toContain('Nordic Shoes €150.00 Jacket only')
    expect(listed.indexOf('Nordic Shoes €150.00')).toBeLessThan(
      listed.indexOf('Fjord Outdoor €180.00'),
    )

    const accepted = await p.submit(`/intents/${intent?.id}/offers/${a.id}/accept`)
    expect(text(accepted.html)).toContain('Offer accepted')
    expect(text(accepted.html)).toContain('fulfilled')
    const states = Object.fromEntries(
      (await p.vault.intents.offers(intent?.id ?? '')).map((o) => [o.id, o.state]),
    )
    expect(states).toEqual({ [a.id]: 'accepted', [b.id]: 'declined' })
    // The acceptance opened a thread with that vendor about the order; she finds it in Conversations.
    expect(text(accepted.html)).toContain('A conversation with the vendor about the order is open')
    const [thread] = await p.vault.conversations.list()
    expect(thread).toMatchObject({ vendorId: fjord.vendorId, subject: 'Your offer on Outdoor' })
    expect(await p.vault.conversations.list({ vendorId: nordic.vendorId })).toEqual([])
    const conversations = text((await p.get('/conversations')).html)
    expect(conversations).toContain('Your offer on Outdoor')
    const opened = text((await p.get(`/conversations/${thread?.id}`)).html)
    expect(opened).toContain('I accepted your offer (180 EUR): Jacket and shipping.')
    // Deciding again says so and changes nothing.
    const again = await p.submit(`/intents/${intent?.id}/offers/${b.id}/accept`)
    expect(text(again.html)).toContain('That intent is already decided.')
  })

  it('declines one offer and keeps the intent open; refuses a bad form with its problems', async () => {
    const { p, fjord } = await withVendors()
    const refused = await p.post('/intents', {
      category: '',
      text: 'x',
      budget: '12',
      currency: 'euro',
      open_days: '7',
      audience: 'all',
    })
    expect(refused.status).toBe(400)
    expect(text(refused.html)).toContain('The intent was not published')
    expect(await p.vault.intents.list()).toEqual([])

    await p.submit('/intents', {
      category: 'Shoes',
      text: 'Trail shoes',
      open_days: '14',
      audience: 'chosen',
      vendor: [fjord.vendorId],
    })
    const [intent] = await p.vault.intents.list()
    expect(intent?.audience).toEqual({ vendors: [fjord.vendorId] })
    const asFjord = p.vault.intents.asVendor(fjord)
    const made = await asFjord.offer((await asFjord.list())[0]?.id ?? '', offer(90, 'Shoes'), sig)
    const declined = await p.submit(`/intents/${intent?.id}/offers/${made.id}/decline`)
    expect(text(declined.html)).toContain('Offer declined')
    expect((await p.vault.intents.get(intent?.id ?? '')).state).toBe('open')
    const closed = await p.submit(`/intents/${intent?.id}/close`)
    expect(text(closed.html)).toContain('Intent closed')
  })
})
