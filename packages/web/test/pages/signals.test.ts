/**
 * Issue 12 on Connections: what each vendor has heard (messages waiting and why, or up to date),
 * and the owner's erasure request with the vendor's answer.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connectedVendor, disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

async function eventually(read: () => Promise<string>, expected: string): Promise<string> {
  let last = ''
  for (let i = 0; i < 100; i++) {
    last = await read()
    if (last.includes(expected)) return last
    await new Promise((r) => setTimeout(r, 20))
  }
  return last
}

describe('signals on Connections', () => {
  it('shows a message the vendor’s server could not take, waiting and retried', async () => {
    const p = await pageClient()
    const vendor = await connectedVendor(p, 'read:email', {
      custos_events_endpoint: 'http://127.0.0.1:9/events',
    })
    // The notice of the consent's receipt waits: nothing has tried to push it yet.
    const before = text((await p.get('/connections')).html)
    expect(before).toContain('Messages to Fjord Outdoor 1 message waiting since')
    // Revoking pushes at once; the server cannot be reached, and all three wait in order — the
    // receipt notice, the revocation and the notice of its receipt.
    await p.submit(`/connections/grants/${vendor.grant.id}/revoke`)
    const page = await eventually(
      async () => text((await p.get('/connections')).html),
      'could not be reached',
    )
    expect(page).toContain('3 messages waiting since')
    expect(page).toContain('its server could not be reached; Custos keeps trying')
  })

  it('asks the vendor to erase, and says there is no answer yet', async () => {
    const p = await pageClient()
    const vendor = await connectedVendor(p, 'read:email')
    expect(text((await p.get('/connections')).html)).toContain(
      'Asked to erase your data Never asked.',
    )
    const after = await p.submit(`/connections/vendors/${vendor.clientId}/erasure`)
    expect(text(after.html)).toContain('The vendor was asked to erase what it holds about you.')
    expect(text(after.html)).toMatch(/Asked to erase your data Asked .+, no answer yet\./)
    // A vendor without an endpoint collects it by polling: it waits, with no error to show.
    expect(text(after.html)).toContain('not yet delivered or collected')
    const log = text((await p.get('/log?kind=vendors')).html)
    expect(log).toContain('You asked Fjord Outdoor to erase what it holds about you')
  })
})
